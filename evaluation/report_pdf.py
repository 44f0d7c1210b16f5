"""The evaluation report as a PDF (评审报告), from `reporting.report_contents` (canonical data), in the
embedded CJK font subset of `core.pdf` (as tender/record_pdf.py). Its SHA-256 is what each
member signs; the file lives under FILE_STORE/evaluation/."""

from __future__ import annotations

import io
import os
from pathlib import Path

from flask import current_app

from core import clock, money
from core.pdf import cjk_font, escape, styles, table

ROLE_ZH = {"chair": "组长", "purchaser_rep": "采购人代表", "member": "评审专家"}
STAGE_ZH = {"qualification": "资格审查", "compliance": "符合性审查"}
CHANGE_REASON_ZH = {"arithmetic_error": "分值汇总计算错误", "out_of_range": "分项评分超出评分标准规定的分值范围",
                    "objective_inconsistent": "对客观评审因素评分不一致", "outlier": "经评审委员会认定评分畸高、畸低"}


def root() -> Path:
    return Path(current_app.config["FILE_STORE"]) / "evaluation"


def absolute(relative: str) -> Path:
    path = (root() / relative).resolve()
    if root().resolve() not in path.parents:
        raise ValueError("path escapes the file store")
    return path


def store(relative: str, data: bytes) -> Path:
    """Write atomically (temp file, then rename): a crash leaves no half report."""
    path = absolute(relative)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".partial")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return path


def _yuan(value) -> str:
    if value is None:
        return ""
    fen = value["fen"] if isinstance(value, dict) else value
    return money.format_yuan(fen)


def render(committee, report, contents: dict) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    from evaluation.room import lot_of, project_of

    style = styles()
    title, h2, body = style["title"], style["h2"], style["body"]
    project, lot = project_of(committee), lot_of(committee)
    names = contents.get("bidder_names", {})
    members = {str(m["id"]): m["name"] for m in contents["members"]}

    def bidder(ref) -> str:
        return names.get(str(ref), str(ref))

    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                            bottomMargin=15 * mm, title=f"{project.code} 评审报告", invariant=1,
                            initialFontName=cjk_font())
    story = [Paragraph(f"{escape(project.title)}<br/>标项{lot.number}（{escape(lot.name)}）评审报告", title),
             Spacer(1, 4 * mm),
             Paragraph(f"项目编号：{escape(project.code)}　报告版本：第{report.version}版　生成时间："
                       f"{clock.format_local(report.generated_at)}（北京时间）", body),
             Paragraph("一、评审委员会成员", h2),
             table([["序号", "姓名", "职务", "备注"]] +
                   [[str(i), m["name"], ROLE_ZH.get(m["role"], m["role"]), "自行选定" if m["hand_picked"] else ""]
                    for i, m in enumerate(contents["members"], start=1)], [15, 50, 40, 75]),
             Paragraph("二、资格审查与符合性审查", h2)]
    review_rows = [["投标人", "结论", "不通过的要求及理由"]]
    for r in contents["reviews"]:
        fails = "；".join(f"{STAGE_ZH.get(f['stage'], f['stage'])}·{f['requirement']}（{f['votes_against']}票不通过）："
                         + "，".join(x["reason"] for x in f["reasons"]) for f in r["failures"])
        review_rows.append([bidder(r["bidder"]), "通过" if r["passed"] else "不通过", fails or "—"])
    story.append(table(review_rows, [55, 20, 105]))
    if contents["exclusions"]:
        story += [Paragraph("三、无效投标及理由", h2),
                  table([["投标人", "原因"]] + [[bidder(e["bidder"]), "；".join(e["reasons"])]
                                                for e in contents["exclusions"]], [60, 120])]
    else:
        story.append(Paragraph("三、无效投标及理由：无", h2))
    story.append(Paragraph("四、澄清、说明与价格修正", h2))
    items = contents["clarifications"]
    if items:
        story.append(table([["投标人", "类别", "问题", "答复", "结论"]] +
                           [[bidder(c["bidder"]), "异常低价说明" if c["kind"] == "low_price" else "澄清",
                             c["question"], c["answer"] or "（未答复）",
                             {"accepted": "接受", "rejected": "不接受"}.get(c["decision"] or "", "—")]
                            for c in items], [35, 22, 50, 50, 23]))
    else:
        story.append(Paragraph("无。", body))
    for c in contents["price_corrections"]:
        story.append(Paragraph(escape(f"{bidder(c['bidder'])}：{c['message']}"), body))
    story.append(Paragraph("五、评审价格与价格分", h2))
    story.append(table([["投标人", "投标报价（元）", "价格扣除", "评审价格（元）", "价格分"]] +
                       [[bidder(p["bidder"]), _yuan(p["price_fen"]), f"{p['deduction_percent']}%",
                         _yuan(p["evaluated"]), p["price_score"] or "—"] for p in contents["prices"]],
                       [55, 35, 20, 35, 35]))
    if contents["totals"]:
        member_ids = list(contents["totals"][0]["member_totals"])
        story += [Paragraph("六、各成员评分（含价格分）及平均得分", h2),
                  table([["投标人"] + [members.get(m, m) for m in member_ids] + ["平均得分"]] +
                        [[bidder(t["bidder"])] + [t["member_totals"][m] for m in member_ids] + [t["total"]]
                         for t in contents["totals"]],
                        [50] + [max(14, 110 // max(1, len(member_ids)))] * len(member_ids) + [20])]
        detail = [["成员", "投标人", "评审因素", "得分"]] + [
            [members.get(str(s["member"]), str(s["member"])), bidder(s["bidder"]), s["criterion"], s["score"]]
            for s in contents["scores"]]
        story += [Paragraph("各成员分项评分明细", body), table(detail, [40, 60, 50, 30])]
    changes = contents.get("score_changes") or []
    story.append(Paragraph("评审汇总中修改的评分（政府采购货物和服务招标投标管理办法第六十四条）"
                           + ("：" if changes else "：无"), body))
    if changes:
        story.append(table([["修改人", "投标人", "评审因素", "原分", "修改后", "法定情形", "理由", "时间"]] +
                           [[members.get(str(c["member"]), str(c["member"])), bidder(c["bidder"]), c["criterion"],
                             c["from"], c["to"], CHANGE_REASON_ZH.get(c["reason"], c["reason"]), c["note"], c["at"]]
                            for c in changes], [20, 30, 18, 13, 14, 32, 33, 20]))
    story.append(Paragraph("七、排序与推荐的中标（成交）候选人", h2))
    by_bid = contents.get("tie_break") == "bid_price" and any(r["total"] for r in contents["ranking"])
    story.append(table([["名次", "投标人", "得分", "投标报价（元）" if by_bid else "评审价格（元）", "并列"]] +
                       [[str(r["rank"]), bidder(r["bidder"]), r["total"] or "—", _yuan(r["price"]),
                         "是" if r["tied"] else ""] for r in contents["ranking"]], [15, 75, 25, 40, 25]))
    cands = "、".join(f"第{i}名 {bidder(c['bidder'])}" for i, c in enumerate(contents["candidates"], start=1))
    story.append(Paragraph(escape(f"推荐的中标（成交）候选人：{cands or '无'}"), body))
    if contents.get("tie_break") == "evaluated_price" and any(r["total"] for r in contents["ranking"]):
        story.append(Paragraph("注：得分相同的，按本地区规定以扣除后的评审价格由低到高排序"
                               "（政府采购货物和服务招标投标管理办法第五十七条规定按投标报价排序）。", body))
    if contents["needs_tie_break"]:
        story.append(Paragraph("注：候选人排名存在并列，须按招标文件规定的方式确定。", body))
    story.append(Paragraph("八、评审委员会成员意见", h2))
    dissent_lines = [f"{members.get(str(p['member']), p['member'])}：" + "；".join(d["reasons"] for d in p["dissents"])
                     for p in contents["positions"] if p["position"] == "dissent"]
    story.append(Paragraph(escape("持不同意见的成员及理由：" + ("　".join(dissent_lines) if dissent_lines else "无")
                                  + "。未签署不同意见的成员视为同意评审结论。"), body))
    story += [Spacer(1, 6 * mm),
              Paragraph("本报告由标云平台根据评审委员会在网上评审室中的记录生成。各成员以动态口令确认签署，"
                        "签署记录（含本文件的 SHA-256 摘要）写入不可篡改的审计日志。", body)]
    doc.build(story)
    return out.getvalue()
