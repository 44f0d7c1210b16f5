"""Properties of the rules that must hold for every input, checked with hypothesis."""

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation.consistency import FlagCode, check_scores
from evaluation.low_price import ExplanationOutcome
from evaluation.price_correction import LineItem, PriceStatement, correct_price, line_total
from evaluation.review import BidderReview, FailedRequirement, ReviewStage
from evaluation.rules import Category, RuleSet, round_score
from evaluation.scoring import (
    Criterion,
    EvaluatedPrice,
    MemberScore,
    PricedBid,
    ScoringScheme,
    SmeClass,
    TenderTerms,
    evaluated_price,
    price_scores,
    rank_by_price,
    rank_by_score,
)
from evaluation.summary import BidInput, summarise_lot

fen = st.integers(min_value=1, max_value=10**12)
points = st.decimals(min_value=0, max_value=100, places=2)
percent = st.decimals(min_value=0, max_value=Decimal("99.99"), places=2)
sme = st.sampled_from(list(SmeClass))
share = st.decimals(min_value=0, max_value=100, places=2)
category = st.sampled_from(list(Category))


@st.composite
def bids(draw, min_size=1, max_size=12):
    prices = draw(st.lists(fen, min_size=min_size, max_size=max_size))
    return [PricedBid(f"B{i}", price, draw(sme), draw(share)) for i, price in enumerate(prices)]


@st.composite
def terms(draw):
    cat = draw(category)
    small = draw(st.decimals(min_value=3, max_value=5, places=1)) if cat is Category.WORKS else \
        draw(st.decimals(min_value=10, max_value=20, places=2))
    return TenderTerms(cat, draw(st.booleans()), small)


@settings(max_examples=200, deadline=None)
@given(bids(), terms(), points)
def test_price_score_bounds_and_benchmark(bid_list, tender, price_points):
    prices = [evaluated_price(bid, tender) for bid in bid_list]
    result = price_scores(prices, price_points)
    assert all(Decimal(0) <= score <= price_points for score in result.scores.values())
    for price in prices:
        if price.evaluated == min(p.evaluated for p in prices):
            assert result.scores[price.bidder] == price_points.quantize(Decimal("0.01"))
    # a lower evaluated price never scores less
    ordered = sorted(prices, key=lambda p: p.evaluated)
    assert [result.scores[p.bidder] for p in ordered] == sorted(result.scores.values(), reverse=True)


@settings(max_examples=200, deadline=None)
@given(bids(), terms())
def test_deductions_never_raise_a_price(bid_list, tender):
    for bid in bid_list:
        price = evaluated_price(bid, tender)
        assert 0 < price.evaluated <= bid.price == price.price
        assert (price.evaluated == bid.price) == (price.deduction_percent == 0)


def _check_ranking(ranking, key):
    """Ranks are competition ranks of a total preorder: equal keys ⇔ equal ranks, rank = 1 + #better."""
    keys = {r.bidder: key(r) for r in ranking}
    assert [key(r) for r in ranking] == sorted(keys.values())
    for r in ranking:
        better = sum(1 for other in keys.values() if other < keys[r.bidder])
        same = sum(1 for other in keys.values() if other == keys[r.bidder])
        assert r.rank == 1 + better and r.tied == (same > 1)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.decimals(min_value=0, max_value=100, places=2), st.integers(1, 50)),
                min_size=1, max_size=15), st.randoms())
def test_score_ranking_is_a_total_order_with_ties(rows, random):
    totals = {f"B{i}": total for i, (total, _) in enumerate(rows)}
    prices = {f"B{i}": EvaluatedPrice(f"B{i}", price, Decimal(0), Fraction(price))
              for i, (_, price) in enumerate(rows)}
    ranking = rank_by_score(totals, prices)
    _check_ranking(ranking, lambda r: (-r.total, r.price))
    shuffled = list(totals)
    random.shuffle(shuffled)
    again = rank_by_score({b: totals[b] for b in shuffled}, prices)
    # input order is irrelevant
    assert {r.bidder: r.rank for r in again} == {r.bidder: r.rank for r in ranking}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 30), min_size=1, max_size=15))
def test_price_ranking_is_a_total_order_with_ties(values):
    prices = {f"B{i}": EvaluatedPrice(f"B{i}", v, Decimal(0), Fraction(v)) for i, v in enumerate(values)}
    _check_ranking(rank_by_price(prices), lambda r: r.price)


@settings(max_examples=200, deadline=None)
@given(st.fractions(min_value=-10**6, max_value=10**6), st.integers(0, 4))
def test_round_score_is_decimal_half_up(value, places):
    terminating = value.denominator in (1, 2, 4, 5, 8)  # Decimal division is exact for these
    exact_enough = Decimal(value.numerator) / Decimal(value.denominator) if terminating else None
    result = round_score(value, places)
    assert abs(Fraction(result) - value) <= Fraction(1, 2 * 10**places)
    if exact_enough is not None:
        assert result == exact_enough.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


@st.composite
def statements(draw):
    items = tuple(LineItem(i, draw(st.decimals(min_value=Decimal("0.5"), max_value=1000, places=1)),
                           draw(st.integers(0, 10**9)), draw(st.integers(0, 10**12)))
                  for i in range(draw(st.integers(0, 5))))
    return PriceStatement(draw(fen), None, draw(st.one_of(st.none(), fen)), None, items)


@settings(max_examples=200, deadline=None)
@given(statements())
def test_corrected_price_is_consistent_and_a_fixed_point(statement):
    result = correct_price(statement)
    if result.items:
        assert all(item.total == line_total(item.unit_price, item.quantity) for item in result.items)
        assert result.price == sum(item.total for item in result.items)
    assert result.needs_confirmation == bool(result.corrections)
    again = correct_price(PriceStatement(result.price, None, result.price, None, result.items))
    assert again.corrections == () and again.price == result.price


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.decimals(min_value=0, max_value=20, places=2), min_size=2, max_size=2),
                min_size=3, max_size=7))
def test_scores_within_range_raise_no_range_flags(rows):
    scheme = ScoringScheme((Criterion("T", Decimal(20)), Criterion("S", Decimal(20))), Decimal(60))
    members = [f"M{i}" for i in range(len(rows))]
    scores = [MemberScore(m, "A", code, value) for m, row in zip(members, rows, strict=True)
              for code, value in zip("TS", row, strict=True)]
    codes = {flag.code for flag in check_scores(scores, scheme, members, ("A",))}
    assert codes <= {FlagCode.OUTLIER, FlagCode.TOTAL_OUTLIER}
    same = [MemberScore(m, "A", code, value) for m in members
            for code, value in zip("TS", rows[0], strict=True)]
    assert check_scores(same, scheme, members, ("A",)) == []


@st.composite
def lots(draw):
    n = draw(st.integers(1, 8))
    prices = draw(st.lists(st.integers(10_000, 10**9), min_size=n, max_size=n))
    passed = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    smes = draw(st.lists(sme, min_size=n, max_size=n))
    bids = [BidInput(f"B{i}", PriceStatement(p), sme=s, small_micro_share_percent=Decimal(50),
                     explanation=ExplanationOutcome(f"B{i}", draw(st.booleans()), "low_price.decided", "理由"))
            for i, (p, s) in enumerate(zip(prices, smes, strict=True))]
    fail = FailedRequirement(ReviewStage.COMPLIANCE, "R", 0, 1, (("M1", "不满足"),))
    reviews = {b.bidder: BidderReview(b.bidder, ok, () if ok else (fail,), frozenset())
               for b, ok in zip(bids, passed, strict=True)}
    marks = {b.bidder: draw(st.decimals(min_value=0, max_value=70, places=2)) for b in bids}
    return bids, reviews, marks


@settings(max_examples=150, deadline=None)
@given(lots(), st.booleans(), st.integers(1, 3))
def test_a_lot_ranks_only_valid_bids(lot, scoring, min_valid):
    bids, reviews, marks = lot
    scheme = ScoringScheme((Criterion("T", Decimal(70)),), Decimal(30)) if scoring else None
    scores = [MemberScore(m, b, "T", mark) for b, mark in marks.items() for m in ("M1", "M2", "M3")]
    outcome = summarise_lot(bids, reviews, TenderTerms(Category.GOODS), scheme=scheme, members=("M1", "M2", "M3"),
                            scores=scores, rules=RuleSet(min_valid_bids=min_valid))
    excluded = {e.bidder for e in outcome.exclusions}
    assert excluded.isdisjoint(outcome.valid) and set(outcome.valid) | excluded == {b.bidder for b in bids}
    failed_review = {b for b, review in reviews.items() if not review.passed}
    assert failed_review == {e.bidder for e in outcome.exclusions if e.code == "review.failed"}
    assert outcome.complete
    if len(outcome.valid) < min_valid:
        assert outcome.failed_code == "evaluation.too_few_valid_bids" and outcome.ranking == ()
        return
    assert {r.bidder for r in outcome.ranking} == set(outcome.valid)
    assert {c.bidder for c in outcome.candidates.ranked} <= set(outcome.valid)
    assert outcome.candidates.ranked[0].rank == 1
    if scoring:
        best = max(outcome.totals.values(), key=lambda t: t.total).total
        assert outcome.ranking[0].total == best
    else:
        assert outcome.ranking[0].price == min(p.evaluated for p in outcome.evaluated.values())
