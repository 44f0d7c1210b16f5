"""The opening record as a PDF (开标记录表), its Chinese text in the embedded CJK font subset of
`core.pdf` (so every viewer shows it, prices included). Needs `reportlab`."""

from __future__ import annotations

import io

from sqlalchemy import select

from core import clock, money
from core.db import db
from core.pdf import cjk_font, escape
from tender.hall import BID_STATUS_ZH, record_notes
from tender.models import Bid, OpeningRecord, Project
from tender.price_detail import items_for_display, shown_words


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
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = cjk_font()
    title = ParagraphStyle("title", fontName=font, fontSize=16, leading=22, alignment=1)
    body = ParagraphStyle("body", fontName=font, fontSize=9.5, leading=14)
    cell = ParagraphStyle("cell", fontName=font, fontSize=9, leading=12)
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=landscape(A4), leftMargin=15 * mm, rightMargin=15 * mm,
                            topMargin=15 * mm, bottomMargin=15 * mm, title=f"{project.code} 开标记录",
                            initialFontName=font)
    opened = clock.format_local(project.opened_at) if project.opened_at else "进行中"
    story = [Paragraph(f"{escape(project.title)} 开标记录表", title), Spacer(1, 4 * mm),
             Paragraph(f"项目编号：{escape(project.code)}　采购单位：{escape(project.purchaser.name)}　"
                       f"代理机构：{escape(project.agency.name)}", body),
             Paragraph(f"投标截止（开标）时间：{clock.format_local(project.deadline)}　"
                       f"开标完成：{opened}（北京时间）", body),
             Spacer(1, 4 * mm)]
    rows = [["标项", "投标人", "投标报价（元）", "大写金额", "交货期", "备注"]]
    lines = list(db.session.scalars(select(OpeningRecord).where(OpeningRecord.project_id == project.id)
                                    .order_by(OpeningRecord.lot_id, OpeningRecord.id)))
    for line in lines:
        price = line.price_fen
        detail = line.price_detail or {}
        figures = money.format_yuan(price) if price is not None else ""
        if detail.get("body_price_fen") is not None:
            figures += f"<br/>投标函：{money.format_yuan(detail['body_price_fen'])}"
        words = escape(shown_words(price, detail))
        if detail.get("body_price_words") or detail.get("body_price_words_unreadable"):
            words += f"<br/>投标函：{escape(detail.get('body_price_words') or detail['body_price_words_unreadable'])}"
        rows.append([str(line.lot.number), Paragraph(escape(line.bidder_name), cell), Paragraph(figures, cell),
                     Paragraph(words, cell),
                     Paragraph(escape(line.delivery), cell),
                     Paragraph(escape("；".join([*([line.remarks] if line.remarks else []),
                                                *(f"【{n}】" for n in record_notes(line))])), cell)])
    failed = db.session.scalars(select(Bid).where(Bid.project_id == project.id,
                                                  Bid.status.in_(("revoked", "voided"))))
    for bid in failed:
        rows.append([str(bid.lot.number), Paragraph(escape(bid.org.name), cell), "", "", "",
                     Paragraph(f"{BID_STATUS_ZH[bid.status.value]}：{escape(bid.outcome_note)}", cell)])
    for lot in project.lots:
        if lot.failure_reason:
            rows.append([str(lot.number), Paragraph("（本标项废标）", cell), "", "", "",
                         Paragraph(escape(lot.failure_reason), cell)])
    table = Table(rows, colWidths=[14 * mm, 62 * mm, 32 * mm, 70 * mm, 22 * mm, 60 * mm], repeatRows=1)
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), font, 9), ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e9edf3")),
                               ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    story.append(table)
    for line in lines:
        items = items_for_display(line.price_detail)
        if not items:
            continue
        title_line = f"分项报价表 · 标项{line.lot.number} · {escape(line.bidder_name)}"
        story += [Spacer(1, 4 * mm), Paragraph(title_line, body)]
        sub = Table([["序号", "名称", "数量", "单价（元）", "合价（元）"]]
                    + [[Paragraph(escape(i["ref"]), cell), Paragraph(escape(i["name"]), cell), i["quantity"],
                        i["unit_price"], i["total"]] for i in items],
                    colWidths=[20 * mm, 110 * mm, 30 * mm, 40 * mm, 40 * mm], repeatRows=1)
        sub.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), font, 9),
                                 ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                                 ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e9edf3")),
                                 ("ALIGN", (2, 1), (-1, -1), "RIGHT")]))
        story.append(sub)
    story += [Spacer(1, 6 * mm),
              Paragraph("本记录由标云平台根据各投标文件解密后的开标一览表自动生成；"
                        "每份投标文件的摘要、回执与审计日志可供核验。", body)]
    doc.build(story)
    return out.getvalue()
