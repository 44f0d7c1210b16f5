"""The contract as a PDF (政府采购合同), rendered from its canonical document and signatures, in the
embedded CJK font subset of `core.pdf` (as the report and the opening record).

The PDF is a reading copy: what the parties sign is the document's SHA-256 (printed on every copy),
not the PDF's bytes, so a copy made later shows the same text and the signatures that exist by then."""

from __future__ import annotations

import io

from accounts.models import User
from contracts.models import Contract
from contracts.service import PARTY_ZH, STATUS_ZH, TERM_LABELS, describe, document_of
from core import clock, money
from core.db import db
from core.pdf import cjk_font, styles, table
from core.pdf import escape as text


def render(contract: Contract) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    style = styles()
    title, h2, body = style["title"], style["h2"], style["body"]
    doc, about = document_of(contract), describe(contract)
    parties = [["", "名称", "统一社会信用代码"],
               ["采购人（甲方）", doc["purchaser"]["name"], doc["purchaser"]["uscc"]],
               ["供应商（乙方）", doc["supplier"]["name"], doc["supplier"]["uscc"]]]
    if doc.get("agency"):
        parties.append(["采购代理机构", doc["agency"]["name"], doc["agency"]["uscc"]])
    story = [Paragraph(f"政府采购合同<br/>{text(about.title)}", title), Spacer(1, 4 * mm),
             Paragraph(f"合同编号：{doc['number']}　文本版本：第{doc['revision']}版　"
                       f"状态：{STATUS_ZH[contract.status.value]}", body),
             Paragraph("一、合同当事人", h2),
             table(parties, [35, 95, 50]),
             Paragraph("二、采购项目与合同标的", h2),
             Paragraph(text("；".join(about.subject_lines)) + "。", body),
             Paragraph(f"合同金额：人民币 {money.format_yuan(doc['amount_fen'])} 元（大写：{doc['amount_words']}），"
                       "即中标（成交）金额，双方不得变更。", body)]
    if about.delivery:
        story.append(Paragraph(f"交付（服务）期限：{text(about.delivery)}（响应文件承诺）。", body))
    if doc.get("items"):
        story.append(table([["序号", "名称", "数量", "单价（元）", "合价（元）"]] +
                           [[str(i.get("ref", "")), i.get("name", ""), str(i.get("quantity", "")),
                             money.format_yuan(i["unit_price_fen"]) if "unit_price_fen" in i else "",
                             money.format_yuan(i["total_fen"]) if "total_fen" in i else ""] for i in doc["items"]],
                           [15, 75, 20, 35, 35]))
    story.append(Paragraph("三、双方约定的条款", h2))
    for name, value in doc["terms"].items():
        story.append(Paragraph(f"{TERM_LABELS.get(name, name)}：{text(value)}", body))
    story += [Paragraph("四、合同依据", h2),
              Paragraph("采购文件、成交供应商的响应文件和采购结果均为本合同的组成部分；"
                        "本合同不得对采购文件确定的事项和响应文件作实质性修改。", body),
              table([["文件", "SHA-256"]] + [[name, digest] for name, digest in about.basis], [60, 120]),
              Paragraph("五、签署", h2),
              Paragraph(f"合同文本摘要（SHA-256）：{contract.sha256}", body),
              Paragraph("双方以各自登记的签名密钥对上述摘要签名（ECDSA P-256，标云 FORMAT.md §14），"
                        "与加盖公章具有同等效力（《电子签名法》第十四条）；"
                        "签名和公钥指纹记入不可篡改的审计日志。", body)]
    signed = {s.party: s for s in contract.signatures}
    names = {s.party: db.session.get(User, s.user_id).name for s in contract.signatures}
    story.append(table([["当事人", "签署人", "签署时间（北京时间）", "签名（base64url）"]] +
                       [[PARTY_ZH[p], names.get(p, "—"),
                         clock.format_local(signed[p].signed_at) if p in signed else "待签署",
                         signed[p].signature if p in signed else ""] for p in PARTY_ZH], [30, 20, 40, 90]))
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                      bottomMargin=15 * mm, title=f"{doc['number']} 政府采购合同", invariant=1,
                      initialFontName=cjk_font()).build(story)
    return out.getvalue()
