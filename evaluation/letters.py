"""The award notice (中标/成交通知书) to the winner and the result letters (采购结果通知书) to the other
bidders, issued with the result notice (87号令 Art 69; 政府采购法 Art 46).

`issue` runs inside `awarding.publish_result` (same transaction): one PDF per bidder of the lot, stored
atomically under FILE_STORE/evaluation/letters/<award>/ (`report_pdf.store`), one `AwardLetter` row
each, and ONE audit event `evaluation.letters_issued` with [{org, kind, sha256}] — hashes, never scores.

What a letter says comes from what the committee recorded, never recomputed here: each bid's
`BidEvaluation` row (excluded, rank, total) and the report's canonical contents
(`reporting.report_contents`: the failed requirements with the members' reasons, the exclusions, the
evaluated prices). A bidder's letter holds its OWN evaluation (its score and rank under the scoring
method, its evaluated price and rank under the lowest-price method, the reasons it failed the review)
and the public result (winner and price) — no other bidder's scores.

`letter_data` is the data (plain values, tested on its own); `render` turns one into a PDF with the
report's look (`report_pdf.styles`/`table`, the embedded CJK font of `core.pdf`), every user-written
text escaped.
"""

from __future__ import annotations

import hashlib
import io

from sqlalchemy import select

from accounts.models import Org, Role, User
from audit.service import record
from core import clock, money
from core.db import db
from core.errors import NotFound
from core.pdf import cjk_font, escape
from evaluation import report_pdf
from evaluation.models import Award, AwardLetter, BidEvaluation, Committee, LetterKind, from_hundredths

TITLE_ZH = {LetterKind.AWARD.value: "{word}通知书", LetterKind.RESULT.value: "采购结果通知书"}
STAGE_ZH = report_pdf.STAGE_ZH


def word_of(method: str) -> str:
    """中标 after a tender, 成交 after the non-tender methods (negotiation, consultation, inquiry…)."""
    return "中标" if method in ("public_tender", "invited_tender") else "成交"


def _unique(items) -> list[str]:
    seen: list[str] = []
    for item in items:
        item = (item or "").strip()
        if item and item not in seen:
            seen.append(item)
    return seen


def _outcome(row: BidEvaluation | None, bid_id: int, contents: dict, ranked_count: int) -> dict:
    """One bid's own evaluation, from its row and the report's contents (nothing of any other bid)."""
    if row is None:
        return {"status": "not_evaluated"}
    key = str(bid_id)
    if row.excluded:
        review = next((r for r in contents["reviews"] if str(r["bidder"]) == key), None)
        failures = [{"stage": f["stage"], "requirement": f["requirement"],
                     "reasons": _unique(x["reason"] for x in f["reasons"])}
                    for f in (review or {}).get("failures", [])]
        exclusion = next((e for e in contents["exclusions"] if str(e["bidder"]) == key), None)
        reasons = [] if failures else _unique(exclusion["reasons"] if exclusion else [row.exclusion_reason])
        return {"status": "excluded", "code": row.exclusion_code, "failures": failures, "reasons": reasons}
    price = next((p for p in contents["prices"] if str(p["bidder"]) == key), None)
    return {"status": "ranked" if row.rank is not None else "valid", "rank": row.rank, "of": ranked_count,
            "total": None if row.total_h is None else str(from_hundredths(row.total_h)),
            "price_fen": row.corrected_price_fen,
            "evaluated_fen": price["evaluated"]["fen"] if price else row.corrected_price_fen,
            "deduction_percent": price["deduction_percent"] if price else "0.00"}


def letter_data(committee: Committee, award: Award) -> list[dict]:
    """Each bidder's letter as plain data, in the opening order: the common part (project, winner, price,
    dates) and the bidder's own outcome."""
    from evaluation.periods import challenge_due, contract_due
    from evaluation.reporting import current_report, report_contents
    from evaluation.room import lot_of, opened_bids, project_of
    from tender.models import OpeningRecord

    project, lot = project_of(committee), lot_of(committee)
    winner_line = db.session.scalar(select(OpeningRecord).where(OpeningRecord.bid_id == award.candidate.bid_id))
    price = award.candidate.price_fen
    contents = report_contents(committee, current_report(committee))
    rows = {r.bid_id: r for r in db.session.scalars(select(BidEvaluation).where(
        BidEvaluation.committee_id == committee.id))}
    ranked_count = sum(1 for r in rows.values() if r.rank is not None)
    due = challenge_due(award)
    common = {
        "project": {"code": project.code, "title": project.title, "method": project.method.value},
        "lot": {"number": lot.number, "name": lot.name},
        "purchaser": db.session.get(Org, project.purchaser_org_id).name,
        "agency": db.session.get(Org, project.agency_org_id).name,
        "word": word_of(project.method.value), "eval_method": committee.eval_method.value,
        "winner": {"name": winner_line.bidder_name, "price_fen": price, "price_words": money.to_chinese_upper(price)},
        "issued": clock.to_local(award.notified_at).date().isoformat(),
        "contract_due": contract_due(award).isoformat(),
        "challenge_due": due.isoformat() if due else None,
    }
    letters = []
    for bid, line in opened_bids(committee):
        won = bid.id == award.candidate.bid_id
        letters.append({**common, "org": bid.org_id, "bid": bid.id, "name": line.bidder_name,
                        "kind": LetterKind.AWARD.value if won else LetterKind.RESULT.value,
                        "outcome": None if won else _outcome(rows.get(bid.id), bid.id, contents, ranked_count)})
    return letters


# ---------------------------------------------------------------- the PDF

_text = escape  # user-written text in a Paragraph (core.pdf); `report_pdf.table` escapes its string cells


def title_of(data: dict) -> str:
    return TITLE_ZH[data["kind"]].format(word=data["word"])


def _outcome_story(data: dict, style: dict) -> list:
    from reportlab.platypus import Paragraph

    body, h2 = style["body"], style["h2"]
    outcome, word = data["outcome"], data["word"]
    story = [Paragraph("一、贵单位的评审结果", h2)]
    status = outcome["status"]
    if status == "excluded":
        story.append(Paragraph("贵单位的投标（响应）经评审委员会评审，被认定为无效投标（响应），未进入评审排序。理由如下：",
                               body))
        rows = [["审查阶段", "未通过的要求", "理由"]]
        rows += [[STAGE_ZH.get(f["stage"], f["stage"]), f["requirement"], "；".join(f["reasons"]) or "—"]
                 for f in outcome["failures"]]
        rows += [["—", "—", r] for r in outcome["reasons"]]
        story.append(report_pdf.table(rows, [30, 55, 95]))
    elif status == "not_evaluated":
        story.append(Paragraph("开标时未能读出贵单位的有效报价，贵单位的投标未进入评审。", body))
    else:
        rank = f"第 {outcome['rank']} 名（共 {outcome['of']} 家有效投标参与排序）" if outcome["rank"] else "未排序"
        rows = [["项目", "贵单位的评审结果"]]
        if data["eval_method"] == "scoring" and outcome["total"] is not None:
            rows.append(["评审得分（各成员评分的平均值，含价格分）", f"{outcome['total']} 分"])
        rows += [["评审价格（元）", money.format_yuan(outcome["evaluated_fen"])
                  + (f"（报价 {money.format_yuan(outcome['price_fen'])} 元，价格扣除 {outcome['deduction_percent']}%）"
                     if outcome["evaluated_fen"] != outcome["price_fen"] else "")],
                 ["排序", rank]]
        story.append(report_pdf.table(rows, [75, 105]))
        method = "综合评分法" if data["eval_method"] == "scoring" else "最低评标价法"
        story.append(Paragraph(f"本项目采用{method}，按评审委员会推荐的候选人顺序确定{word}供应商。"
                               f"贵单位未被确定为{word}供应商。", body))
    return story


def render(data: dict) -> bytes:
    """One letter as a PDF (deterministic: `invariant=1`)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    style = report_pdf.styles()
    title, h2, body = style["title"], style["h2"], style["body"]
    project, lot, winner, word = data["project"], data["lot"], data["winner"], data["word"]
    price = f"人民币 {money.format_yuan(winner['price_fen'])} 元（大写：{winner['price_words']}）"
    subject = (f"{_text(project['title'])}（项目编号：{_text(project['code'])}）"
               f"标项 {lot['number']}：{_text(lot['name'])}")
    story = [Paragraph(title_of(data), title), Spacer(1, 6 * mm), Paragraph(f"{_text(data['name'])}：", body),
             Spacer(1, 2 * mm)]
    if data["kind"] == LetterKind.AWARD.value:
        story += [Paragraph(f"　　贵单位参加的{subject}的采购活动，经评审委员会评审，并经采购人"
                            f"{_text(data['purchaser'])}依法确定，贵单位为{word}供应商。", body),
                  Spacer(1, 2 * mm),
                  report_pdf.table([["项目", "内容"], ["项目名称", project["title"]], ["项目编号", project["code"]],
                                    ["标项", f"{lot['number']}　{lot['name']}"],
                                    [f"{word}供应商", winner["name"]], [f"{word}金额", price]], [40, 140]),
                  Spacer(1, 2 * mm),
                  Paragraph(f"　　请贵单位自本通知书发出之日起 30 日内（{data['contract_due']} 前），"
                            f"按照采购文件和贵单位的投标（响应）文件与采购人签订政府采购合同（《政府采购法》第四十六条）。"
                            f"本通知书发出后，采购人改变{word}结果或者贵单位放弃{word}项目的，应当依法承担法律责任。",
                            body)]
    else:
        story += [Paragraph(f"　　贵单位参加的{subject}的采购活动，评审已经结束，{word}结果已于 {data['issued']} 公告。"
                            f"现将结果及贵单位的评审情况通知如下。", body)]
        story += _outcome_story(data, style)
        story += [Paragraph(f"二、{word}结果", h2),
                  report_pdf.table([["项目", "内容"], [f"{word}供应商", winner["name"]],
                                    [f"{word}金额", price]], [40, 140])]
        if data["challenge_due"]:
            story += [Paragraph("三、质疑", h2),
                      Paragraph(f"　　贵单位认为采购过程、{word}结果使自己的权益受到损害的，"
                                f"可以在 {data['challenge_due']}（含当日）前，以书面形式向采购人或采购代理机构提出质疑"
                                "（在标云平台本项目的“质疑与投诉”页面提交，附证明材料）。", body)]
        story.append(Paragraph("　　感谢贵单位对政府采购工作的支持。", body))
    story += [Spacer(1, 10 * mm),
              Paragraph(f"采购人：{_text(data['purchaser'])}", body),
              Paragraph(f"采购代理机构（受采购人委托发出）：{_text(data['agency'])}", body),
              Paragraph(f"日期：{data['issued']}", body), Spacer(1, 6 * mm),
              Paragraph("本通知书由标云平台在发布结果公告时生成并送达，其 SHA-256 摘要记入不可篡改的审计日志。", body)]
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=20 * mm,
                      bottomMargin=20 * mm, title=f"{project['code']} {title_of(data)}", invariant=1,
                      initialFontName=cjk_font()).build(story)
    return out.getvalue()


# ---------------------------------------------------------------- issuing and reading

def issue(committee: Committee, award: Award) -> list[AwardLetter]:
    """At the publication (inside `publish_result`): one letter per bidder, stored, recorded, audited once."""
    made = []
    for data in letter_data(committee, award):
        pdf = render(data)
        relative = f"letters/{award.id}/{data['org']}-{data['kind']}.pdf"
        report_pdf.store(relative, pdf)
        letter = AwardLetter(award_id=award.id, org_id=data["org"], kind=LetterKind(data["kind"]), path=relative,
                             sha256=hashlib.sha256(pdf).hexdigest(), issued_at=award.notified_at)
        db.session.add(letter)
        made.append(letter)
    db.session.flush()
    record("evaluation.letters_issued", award, {
        "letters": [{"org": m.org_id, "kind": m.kind.value, "sha256": m.sha256} for m in made]})
    return made


def letter_message(letter: AwardLetter) -> tuple[dict, list[int]]:
    """The real-time message linking a bidder to its own letter: the award notice to the winner, the
    result letter (with its own evaluation) to each other bidder."""
    url = f"/evaluation/letters/{letter.id}.pdf"
    if letter.kind is LetterKind.AWARD:
        return ({"title": "中标（成交）通知书", "level": "success", "url": url,
                 "body": "贵单位被确定为中标（成交）供应商，请按通知书在 30 日内签订合同。"}, [letter.org_id])
    return ({"title": "采购结果通知书", "level": "info", "url": url,
             "body": "本项目评审结果已公告，通知书载明贵单位的评审结果。"}, [letter.org_id])


def letters_of(award: Award) -> list[AwardLetter]:
    return list(db.session.scalars(select(AwardLetter).where(AwardLetter.award_id == award.id)
                                   .order_by(AwardLetter.id)))


def can_read(user: User, letter: AwardLetter) -> bool:
    """The letter's own organisation, the project's agency and purchaser, the region's supervisors and the
    admin; never another bidder."""
    from evaluation import room

    if user is None or not user.is_authenticated:
        return False
    if user.org_id is not None and user.org_id == letter.org_id:
        return True
    committee = room.committee_for_lot(db.session.get(Award, letter.award_id).lot_id)
    return (room.is_agency(user, committee) or room.is_purchaser(user, committee)
            or room.is_supervisor(user, committee) or user.has_role(Role.ADMIN))


def visible_letters(user: User, award: Award) -> list[AwardLetter]:
    return [letter for letter in letters_of(award) if can_read(user, letter)]


def letter_for(user: User, letter_id: int) -> AwardLetter:
    """The letter, for someone allowed to read it (otherwise: not found, so nobody learns it exists)."""
    letter = db.session.get(AwardLetter, letter_id)
    if letter is None or not can_read(user, letter):
        raise NotFound("通知书不存在。", code="letter_not_found")
    return letter


def bidder_names(committee: Committee) -> dict[int, str]:
    """{org id: the bidder's name as read at the opening}, to label the letters of a lot."""
    from evaluation.room import opened_bids

    return {bid.org_id: line.bidder_name for bid, line in opened_bids(committee)}


def absolute(letter: AwardLetter):
    return report_pdf.absolute(letter.path)


def download_name(letter: AwardLetter) -> str:
    kind = "award-notice" if letter.kind is LetterKind.AWARD else "result-letter"
    return f"{kind}-{letter.award_id}-{letter.org_id}.pdf"
