"""Evaluated prices, the price score, totals, ranking and candidates (87号令 Art 55–57, 68).

- Evaluated price: the corrected bid price less the SME deduction the tender document grants
  (财库〔2020〕46号 Art 9, ranges of 财库〔2022〕19号), an exact `Fraction` of fen.
- Price score (低价优先法, Art 55): benchmark = the lowest evaluated price among the valid bids;
  price score = benchmark / evaluated price × price points (the price weight × 100); no bid,
  highest or lowest, is ever dropped. Rounded half up to two places.
- Totals: a member's total is the sum of his criterion scores (in points, i.e. already
  weighted: a criterion worth 20 of the 100 points is Fi × Ai with Ai = 20 %) plus the price
  score; a bidder's total is the mean of the members' totals, rounded half up.
- Ranking, scoring method (Art 57): total descending, then price ascending, then tied (并列).
  Lowest evaluated price method (Art 56): evaluated price ascending, then tied. Ranks are
  competition ranks (1, 2, 2, 4). Tied candidates are decided as the tender document says,
  or by lot (Art 68), outside these rules: `Candidates.needs_tie_break` says when.
- Same brand (Art 31): bidders offering the same brand of the (core) product count as one;
  only the best ranked of them keeps the right to be recommended (`apply_same_brand`).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from core.money import Fen
from evaluation.rules import DEFAULT_RULES, Category, Ref, RulesError, RuleSet, as_fraction, round_score

__all__ = [
    "BidderTotal",
    "Candidates",
    "Criterion",
    "CriterionKind",
    "EvaluatedPrice",
    "MemberScore",
    "PriceScores",
    "PricedBid",
    "RankedBid",
    "SameBrand",
    "ScoringScheme",
    "SmeClass",
    "TenderTerms",
    "apply_same_brand",
    "bidder_totals",
    "choose_candidates",
    "deduction_percent",
    "evaluated_price",
    "member_totals",
    "price_scores",
    "rank_by_price",
    "rank_by_score",
    "scheme_from_tender",
]


# -- evaluated prices -------------------------------------------------------------------------------

class SmeClass(enum.StrEnum):
    """What a bidder declared, as far as price deductions go."""

    NONE = "none"                # large or medium enterprise (medium ones get no deduction)
    SMALL_MICRO = "small_micro"  # also prison enterprises, welfare units, all-small/micro consortia
    CONSORTIUM = "consortium"    # consortium with, or subcontracting to, small/micro enterprises


@dataclass(frozen=True)
class TenderTerms:
    """What the tender document says about policy deductions; None takes the region's default."""

    category: Category
    sme_reserved: bool = False           # a lot reserved for SMEs grants no deduction
    small_micro_percent: Decimal | None = None
    consortium_percent: Decimal | None = None


@dataclass(frozen=True)
class PricedBid:
    bidder: Ref
    price: Fen                           # the corrected (and confirmed) bid price
    sme: SmeClass = SmeClass.NONE
    small_micro_share_percent: Decimal = Decimal(0)  # of the contract, for a consortium

    def __post_init__(self) -> None:
        if isinstance(self.price, bool) or not isinstance(self.price, int) or self.price <= 0:
            raise RulesError("scoring.bad_price",
                             f"投标报价必须为正的整数分: 投标人{self.bidder}, {self.price!r}")


@dataclass(frozen=True)
class EvaluatedPrice:
    bidder: Ref
    price: Fen
    deduction_percent: Decimal
    evaluated: Fraction                  # fen, exact

    @property
    def evaluated_fen(self) -> Fen:
        """The evaluated price rounded half up to the fen, for display only."""
        whole, rest = divmod(self.evaluated.numerator, self.evaluated.denominator)
        return whole + (1 if 2 * rest >= self.evaluated.denominator else 0)


def deduction_percent(bid: PricedBid, terms: TenderTerms, rules: RuleSet = DEFAULT_RULES) -> Decimal:
    """The percentage taken off this bid's price for the evaluation (0 when none applies)."""
    if terms.sme_reserved or bid.sme is SmeClass.NONE:
        return Decimal(0)
    if bid.sme is SmeClass.SMALL_MICRO:
        allowed = rules.sme.small_micro(terms.category)
        chosen = terms.small_micro_percent
        return allowed.check(allowed.default if chosen is None else chosen)
    if bid.small_micro_share_percent < rules.sme.consortium_min_share_percent:
        return Decimal(0)
    allowed = rules.sme.consortium(terms.category)
    return allowed.check(allowed.default if terms.consortium_percent is None else terms.consortium_percent)


def evaluated_price(bid: PricedBid, terms: TenderTerms, rules: RuleSet = DEFAULT_RULES) -> EvaluatedPrice:
    """price × (1 − deduction %), exact."""
    percent = deduction_percent(bid, terms, rules)
    evaluated = bid.price * (1 - as_fraction(percent) / 100)
    return EvaluatedPrice(bid.bidder, bid.price, percent, evaluated)


# -- the price score ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class PriceScores:
    benchmark: Fraction | None           # fen; None when price is not scored
    scores: dict[Ref, Decimal]


def price_scores(prices: Sequence[EvaluatedPrice], price_points: Decimal,
                 rules: RuleSet = DEFAULT_RULES) -> PriceScores:
    """Art 55: benchmark / evaluated price × price points, for every valid bid (none dropped)."""
    if not prices:
        raise RulesError("scoring.no_valid_bids", "没有有效投标，无法计算价格分")
    _unique((price.bidder for price in prices), "scoring.duplicate_bidder")
    if price_points == 0:  # fixed-price projects do not score price
        return PriceScores(None, {price.bidder: round_score(0, rules.score_places) for price in prices})
    benchmark = min(price.evaluated for price in prices)
    points = as_fraction(price_points)
    return PriceScores(benchmark, {price.bidder: round_score(benchmark / price.evaluated * points,
                                                             rules.score_places) for price in prices})


# -- the scoring scheme and totals ---------------------------------------------------------------------

class CriterionKind(enum.StrEnum):
    SUBJECTIVE = "subjective"  # each member judges
    OBJECTIVE = "objective"    # a fact (certificate held, delivery days): every member must agree


@dataclass(frozen=True)
class Criterion:
    code: Ref
    max_score: Decimal
    kind: CriterionKind = CriterionKind.SUBJECTIVE
    min_score: Decimal = Decimal(0)
    name: str = ""


@dataclass(frozen=True)
class ScoringScheme:
    """The tender's scoring table: criteria in points, plus the price points (the price weight)."""

    criteria: tuple[Criterion, ...]
    price_points: Decimal

    def criterion(self, code: Ref) -> Criterion:
        for criterion in self.criteria:
            if criterion.code == code:
                return criterion
        raise RulesError("scoring.unknown_criterion", f"评分标准中没有该评审因素: {code}")

    def check(self, category: Category, rules: RuleSet = DEFAULT_RULES) -> None:
        """The scheme is lawful: codes unique, points add up to the total, price weight at its minimum."""
        _unique((criterion.code for criterion in self.criteria), "scoring.duplicate_criterion")
        total = sum((criterion.max_score for criterion in self.criteria), self.price_points)
        if total != rules.total_points:
            raise RulesError("scoring.points_total", f"各评审因素分值之和为{total}，应为{rules.total_points}")
        minimum = rules.price_weight_min.get(category, Decimal(0))
        weight = self.price_points * 100 / rules.total_points
        if weight < minimum:
            raise RulesError("scoring.price_weight_too_low",
                             f"价格分值比重{self.price_points}低于规定的{minimum}%")
        maximum = rules.price_weight_max.get(category, Decimal(100))
        if self.price_points and weight > maximum:  # a region's cap (the national rules set none)
            raise RulesError("scoring.price_weight_too_high",
                             f"价格分值比重{self.price_points}高于本地区规定的{maximum}%")
        for criterion in self.criteria:
            if not Decimal(0) <= criterion.min_score <= criterion.max_score:
                raise RulesError("scoring.bad_range", f"评审因素{criterion.code}的分值范围不正确")


def scheme_from_tender(criteria: Sequence[Mapping[str, object]], *, price_fixed: bool = False,
                       objective: Iterable[str] = ()) -> ScoringScheme:
    """The scheme from tender's stored criteria (`Project.criteria`: name, integer weight, price flag).

    The weights are points out of 100; the one criterion marked `price` is the price score. Tender
    does not yet say which criteria are objective: name them in `objective`.
    """
    objective = set(objective)
    prices = [c for c in criteria if c.get("price")]
    if len(prices) > 1:
        raise RulesError("scoring.several_price_criteria", "评分标准中只能有一项价格分")
    if price_fixed and prices and Decimal(str(prices[0].get("weight", 0))) != 0:
        raise RulesError("scoring.fixed_price_scored", "价格固定的项目不得设置价格分")
    unknown = objective - {str(c.get("name")) for c in criteria if not c.get("price")}
    if unknown:
        raise RulesError("scoring.unknown_criterion", f"评分标准中没有该评审因素: {sorted(unknown)[0]}")
    items = tuple(Criterion(str(c["name"]), Decimal(str(c["weight"])),
                            CriterionKind.OBJECTIVE if str(c["name"]) in objective else CriterionKind.SUBJECTIVE,
                            name=str(c["name"])) for c in criteria if not c.get("price"))
    price_points = Decimal(str(prices[0]["weight"])) if prices else Decimal(0)
    return ScoringScheme(items, price_points)


@dataclass(frozen=True)
class MemberScore:
    member: Ref
    bidder: Ref
    criterion: Ref
    score: Decimal


@dataclass(frozen=True)
class BidderTotal:
    bidder: Ref
    member_totals: dict[Ref, Decimal]
    mean: Fraction                       # exact
    total: Decimal                       # rounded half up: the published score


def member_totals(scores: Iterable[MemberScore], scheme: ScoringScheme, members: Sequence[Ref],
                  bidders: Sequence[Ref],
                  prices: PriceScores | None = None) -> dict[tuple[Ref, Ref], Decimal]:
    """(member, bidder) → sum of that member's criterion scores plus the bidder's price score."""
    table = score_table(scores, scheme, members, bidders)
    missing = [key for key in ((m, b, c.code) for m in members for b in bidders for c in scheme.criteria)
               if key not in table]
    if missing:
        raise RulesError("scoring.missing_score", f"尚有{len(missing)}项未评分，例如{missing[0]}")
    result = {}
    for member in members:
        for bidder in bidders:
            price = prices.scores[bidder] if prices is not None else Decimal(0)
            result[(member, bidder)] = sum((table[(member, bidder, c.code)] for c in scheme.criteria), price)
    return result


def bidder_totals(scores: Iterable[MemberScore], scheme: ScoringScheme, members: Sequence[Ref],
                  bidders: Sequence[Ref], prices: PriceScores | None = None,
                  rules: RuleSet = DEFAULT_RULES) -> dict[Ref, BidderTotal]:
    """Each bidder's total: the mean over the members of their totals, rounded half up."""
    if not members:
        raise RulesError("scoring.no_members", "没有评审成员")
    per_member = member_totals(scores, scheme, members, bidders, prices)
    result = {}
    for bidder in bidders:
        mine = {member: per_member[(member, bidder)] for member in members}
        mean = sum((as_fraction(value) for value in mine.values()), Fraction(0)) / len(members)
        result[bidder] = BidderTotal(bidder, mine, mean, round_score(mean, rules.score_places))
    return result


def score_table(scores: Iterable[MemberScore], scheme: ScoringScheme, members: Sequence[Ref],
                bidders: Sequence[Ref]) -> dict[tuple[Ref, Ref, Ref], Decimal]:
    """Index the scores by (member, bidder, criterion); refuse duplicates and strangers."""
    codes = {criterion.code for criterion in scheme.criteria}
    table: dict[tuple[Ref, Ref, Ref], Decimal] = {}
    for score in scores:
        if score.member not in members or score.bidder not in bidders or score.criterion not in codes:
            raise RulesError("scoring.unknown_score",
                             f"评分对象不在本次评审范围内: {score.member}, {score.bidder}, {score.criterion}")
        if (not isinstance(score.score, Decimal | int) or isinstance(score.score, bool)
                or not Decimal(score.score).is_finite()):
            raise RulesError("scoring.bad_score", f"分数必须是十进制数: {score.score!r}")
        key = (score.member, score.bidder, score.criterion)
        if key in table:
            raise RulesError("scoring.duplicate_score", f"重复评分: {key}")
        table[key] = Decimal(score.score)
    return table


# -- ranking and candidates ----------------------------------------------------------------------------

@dataclass(frozen=True)
class RankedBid:
    bidder: Ref
    rank: int
    total: Decimal | None                # None under the lowest-price method
    price: Fraction                      # the price the ranking compared (evaluated, or bid)
    tied: bool


def rank_by_score(totals: Mapping[Ref, Decimal], prices: Mapping[Ref, EvaluatedPrice],
                  rules: RuleSet = DEFAULT_RULES) -> list[RankedBid]:
    """Art 57: total descending, then price ascending; equal on both → the same rank (并列)."""
    if set(totals) != set(prices):
        raise RulesError("scoring.ranking_mismatch", "得分与报价的投标人不一致")
    keyed = [(bidder, (-totals[bidder], _tie_price(prices[bidder], rules))) for bidder in totals]
    return [RankedBid(bidder, rank, totals[bidder], key[1], tied)
            for bidder, key, rank, tied in _ranks(keyed)]


def rank_by_price(prices: Mapping[Ref, EvaluatedPrice]) -> list[RankedBid]:
    """Art 56 (lowest evaluated price method): evaluated price ascending; equal → the same rank."""
    keyed = [(bidder, (price.evaluated,)) for bidder, price in prices.items()]
    return [RankedBid(bidder, rank, None, key[0], tied) for bidder, key, rank, tied in _ranks(keyed)]


def _tie_price(price: EvaluatedPrice, rules: RuleSet) -> Fraction:
    return price.evaluated if rules.tie_break_on_evaluated_price else Fraction(price.price)


def _ranks(keyed: list[tuple[Ref, tuple]]) -> list[tuple[Ref, tuple, int, bool]]:
    """Competition ranking (1, 2, 2, 4); tied bids keep their input order."""
    ordered = sorted(keyed, key=lambda item: item[1])  # stable
    counts: dict[tuple, int] = {}
    for _, key in ordered:
        counts[key] = counts.get(key, 0) + 1
    result, rank = [], 0
    for position, (bidder, key) in enumerate(ordered, start=1):
        if position == 1 or key != ordered[position - 2][1]:
            rank = position
        result.append((bidder, key, rank, counts[key] > 1))
    return result


@dataclass(frozen=True)
class Candidates:
    ranked: tuple[RankedBid, ...]        # the recommended candidates, in order
    needs_tie_break: bool                # first place is shared, or a tie straddles the last place


def choose_candidates(ranking: Sequence[RankedBid], rules: RuleSet = DEFAULT_RULES) -> Candidates:
    """The first `rules.candidates` bids in rank order, keeping every bid tied at the last place."""
    chosen = tuple(bid for bid in ranking if bid.rank <= rules.candidates)
    first_tied = sum(1 for bid in ranking if bid.rank == 1) > 1
    return Candidates(chosen, first_tied or len(chosen) > rules.candidates)


def _unique(refs: Iterable[Ref], code: str) -> None:
    seen: set[Ref] = set()
    for ref in refs:
        if ref in seen:
            raise RulesError(code, f"重复的投标人或评审因素: {ref}")
        seen.add(ref)


@dataclass(frozen=True)
class SameBrand:
    ranking: tuple[RankedBid, ...]       # re-ranked, one bid per brand
    set_aside: tuple[tuple[Ref, str, Ref], ...]  # (bidder, brand, the bidder kept for that brand)
    undecided: tuple[str, ...]           # brands whose best bids are tied: the tender's method or lot decides


def apply_same_brand(ranking: Sequence[RankedBid], brand_of: Mapping[Ref, str | None]) -> SameBrand:
    """87号令 Art 31: bids of the same (core product) brand count as one; the best ranked one stays.

    Under the scoring method the best is the highest scored (then cheapest), under the lowest
    price method the cheapest, i.e. the best rank either way. Where several bids of a brand share
    that rank, the first in the ranking is kept provisionally and the brand is listed in
    `undecided`: the tender document's method, or a draw, picks the one that stays.
    """
    kept: list[RankedBid] = []
    set_aside: list[tuple[Ref, str, Ref]] = []
    best: dict[str, RankedBid] = {}
    undecided: list[str] = []
    for bid in sorted(ranking, key=lambda b: b.rank):
        brand = (brand_of.get(bid.bidder) or "").strip()
        if not brand:
            kept.append(bid)
        elif brand not in best:
            best[brand] = bid
            kept.append(bid)
        else:
            if bid.rank == best[brand].rank and brand not in undecided:
                undecided.append(brand)
            set_aside.append((bid.bidder, brand, best[brand].bidder))
    keyed = [(bid.bidder, (bid.rank,)) for bid in kept]
    by_bidder = {bid.bidder: bid for bid in kept}
    reranked = tuple(RankedBid(bidder, rank, by_bidder[bidder].total, by_bidder[bidder].price, tied)
                     for bidder, _, rank, tied in _ranks(keyed))
    return SameBrand(reranked, tuple(set_aside), tuple(undecided))
