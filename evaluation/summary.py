"""One lot's evaluation from the committee's inputs to its ranked candidates, every rule in order.

`summarise_lot` is what the room's services call when the committee asks for the summary; it is
pure, so the report can be recomputed by anyone from the recorded inputs:
1. reviews (`review.decide_reviews`): a bidder failing any requirement is excluded;
2. price consistency (`price_correction.correct_price`): a correction the bidder has not yet
   answered holds the summary; a declined one excludes the bid (87号令 Art 59);
3. abnormally low prices (`low_price.detect_low_prices`) among the bids still in, on corrected
   prices: an explanation not yet decided holds the summary; a rejected one excludes (Art 60);
4. too few valid bids fail the lot (政府采购法 Art 36 (一): fewer than three that respond to the
   tender document; `RuleSet.min_valid_bids`);
5. evaluated prices with SME deductions; under the scoring method the price scores, the
   consistency flags (an unresolved flag holds the summary), the totals and the ranking; under
   the lowest-price method the ranking by evaluated price;
6. the same-brand rule when the tender applies it (Art 31), then the candidates.
The outcome says what holds it (`pending`, `open_flags`), or what it concluded.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from core.money import Fen
from evaluation.consistency import CONFIRMABLE, Flag, check_scores
from evaluation.low_price import ExplanationOutcome, LowPriceFinding, detect_low_prices
from evaluation.price_correction import CorrectedPrice, PriceStatement, correct_price
from evaluation.review import BidderReview
from evaluation.rules import DEFAULT_RULES, Ref, RulesError, RuleSet
from evaluation.scoring import (
    BidderTotal,
    Candidates,
    EvaluatedPrice,
    MemberScore,
    PricedBid,
    PriceScores,
    RankedBid,
    SameBrand,
    ScoringScheme,
    SmeClass,
    TenderTerms,
    apply_same_brand,
    bidder_totals,
    choose_candidates,
    evaluated_price,
    price_scores,
    rank_by_price,
    rank_by_score,
)

__all__ = ["BidInput", "Exclusion", "FlagKey", "LotOutcome", "Pending", "summarise_lot"]

# (code, member, bidder, criterion) of a flag the member confirmed with a reason; only outlier flags
# can be confirmed (`consistency.CONFIRMABLE`), every other flag must be corrected to go away.
FlagKey = tuple[str, Ref, Ref, Ref | None]


@dataclass(frozen=True)
class BidInput:
    """One opened bid as the committee has it."""

    bidder: Ref
    statement: PriceStatement
    correction_confirmed: bool | None = None  # the bidder's answer, when corrections were needed
    sme: SmeClass = SmeClass.NONE
    small_micro_share_percent: Decimal = Decimal(0)
    brand: str | None = None                  # of the core product, for the same-brand rule
    explanation: ExplanationOutcome | None = None  # the committee's decision on a low-price explanation


NOT_POSITIVE = "投标报价为零或负数，不能参与价格评审，其投标无效"


@dataclass(frozen=True)
class Exclusion:
    bidder: Ref
    code: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Pending:
    bidder: Ref
    code: str  # price.awaiting_confirmation, price.*_words_unreadable, low_price.awaiting_explanation


@dataclass(frozen=True)
class LotOutcome:
    corrected: dict[Ref, CorrectedPrice]
    exclusions: tuple[Exclusion, ...]
    low_prices: tuple[LowPriceFinding, ...]
    pending: tuple[Pending, ...] = ()
    valid: tuple[Ref, ...] = ()
    failed_code: str | None = None
    evaluated: dict[Ref, EvaluatedPrice] = field(default_factory=dict)
    prices: PriceScores | None = None
    open_flags: tuple[Flag, ...] = ()
    totals: dict[Ref, BidderTotal] = field(default_factory=dict)
    ranking: tuple[RankedBid, ...] = ()
    same_brand: SameBrand | None = None
    candidates: Candidates | None = None

    @property
    def complete(self) -> bool:
        """The summary may be accepted: nothing pending, no open flag, and a result either way."""
        return not self.pending and not self.open_flags and (self.failed_code is not None
                                                                or self.candidates is not None)


def summarise_lot(bids: Sequence[BidInput], reviews: Mapping[Ref, BidderReview], terms: TenderTerms, *,
                  scheme: ScoringScheme | None, members: Sequence[Ref] = (), scores: Iterable[MemberScore] = (),
                  resolved_flags: Collection[FlagKey] = (), ceiling: Fen | None = None,
                  budget: Fen | None = None, same_brand_counts_once: bool = False,
                  rules: RuleSet = DEFAULT_RULES) -> LotOutcome:
    """Apply the rules in order; `scheme` None means the lowest evaluated price method."""
    if len({bid.bidder for bid in bids}) != len(bids):
        raise RulesError("summary.duplicate_bidder", "同一投标人有多份投标")
    exclusions = [Exclusion(b.bidder, "review.failed", reviews[b.bidder].reasons) for b in bids
                  if b.bidder in reviews and not reviews[b.bidder].passed]
    missing = [b.bidder for b in bids if b.bidder not in reviews]
    if missing:
        raise RulesError("summary.review_missing", f"投标人{missing[0]}尚未完成资格和符合性审查")
    compliant = [b for b in bids if reviews[b.bidder].passed]
    corrected = {b.bidder: correct_price(b.statement, rules) for b in compliant}
    pending: list[Pending] = []
    priced: list[BidInput] = []
    for bid in compliant:
        result = corrected[bid.bidder]
        pending += [Pending(bid.bidder, code) for code in result.problems]
        if result.price <= 0:  # not scorable (the benchmark divides by it): excluded, the others go on
            exclusions.append(Exclusion(bid.bidder, "price.not_positive", (NOT_POSITIVE,)))
        elif result.needs_confirmation and bid.correction_confirmed is None:
            pending.append(Pending(bid.bidder, "price.awaiting_confirmation"))
        elif result.needs_confirmation and not bid.correction_confirmed:
            exclusions.append(Exclusion(bid.bidder, "price.correction_declined",
                                        ("投标人不确认修正后的报价，其投标无效",)))
        else:
            priced.append(bid)
    low = detect_low_prices({b.bidder: corrected[b.bidder].price for b in priced}, ceiling=ceiling,
                            budget=budget, rules=rules)
    flagged = {finding.bidder for finding in low}
    valid: list[BidInput] = []
    for bid in priced:
        decision = bid.explanation
        if bid.bidder in flagged and decision is None:
            pending.append(Pending(bid.bidder, "low_price.awaiting_explanation"))
        elif decision is not None and decision.excluded:
            exclusions.append(Exclusion(bid.bidder, decision.code, (decision.reason,)))
        else:
            valid.append(bid)
    outcome = LotOutcome(corrected, tuple(exclusions), tuple(low), tuple(pending), tuple(b.bidder for b in valid))
    if pending:
        return outcome
    if len(valid) < rules.min_valid_bids:
        return _replace(outcome, failed_code="evaluation.too_few_valid_bids")
    evaluated = {b.bidder: evaluated_price(PricedBid(b.bidder, corrected[b.bidder].price, b.sme,
                                                     b.small_micro_share_percent), terms, rules) for b in valid}
    outcome = _replace(outcome, evaluated=evaluated)
    if scheme is None:
        ranking = rank_by_price(evaluated)
    else:
        outcome, ranking = _score(outcome, valid, scheme, members, scores, resolved_flags, rules)
        if outcome.open_flags:
            return outcome
    brands = apply_same_brand(ranking, {b.bidder: b.brand for b in valid}) if same_brand_counts_once else None
    final = brands.ranking if brands is not None else tuple(ranking)
    return _replace(outcome, ranking=tuple(ranking), same_brand=brands, candidates=choose_candidates(final, rules))


def _score(outcome: LotOutcome, valid: Sequence[BidInput], scheme: ScoringScheme, members: Sequence[Ref],
           scores: Iterable[MemberScore], resolved: Collection[FlagKey],
           rules: RuleSet) -> tuple[LotOutcome, list[RankedBid]]:
    bidders = tuple(b.bidder for b in valid)
    mine = [s for s in scores if s.bidder in bidders]  # scores of excluded bids do not count
    prices = price_scores([outcome.evaluated[b] for b in bidders], scheme.price_points, rules)
    flags = [f for f in check_scores(mine, scheme, members, bidders, prices=prices, rules=rules)
             if f.code not in CONFIRMABLE or (f.code.value, f.member, f.bidder, f.criterion) not in resolved]
    outcome = _replace(outcome, prices=prices, open_flags=tuple(flags))
    if flags:
        return outcome, []
    totals = bidder_totals(mine, scheme, members, bidders, prices, rules)
    ranking = rank_by_score({b: t.total for b, t in totals.items()}, outcome.evaluated, rules)
    return _replace(outcome, totals=totals), ranking


def _replace(outcome: LotOutcome, **changes: object) -> LotOutcome:
    return replace(outcome, **changes)  # type: ignore[arg-type]
