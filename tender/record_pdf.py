"""The opening record as a PDF (开标记录表), with Chinese text in the STSong-Light CID font that
every PDF reader carries, so no font file ships with the platform. Needs `reportlab`."""

from __future__ import annotations

import io

from sqlalchemy import select

from core import clock, money
from core.db import db
from tender.hall import BID_STATUS_ZH
from tender.models import Bid, OpeningRecord, Project

FONT = "STSong-Light"


def available() -> bool:
    try:
        import reportlab  # noqa: F401
    except ImportError:
        return False
    return True


def render(project: Project) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    title = ParagraphStyle("title", fontName=FONT, fontSize=16, leading=22, alignment=1)
    body = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=14)
    cell = ParagraphStyle("cell", fontName=FONT, fontSize=9, leading=12)
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=landscape(A4), leftMargin=15 * mm, rightMargin=15 * mm,
                            topMargin=15 * mm, bottomMargin=15 * mm, title=f"{project.code} 开标记录")
    opened = clock.format_local(project.opened_at) if project.opened_at else "进行中"
    story = [Paragraph(f"{project.title} 开标记录表", title), Spacer(1, 4 * mm),
             Paragraph(f"项目编号：{project.code}　采购单位：{project.purchaser.name}　"
                       f"代理机构：{project.agency.name}", body),
             Paragraph(f"投标截止（开标）时间：{clock.format_local(project.deadline)}　"
                       f"开标完成：{opened}（北京时间）", body),
             Spacer(1, 4 * mm)]
    rows = [["标项", "投标人", "投标报价（元）", "大写金额", "交货期", "备注"]]
    lines = db.session.scalars(select(OpeningRecord).where(OpeningRecord.project_id == project.id)
                               .order_by(OpeningRecord.lot_id, OpeningRecord.id))
    for line in lines:
        price = line.price_fen
        rows.append([str(line.lot.number), Paragraph(line.bidder_name, cell),
                     money.format_yuan(price) if price is not None else "",
                     Paragraph(money.to_chinese_upper(price), cell) if price is not None else "",
                     Paragraph(line.delivery, cell), Paragraph(line.remarks, cell)])
    failed = db.session.scalars(select(Bid).where(Bid.project_id == project.id,
                                                  Bid.status.in_(("revoked", "voided"))))
    for bid in failed:
        rows.append([str(bid.lot.number), Paragraph(bid.org.name, cell), "", "", "",
                     Paragraph(f"{BID_STATUS_ZH[bid.status.value]}：{bid.outcome_note or ''}", cell)])
    for lot in project.lots:
        if lot.failure_reason:
            rows.append([str(lot.number), Paragraph("（本标项废标）", cell), "", "", "",
                         Paragraph(lot.failure_reason, cell)])
    table = Table(rows, colWidths=[14 * mm, 62 * mm, 32 * mm, 70 * mm, 22 * mm, 60 * mm], repeatRows=1)
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), FONT, 9), ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e9edf3")),
                               ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    story += [table, Spacer(1, 6 * mm),
              Paragraph("本记录由标云平台根据各投标文件解密后的开标一览表自动生成；"
                        "每份投标文件的摘要、回执与审计日志可供核验。", body)]
    doc.build(story)
    return out.getvalue()
