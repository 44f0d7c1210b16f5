"""Questions to the bidders: clarifications (87号令 Art 51), low-price explanations (Art 60) and
price corrections the bidder confirms (Art 59), each answered from the bidder's own pages, signed with its key.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from accounts.models import Role, User
from audit.service import record
from core import clock
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationError
from evaluation.low_price import decide_explanation as decide_low_price
from evaluation.low_price import explanation_deadline
from evaluation.models import (
    BidEvaluation,
    ClarificationKind,
    Committee,
    EvaluationClarification,
)
from evaluation.price_correction import PriceStatement
from evaluation.room import (
    C,
    bid_names,
    bid_of,
    bid_rows,
    get_committee,
    opened_bids,
    require,
    require_chair,
    require_status,
    rules_of,
)
from evaluation.rules import RulesError
from evaluation.visibility import Action, Actor, can


def ask_clarification(user: User, committee_id: int, bid_id: int, question: str, *,
                      kind: str = ClarificationKind.CLARIFICATION.value, minutes: int | None = None
                      ) -> EvaluationClarification:
    """The chair sends a question (or a low-price explanation request) to one bidder, with a deadline."""
    committee = get_committee(committee_id, lock=True)
    require(user, committee, Action.ASK_CLARIFICATION)
    chair = require_chair(user, committee)
    bid = bid_of(committee, bid_id)
    question = (question or "").strip()
    if not question or len(question) > 2000:
        raise ValidationError("请填写澄清问题（不超过 2000 字）。", code="question_invalid")
    kind_enum = ClarificationKind(kind)
    now = clock.now()
    if kind_enum is ClarificationKind.LOW_PRICE:
        due = explanation_deadline(now, rules_of(committee))
        row = bid_rows(committee)[bid.id]
        row.low_price_due_at = due
    else:
        due = now + timedelta(minutes=max(10, min(int(minutes or 60), 24 * 60)))
    item = EvaluationClarification(committee_id=committee.id, bid_id=bid.id, kind=kind_enum, question=question,
                                   asked_by_id=chair.id, asked_at=now, due_at=due)
    db.session.add(item)
    db.session.flush()
    record("evaluation.clarification_asked", item, {"committee": committee.id, "bid": bid.id,
                                                     "kind": kind_enum.value, "question": question})
    return item


def clarifications_of_supplier(user: User) -> list[EvaluationClarification]:
    from tender.models import Bid

    if user is None or user.org_id is None or not user.has_role(Role.SUPPLIER):
        return []
    return list(db.session.scalars(select(EvaluationClarification).join(Bid, Bid.id == EvaluationClarification.bid_id)
                                   .where(Bid.org_id == user.org_id).order_by(EvaluationClarification.asked_at.desc())))


ANSWER_FORMAT = "biaoyun-clarification-answer/1"


def answer_document(item: EvaluationClarification) -> dict[str, Any]:
    """What the bidder signs to answer `item` (FORMAT.md §14), less the answer itself: its page adds
    `answer` (a clarification or a low-price explanation) or `confirmed` (a price correction) and signs
    the digest in the browser, or the API client does with `python -m crypto sign-document`. It binds the
    answer to this question, this bid and, for a correction, the corrected price."""
    from tender.models import Bid

    bid = db.session.get(Bid, item.bid_id)
    doc: dict[str, Any] = {"format": ANSWER_FORMAT, "clarification": item.id, "kind": item.kind.value,
                           "bid_sha256": bid.sha256,
                           "question_sha256": hashlib.sha256(item.question.encode()).hexdigest()}
    if item.kind is ClarificationKind.PRICE_CORRECTION:
        doc["corrected_price_fen"] = bid_rows(get_committee(item.committee_id))[bid.id].corrected_price_fen
    return doc


def _open_question(user: User, clarification_id: int) -> tuple[EvaluationClarification, Committee, Any]:
    """The question this bidder may still answer (locked), its committee and the bid; else a clear refusal."""
    from tender.models import Bid

    item = db.session.scalar(select(EvaluationClarification).where(
        EvaluationClarification.id == clarification_id).with_for_update())
    if item is None:
        raise NotFound("澄清问题不存在。", code="clarification_not_found")
    bid = db.session.get(Bid, item.bid_id)
    if not (user.has_role(Role.SUPPLIER) and user.org_id == bid.org_id):
        raise Forbidden("只有被询问的投标人可以答复。", code="not_the_bidder")
    committee = get_committee(item.committee_id)
    if not can(Actor.BIDDER, Action.ANSWER_CLARIFICATION, committee.status):
        raise Conflict("评审委员会已不接受澄清答复。", code="clarification_closed")
    if item.answered_at is not None:
        raise Conflict("此问题已答复，不能更改。", code="already_answered")
    if clock.now() > item.due_at:
        raise Conflict("答复期限已过。", code="clarification_overdue")
    return item, committee, bid


def _sign_answer(user: User, item: EvaluationClarification, document: dict, signature: str, text: str) -> str:
    """Check the bidder's signature over `document`, record the answer; returns the key's fingerprint."""
    from accounts.service import verify_document_signature

    key = verify_document_signature(user, document, signature)
    item.answer, item.answered_at, item.answered_by_id = text, clock.now(), user.id
    item.answer_sha256 = hashlib.sha256(text.encode()).hexdigest()
    item.answer_signature, item.answer_key_id = signature.strip(), key.id
    return key.fingerprint


def answer_clarification(user: User, clarification_id: int, answer: str, signature: str) -> EvaluationClarification:
    """The bidder answers from its own pages before the deadline, signed with its key (a clarification
    must be the bidder's own written act, 87号令 Art 51); the answer's hash and the signature go to the
    audit log. Line ends are normalised to LF and the text trimmed (`normalise_answer`) before checking."""
    item, committee, bid = _open_question(user, clarification_id)
    if item.kind is ClarificationKind.PRICE_CORRECTION:
        raise ValidationError("价格修正请以确认或不确认答复。", code="answer_by_confirming")
    answer = normalise_answer(answer)
    if not answer or len(answer) > 10000:
        raise ValidationError("请填写答复内容（不超过 10000 字）。", code="answer_invalid")
    fingerprint = _sign_answer(user, item, {**answer_document(item), "answer": answer}, signature, answer)
    record("evaluation.clarification_answered", item, {"committee": committee.id, "bid": bid.id,
                                                        "sha256": item.answer_sha256, "key": fingerprint,
                                                        "signature": item.answer_signature})
    return item


def normalise_answer(text: str | None) -> str:
    """What is signed: CRLF line ends (as browsers post a textarea) become LF, and the ends are trimmed."""
    return (text or "").replace("\r\n", "\n").strip()


def decide_explanation(user: User, clarification_id: int, accepted: bool, reason: str = "") -> EvaluationClarification:
    """The chair records the committee's decision on a low-price explanation (no answer in time = rejected)."""
    item = db.session.get(EvaluationClarification, clarification_id)
    if item is None or item.kind is not ClarificationKind.LOW_PRICE:
        raise NotFound("异常低价说明不存在。", code="clarification_not_found")
    committee = get_committee(item.committee_id, lock=True)
    require_status(committee, C.REVIEWING, C.SCORING)
    require_chair(user, committee)
    if item.decided_at is not None:
        raise Conflict("已作出结论。", code="already_decided")
    if item.answered_at is None and clock.now() <= item.due_at:
        raise Conflict("说明期限未到，投标人尚未答复。", code="explanation_pending")
    try:
        outcome = decide_low_price(item.bid_id, accepted=accepted if item.answered_at else None,
                                   answered_at=item.answered_at, deadline=item.due_at, reason=reason or "")
    except RulesError as exc:
        raise ValidationError(exc.message, code=exc.code) from None
    item.accepted, item.decided_at = not outcome.excluded, clock.now()
    item.decision_reason = (outcome.reason or "")[:500]
    record("evaluation.explanation_decided", item, {"committee": committee.id, "bid": item.bid_id,
                                                     "code": outcome.code, "excluded": outcome.excluded})
    return item


def price_statement(price_fen: int, detail: dict | None) -> PriceStatement:
    """The bid's price as the opening read it (`OpeningRecord.price_fen` + `price_detail`), for the engine.

    Only what the opening could read is there (`tender.price_detail`): unreadable words and malformed
    lines were left out and noted in the record's remarks, so the figures stand for them."""
    from evaluation.price_correction import LineItem

    detail = detail or {}
    items = tuple(LineItem(i["ref"], Decimal(i["quantity"]), i["unit_price_fen"], i["total_fen"])
                  for i in detail.get("items", []))
    return PriceStatement(summary_total=price_fen, summary_total_words=detail.get("price_words"),
                          body_total=detail.get("body_price_fen"), body_total_words=detail.get("body_price_words"),
                          items=items)


def price_requests_of(committee: Committee) -> dict[int, EvaluationClarification]:
    """Each bid's request to confirm its corrected price (the latest, if asked again)."""
    return {c.bid_id: c for c in db.session.scalars(select(EvaluationClarification).where(
        EvaluationClarification.committee_id == committee.id,
        EvaluationClarification.kind == ClarificationKind.PRICE_CORRECTION).order_by(EvaluationClarification.id))}


def confirmation_of(row: BidEvaluation, request: EvaluationClarification | None) -> bool | None:
    """The bidder's answer; no answer by the deadline counts as not confirmed (the bid is invalid)."""
    if row.correction_confirmed is not None:
        return row.correction_confirmed
    if request is not None and request.answered_at is None and clock.now() > request.due_at:
        return False
    return None


PRICE_PROBLEMS_ZH = {"price.summary_words_unreadable": "开标一览表大写金额无法识别，须向投标人澄清",
                     "price.body_words_unreadable": "投标函大写金额无法识别，须向投标人澄清"}


def price_review(committee: Committee) -> list[dict]:
    """What the committee sees of each bid's price: as read, the corrections by rule, the corrected
    price, what the opening could not read, and whether the bidder has confirmed."""
    from evaluation.price_correction import correct_price

    rules = rules_of(committee)
    rows = {r.bid_id: r for r in db.session.scalars(select(BidEvaluation).where(
        BidEvaluation.committee_id == committee.id))}  # read only: the page does not make rows
    requests = price_requests_of(committee)
    out = []
    for bid, line in opened_bids(committee):
        if not line.price_fen:
            continue
        result = correct_price(price_statement(line.price_fen, line.price_detail), rules)
        request = requests.get(bid.id)
        confirmed = confirmation_of(rows[bid.id], request) if bid.id in rows else None
        out.append({"bid": bid.id, "bidder": line.bidder_name, "read_price_fen": result.read_price,
                    "price_fen": result.price, "corrections": [c.message for c in result.corrections],
                    "problems": list((line.price_detail or {}).get("notes", []))
                    + [PRICE_PROBLEMS_ZH.get(code, code) for code in result.problems],
                    "needs_confirmation": result.needs_confirmation,
                    "requested": request is not None, "due_at": request.due_at if request else None,
                    "confirmed": confirmed if result.needs_confirmation else None,
                    "items": len((line.price_detail or {}).get("items", []))})
    return out


def request_price_confirmations(user: User, committee_id: int, minutes: int = 60) -> list[EvaluationClarification]:
    """The chair sends each bid whose price the rules correct its corrections, for the bidder to confirm
    or refuse from its own pages before the deadline (Art 59 last paragraph; refusing makes it invalid)."""
    from core.money import format_fen_cny
    from evaluation.models import PriceCorrectionRecord
    from evaluation.price_correction import correct_price

    committee = get_committee(committee_id, lock=True)
    require_status(committee, C.REVIEWING)
    chair = require_chair(user, committee)
    rules = rules_of(committee)
    rows = bid_rows(committee)
    asked = price_requests_of(committee)
    now = clock.now()
    due = now + timedelta(minutes=max(10, min(int(minutes or 60), 24 * 60)))
    made = []
    for bid, line in opened_bids(committee):
        if not line.price_fen or bid.id in asked:
            continue
        result = correct_price(price_statement(line.price_fen, line.price_detail), rules)
        if not result.needs_confirmation or result.price <= 0:
            continue
        row = rows[bid.id]
        row.corrections.clear()
        db.session.flush()
        for position, c in enumerate(result.corrections, start=1):
            row.corrections.append(PriceCorrectionRecord(position=position, rule=c.rule, field=c.field,
                                                         from_fen=c.from_fen, to_fen=c.to_fen, recorded_at=now))
        row.corrected_price_fen, row.correction_confirmed = result.price, None
        lines = "\n".join(f"{i}. {c.message}" for i, c in enumerate(result.corrections, start=1))
        question = ("评标委员会按《政府采购货物和服务招标投标管理办法》第五十九条对贵单位的投标报价作如下修正：\n"
                    f"{lines}\n修正后的投标报价为{format_fen_cny(result.price)}"
                    f"（开标时读出{format_fen_cny(result.read_price)}）。请在期限内确认；不确认或逾期未确认的，投标无效。")
        item = EvaluationClarification(committee_id=committee.id, bid_id=bid.id, question=question,
                                       kind=ClarificationKind.PRICE_CORRECTION, asked_by_id=chair.id, asked_at=now,
                                       due_at=due)
        db.session.add(item)
        db.session.flush()
        record("evaluation.price_correction_sent", item, {
            "committee": committee.id, "bid": bid.id, "read_price_fen": result.read_price,
            "corrected_price_fen": result.price,
            "corrections": [[c.rule.value, c.field, c.from_fen, c.to_fen] for c in result.corrections]})
        made.append(item)
    if not made:
        raise Conflict("没有需要投标人确认的价格修正（或已发送）。", code="no_price_corrections")
    return made


def answer_price_correction(user: User, clarification_id: int, confirmed: bool,
                            signature: str) -> EvaluationClarification:
    """The bidder confirms or refuses its corrected price from its own pages, before the deadline, signed
    with its key over the corrected price (87号令 Art 59: a correction binds only once the bidder confirms
    it in writing)."""
    from core.money import format_fen_cny

    item, committee, bid = _open_question(user, clarification_id)
    if item.kind is not ClarificationKind.PRICE_CORRECTION:
        raise NotFound("价格修正确认请求不存在。", code="price_correction_not_found")
    row = bid_rows(committee)[bid.id]
    price = format_fen_cny(row.corrected_price_fen)
    text = f"确认修正后的投标报价{price}。" if confirmed else f"不确认修正后的投标报价{price}。"
    fingerprint = _sign_answer(user, item, {**answer_document(item), "confirmed": bool(confirmed)}, signature, text)
    row.correction_confirmed = bool(confirmed)
    record("evaluation.price_correction_answered", item, {"committee": committee.id, "bid": bid.id,
                                                          "confirmed": bool(confirmed),
                                                          "corrected_price_fen": row.corrected_price_fen,
                                                          "key": fingerprint, "signature": item.answer_signature})
    return item


def clarification_items(committee: Committee) -> list[dict]:
    names = bid_names(committee)
    return [{"id": c.id, "bidder": c.bid_id, "bidder_name": names.get(c.bid_id, ""), "kind": c.kind.value,
             "question": c.question,
             "answer": c.answer, "answer_sha256": c.answer_sha256,
             "decision": None if c.accepted is None else ("accepted" if c.accepted else "rejected"),
             "reason": c.decision_reason}
            for c in db.session.scalars(select(EvaluationClarification).where(
                EvaluationClarification.committee_id == committee.id).order_by(EvaluationClarification.id))]
