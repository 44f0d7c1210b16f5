"""The evaluation report's contents as canonical data: what the PDF shows and what the audit log hashes.

87号令 Art 53 lists what the report holds: the members, the reviews and the bids excluded with
their reasons, the scores (each member's, per criterion), the ranking and the recommended
candidates, the clarifications, the price corrections, and the members' differing opinions.
`report_payload` gathers them from a `LotOutcome` into plain JSON values only (str, int, bool,
None, lists, dicts with string keys): scores are strings with two decimals ("88.49"), money is
integer fen (an exact evaluated price that falls between two fen is shown rounded half up, the
exact value is "num/den"), so `audit.canonical.canonical_json` accepts it unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from evaluation.opinions import ReportPosition
from evaluation.review import BidderReview
from evaluation.scoring import MemberScore
from evaluation.summary import LotOutcome

__all__ = ["REPORT_VERSION", "MemberInfo", "report_payload"]

REPORT_VERSION = 1


@dataclass(frozen=True)
class MemberInfo:
    ref: int | str
    name: str
    is_purchaser_rep: bool = False
    hand_picked: bool = False
    is_chair: bool = False

    @property
    def role(self) -> str:
        return "chair" if self.is_chair else "purchaser_rep" if self.is_purchaser_rep else "member"


def report_payload(outcome: LotOutcome, *, members: Sequence[MemberInfo], reviews: Mapping[object, BidderReview],
                   scores: Iterable[MemberScore] = (), positions: Sequence[ReportPosition] = (),
                   clarifications: Sequence[Mapping[str, object]] = (),
                   tie_break_on_evaluated_price: bool = False) -> dict[str, object]:
    """The report as plain data, in a fixed order (members, then bids in the committee's order)."""
    valid = set(outcome.valid)
    return {
        "version": REPORT_VERSION,
        "members": [{"id": m.ref, "name": m.name, "role": m.role, "hand_picked": m.hand_picked} for m in members],
        "reviews": [_review(review) for review in reviews.values()],
        "exclusions": [{"bidder": e.bidder, "code": e.code, "reasons": list(e.reasons)} for e in outcome.exclusions],
        "price_corrections": [
            {"bidder": bidder, "rule": c.rule.value, "field": c.field, "from_fen": c.from_fen, "to_fen": c.to_fen,
             "message": c.message}
            for bidder, result in outcome.corrected.items() for c in result.corrections],
        "low_prices": [
            {"bidder": f.bidder, "price_fen": f.price,
             "triggers": [{"code": t.code.value, "percent": str(t.percent), "threshold": _fen(t.threshold)}
                          for t in f.triggers]}
            for f in outcome.low_prices],
        "clarifications": [dict(item) for item in clarifications],
        "prices": [
            {"bidder": bidder, "price_fen": p.price, "deduction_percent": str(p.deduction_percent),
             "evaluated": _fen(p.evaluated),
             "price_score": str(outcome.prices.scores[bidder]) if outcome.prices is not None else None}
            for bidder, p in outcome.evaluated.items()],
        "benchmark": _fen(outcome.prices.benchmark) if outcome.prices and outcome.prices.benchmark else None,
        "scores": [{"member": s.member, "bidder": s.bidder, "criterion": s.criterion, "score": f"{s.score:.2f}"}
                   for s in scores if s.bidder in valid],
        "totals": [{"bidder": bidder, "member_totals": {str(m): f"{v:.2f}" for m, v in t.member_totals.items()},
                    "total": str(t.total)} for bidder, t in outcome.totals.items()],
        "ranking": [_ranked(r) for r in outcome.ranking],
        "same_brand": None if outcome.same_brand is None else {
            "set_aside": [{"bidder": b, "brand": brand, "kept": kept}
                          for b, brand, kept in outcome.same_brand.set_aside],
            "undecided": list(outcome.same_brand.undecided)},
        "candidates": [] if outcome.candidates is None else [_ranked(r) for r in outcome.candidates.ranked],
        "needs_tie_break": bool(outcome.candidates and outcome.candidates.needs_tie_break),
        # Art 57 breaks equal scores by the bid price; a region may have chosen the evaluated price
        "tie_break": "evaluated_price" if tie_break_on_evaluated_price else "bid_price",
        "failed": outcome.failed_code,
        "positions": [{"member": p.member, "position": p.position.value,
                       "dissents": [{"subject": d.subject, "reasons": d.reasons} for d in p.dissents]}
                      for p in positions],
    }


def _review(review: BidderReview) -> dict[str, object]:
    return {"bidder": review.bidder, "passed": review.passed, "failures": [
        {"stage": f.stage.value, "requirement": f.requirement, "votes_for": f.votes_for,
         "votes_against": f.votes_against, "reasons": [{"member": m, "reason": r} for m, r in f.reasons]}
        for f in review.failures]}


def _ranked(r) -> dict[str, object]:
    return {"bidder": r.bidder, "rank": r.rank, "tied": r.tied, "total": None if r.total is None else str(r.total),
            "price": _fen(r.price)}


def _fen(value: Fraction | int) -> dict[str, object]:
    """Money that may fall between two fen: shown rounded half up, with the exact value beside it."""
    exact = Fraction(value)
    whole, rest = divmod(exact.numerator, exact.denominator)
    shown = whole + (1 if 2 * rest >= exact.denominator else 0)
    return {"fen": shown, "exact": None if exact.denominator == 1 else f"{exact.numerator}/{exact.denominator}"}
