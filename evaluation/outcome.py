"""The rules over the rows: the room's rows become the pure engine's inputs (`lot_inputs`), its
outcome (`outcome_of`) goes back into the rows (`apply_exclusions`), and a lot with too few valid bids fails.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from audit.service import record
from core import clock
from core.db import db
from core.errors import Conflict
from evaluation.clarifying import confirmation_of, price_requests_of, price_statement
from evaluation.low_price import decide_explanation as decide_low_price
from evaluation.models import (
    ClarificationKind,
    Committee,
    EvaluationClarification,
    FlagResolution,
    Review,
    Score,
    ScoreFlag,
    from_hundredths,
)
from evaluation.review import ReviewStage, ReviewVote, decide_reviews
from evaluation.room import C, bid_rows, lot_of, opened_bids, project_of, requirements_of, rules_of, scheme_of
from evaluation.rules import RulesError
from evaluation.scoring import MemberScore, TenderTerms
from evaluation.summary import BidInput, LotOutcome, summarise_lot
from evaluation.transitions import move


def reviews_of(committee: Committee):
    members = [m.id for m in committee.active_members]
    votes = [ReviewVote(r.stage, r.member_id, r.bid_id, r.requirement, r.passed, r.reason)
             for r in db.session.scalars(select(Review).where(Review.committee_id == committee.id))
             if r.member_id in members]
    reqs = {ReviewStage(k): v for k, v in requirements_of(committee).items()}
    return decide_reviews(votes, members, [b.id for b, _ in opened_bids(committee)], reqs)


def small_micro_share(detail: dict | None) -> Decimal:
    """The consortium's or subcontract's small/micro share of the contract its sealed summary declares."""
    return Decimal((detail or {}).get("small_micro_share_percent") or 0)


def lot_inputs(committee: Committee) -> dict[str, Any]:
    """The pure engine's inputs from the rows: bids, reviews, terms, scheme, members, scores, resolved flags."""
    from tender.transitions import Category

    project, lot = project_of(committee), lot_of(committee)
    rows = bid_rows(committee)
    explanations = {c.bid_id: c for c in db.session.scalars(select(EvaluationClarification).where(
        EvaluationClarification.committee_id == committee.id,
        EvaluationClarification.kind == ClarificationKind.LOW_PRICE).order_by(EvaluationClarification.id))}
    price_requests = price_requests_of(committee)
    bids = []
    for bid, line in opened_bids(committee):
        row = rows.get(bid.id)
        if row is None:  # no price read at the opening (0): the engine excludes it, with its reason
            bids.append(BidInput(bid.id, price_statement(0, line.price_detail), brand=line.brand or None))
            continue
        decision = None
        item = explanations.get(bid.id)
        if item is not None and item.decided_at is not None:
            decision = decide_low_price(bid.id, accepted=item.accepted if item.answered_at else None,
                                        answered_at=item.answered_at, deadline=item.due_at,
                                        reason=item.decision_reason or "")
        bids.append(BidInput(bid.id, price_statement(line.price_fen or 0, line.price_detail),
                             correction_confirmed=confirmation_of(row, price_requests.get(bid.id)), sme=row.sme_class,
                             small_micro_share_percent=small_micro_share(line.price_detail),
                             brand=line.brand or None, explanation=decision))
    members = [m.id for m in committee.active_members]
    scores = [MemberScore(s.member_id, s.bid_id, s.criterion, from_hundredths(s.score_h))
              for s in db.session.scalars(select(Score).where(Score.committee_id == committee.id))
              if s.member_id in members]
    resolved = {(f.code.value, f.member_id, f.bid_id, f.criterion) for f in db.session.scalars(
        select(ScoreFlag).where(ScoreFlag.committee_id == committee.id,
                                ScoreFlag.resolution == FlagResolution.CONFIRMED))}
    category = Category(project.category.value)
    terms = TenderTerms(category=category, small_micro_percent=project.sme_percent,
                        consortium_percent=project.sme_consortium_percent)  # the tender document's rates
    return {"bids": bids, "terms": terms, "scheme": scheme_of(committee),
            "members": members, "scores": scores, "resolved": resolved, "ceiling": lot.max_price_fen,
            "budget": lot.budget_fen, "same_brand": project.same_brand_counts_once}


def outcome_of(committee: Committee, *, with_scores: bool = True) -> tuple[LotOutcome, dict]:
    inputs = lot_inputs(committee)
    try:
        reviews = reviews_of(committee)
        outcome = summarise_lot(inputs["bids"], reviews, inputs["terms"], scheme=inputs["scheme"],
                                members=inputs["members"], scores=inputs["scores"] if with_scores else (),
                                resolved_flags=inputs["resolved"], ceiling=inputs["ceiling"],
                                budget=inputs["budget"], same_brand_counts_once=inputs["same_brand"],
                                rules=rules_of(committee))
    except RulesError as exc:
        raise Conflict(exc.message, code=exc.code) from None
    inputs["reviews"] = reviews
    return outcome, inputs


def apply_exclusions(committee: Committee, outcome: LotOutcome) -> None:
    rows = bid_rows(committee)
    excluded = {e.bidder: e for e in outcome.exclusions}
    for bid_id, row in rows.items():
        e = excluded.get(bid_id)
        row.excluded = e is not None
        row.exclusion_code = e.code if e else None
        row.exclusion_reason = "；".join(e.reasons)[:2000] if e else None
        if e:
            row.rank = None
        if bid_id in outcome.corrected:
            row.corrected_price_fen = outcome.corrected[bid_id].price


FAILURE_REASONS = {
    "evaluation.too_few_valid_bids": "符合资格条件或对招标文件作实质响应的供应商不足三家"
                                     "（《政府采购法》第三十六条第一款第（一）项），本标项废标。",
}


def fail_lot(committee: Committee, code: str) -> None:
    """The lot fails in the evaluation: the committee ends, the lot is settled as failed with its notice."""
    from tender.service import settle_lot
    from tender.transitions import LotStatus

    move(committee, C.FAILED)
    committee.completed_at = clock.now()
    settle_lot(lot_of(committee), LotStatus.FAILED, FAILURE_REASONS.get(code, "评标委员会认定本标项废标。"))
    record("evaluation.failed", committee, {"code": code})
