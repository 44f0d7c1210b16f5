"""The bid receipt as a printable PDF (投标文件递交回执): what the supplier keeps to prove what it handed in
and when — the digest, the server time in Beijing time, the platform's signature — and how anyone can
check it. Text in the embedded CJK font and escaped with `core.pdf` (the bidder's name is user text)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

from core import clock
from core.pdf import cjk_font, escape
from tender.models import Bid


def received_at(receipt: dict[str, Any]) -> datetime:
    return datetime.strptime(receipt["receipt"]["received_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def render(bid: Bid, receipt: dict[str, Any]) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = cjk_font()
    title = ParagraphStyle("title", fontName=font, fontSize=16, leading=22, alignment=1)
    body = ParagraphStyle("body", fontName=font, fontSize=9.5, leading=14)
    cell = ParagraphStyle("cell", fontName=font, fontSize=9, leading=12, wordWrap="CJK")
    mono = ParagraphStyle("mono", fontName=font, fontSize=7.5, leading=10, wordWrap="CJK")
    r = receipt["receipt"]
    project = bid.lot.project
    at = clock.format_local(received_at(receipt), "%Y-%m-%d %H:%M:%S")
    rows = [["项目名称", Paragraph(escape(project.title), cell)],
            ["项目编号", escape(project.code)],
            ["标项", Paragraph(escape(f"标项{bid.lot.number}：{bid.lot.name}"), cell)],
            ["投标人", Paragraph(escape(bid.org.name), cell)],
            ["递交时间（服务器，北京时间）", at],
            ["文件大小", f"{r['size']:,} 字节"],
            ["文件摘要（SHA-256）", Paragraph(escape(r["sha256"]), mono)],
            ["审计日志序号", str(r["audit_seq"])],
            ["平台签名（Ed25519）", Paragraph(escape(receipt["signature"]), mono)],
            ["平台验证公钥", Paragraph(escape(receipt["verifier_key"]), mono)],
            ["验证公钥指纹（SHA-256）", Paragraph(escape(receipt["verifier_key_fingerprint"]), mono)]]
    table = Table(rows, colWidths=[48 * mm, 122 * mm])
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), font, 9), ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                               ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#e9edf3")),
                               ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    how = ["如何核验本回执：",
           "1. 文件摘要：在您保存的 .sealed 投标文件上计算 SHA-256（如 sha256sum 文件名），结果应与上表摘要完全一致；"
           "一致即证明平台收到的正是这份文件。",
           "2. 平台签名：在投标页面或“我的投标”中下载本回执的 JSON 文件；签名是平台审计密钥对其中 receipt 部分"
           "所作的 Ed25519 签名。先核对上表公钥指纹与平台公布页面（/audit/key）上的一致。",
           "3. 审计日志：JSON 回执中的 inclusion_proof 证明本次递交已写入防篡改审计日志。任何人可用开源核验工具"
           f"离线核验签名与证明，无需访问平台数据库：python -m audit.verifier receipt receipt.json --fingerprint "
           f"{receipt['verifier_key_fingerprint']}",
           "投标截止前，投标文件始终处于加密状态，任何人（包括平台）都无法提前开启。"]
    story = [Paragraph("投标文件递交回执", title), Spacer(1, 5 * mm), table, Spacer(1, 5 * mm)]
    story += [Paragraph(escape(line), body) for line in how]
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=20 * mm,
                      bottomMargin=20 * mm, title=f"{project.code} 投标回执", invariant=1,
                      initialFontName=font).build(story)
    return out.getvalue()
