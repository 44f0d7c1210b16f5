"""Price scores, SME deductions, totals, ranking and candidates: worked examples computed by hand."""

from decimal import Decimal as D
from fractions import Fraction

import pytest

from evaluation.rules import DEFAULT_RULES, Category, RulesError, RuleSet
from evaluation.scoring import (
    Criterion,
    CriterionKind,
    EvaluatedPrice,
    MemberScore,
    PricedBid,
    ScoringScheme,
    SmeClass,
    TenderTerms,
    apply_same_brand,
    bidder_totals,
    choose_candidates,
    deduction_percent,
    evaluated_price,
    member_totals,
    price_scores,
    rank_by_price,
    rank_by_score,
    scheme_from_tender,
)

YUAN = 100  # fen
GOODS = TenderTerms(Category.GOODS)


def prices_of(*bids: PricedBid, terms: TenderTerms = GOODS,
              rules: RuleSet = DEFAULT_RULES) -> list[EvaluatedPrice]:
    return [evaluated_price(bid, terms, rules) for bid in bids]


# -- price score (87号令 Art 55) ---------------------------------------------------------------

def test_price_score_without_deductions():
    # Goods, price weight 30 %. Bids 1,000,000 / 950,000 / 1,200,000 yuan; benchmark 950,000.
    # A: 950000/1000000 × 30 = 28.50;  B: the benchmark, 30.00;  C: 950000/1200000 × 30 = 23.75.
    result = price_scores(prices_of(PricedBid("A", 1_000_000 * YUAN), PricedBid("B", 950_000 * YUAN),
                                    PricedBid("C", 1_200_000 * YUAN)), D(30))
    assert result.benchmark == 950_000 * YUAN
    assert result.scores == {"A": D("28.50"), "B": D("30.00"), "C": D("23.75")}
    assert [str(s) for s in result.scores.values()] == ["28.50", "30.00", "23.75"]


def test_price_score_with_sme_deductions():
    # Goods, small/micro 10 % (default), consortium with ≥ 30 % small/micro share 4 % (default).
    # A 1,000,000 small/micro      → 900,000
    # B   950,000 large            → 950,000
    # C   880,000 consortium 30 %  → 880,000 × 0.96 = 844,800  ← benchmark
    # D   870,000 medium           → 870,000 (medium enterprises get no deduction)
    # A: 844800/900000 × 30 = 28.16;  B: 844800/950000 × 30 = 26.6778… → 26.68
    # C: 30.00;                       D: 844800/870000 × 30 = 29.1310… → 29.13
    bids = [PricedBid("A", 1_000_000 * YUAN, SmeClass.SMALL_MICRO), PricedBid("B", 950_000 * YUAN),
            PricedBid("C", 880_000 * YUAN, SmeClass.CONSORTIUM, D(30)), PricedBid("D", 870_000 * YUAN)]
    evaluated = prices_of(*bids)
    assert [p.evaluated / YUAN for p in evaluated] == [900_000, 950_000, 844_800, 870_000]
    assert [p.deduction_percent for p in evaluated] == [D(10), 0, D(4), 0]
    result = price_scores(evaluated, D(30))
    assert result.benchmark == 844_800 * YUAN
    assert result.scores == {"A": D("28.16"), "B": D("26.68"), "C": D("30.00"), "D": D("29.13")}


def test_tender_chooses_the_deduction_within_the_range():
    # The tender grants 20 %: A 1,000,000 → 800,000, now the benchmark; B 950,000 → 800000/950000 × 30
    # = 25.263… → 25.26.
    terms = TenderTerms(Category.GOODS, small_micro_percent=D(20))
    evaluated = prices_of(PricedBid("A", 1_000_000 * YUAN, SmeClass.SMALL_MICRO),
                          PricedBid("B", 950_000 * YUAN), terms=terms)
    assert price_scores(evaluated, D(30)).scores == {"A": D("30.00"), "B": D("25.26")}


@pytest.mark.parametrize(("category", "sme", "share", "percent", "expected"), [
    (Category.GOODS, SmeClass.SMALL_MICRO, D(0), None, D(10)),
    (Category.SERVICES, SmeClass.SMALL_MICRO, D(0), D("15.5"), D("15.5")),
    (Category.WORKS, SmeClass.SMALL_MICRO, D(0), None, D(3)),
    (Category.GOODS, SmeClass.CONSORTIUM, D(30), None, D(4)),
    (Category.GOODS, SmeClass.CONSORTIUM, D("29.99"), None, D(0)),   # share below 30 %: nothing
    (Category.WORKS, SmeClass.CONSORTIUM, D(50), None, D(1)),
    (Category.GOODS, SmeClass.NONE, D(0), D(20), D(0)),
])
def test_deduction_percent_table(category, sme, share, percent, expected):
    terms = TenderTerms(category, small_micro_percent=percent if sme is SmeClass.SMALL_MICRO else None)
    assert deduction_percent(PricedBid("A", 100, sme, share), terms) == expected


def test_no_deduction_in_a_lot_reserved_for_smes():
    terms = TenderTerms(Category.GOODS, sme_reserved=True)
    assert deduction_percent(PricedBid("A", 100, SmeClass.SMALL_MICRO), terms) == 0


@pytest.mark.parametrize("percent", [D("9.99"), D(21), D(0)])
def test_tender_cannot_leave_the_region_range(percent):
    terms = TenderTerms(Category.GOODS, small_micro_percent=percent)
    with pytest.raises(RulesError) as error:
        deduction_percent(PricedBid("A", 100, SmeClass.SMALL_MICRO), terms)
    assert error.value.code == "rules.deduction_out_of_range"


def test_evaluated_price_is_exact_and_rounds_only_for_display():
    # 12,345 fen less 10 % = 11,110.5 fen exactly; shown as 11,111 fen (half up).
    price = evaluated_price(PricedBid("A", 12_345, SmeClass.SMALL_MICRO), GOODS)
    assert price.evaluated == Fraction(22221, 2)
    assert price.evaluated_fen == 11_111
    assert price.price == 12_345  # the contract price is untouched


def test_price_score_rounds_half_up_not_to_even():
    # 10 points; benchmark 7,300 fen, price 8,000 fen: 7300/8000 × 10 = 9.125 → 9.13
    # (banker's rounding would give 9.12).
    scores = price_scores(prices_of(PricedBid("A", 7_300), PricedBid("B", 8_000)), D(10)).scores
    assert scores["B"] == D("9.13")


def test_fixed_price_projects_do_not_score_price():
    result = price_scores(prices_of(PricedBid("A", 100), PricedBid("B", 200)), D(0))
    assert result.benchmark is None and result.scores == {"A": D("0.00"), "B": D("0.00")}


def test_price_score_refusals():
    with pytest.raises(RulesError) as error:
        price_scores([], D(30))
    assert error.value.code == "scoring.no_valid_bids"
    with pytest.raises(RulesError) as error:
        price_scores(prices_of(PricedBid("A", 100), PricedBid("A", 200)), D(30))
    assert error.value.code == "scoring.duplicate_bidder"
    for bad in (0, -1, 1.5, True):
        with pytest.raises(RulesError) as error:
            PricedBid("A", bad)
        assert error.value.code == "scoring.bad_price"


# -- the scoring scheme ------------------------------------------------------------------------

SCHEME = ScoringScheme((
    Criterion("T1", D(40), name="技术方案"),
    Criterion("S1", D(20), name="售后服务"),
    Criterion("O1", D(10), CriterionKind.OBJECTIVE, name="资质证书"),
), price_points=D(30))


def test_scheme_check():
    SCHEME.check(Category.GOODS)
    SCHEME.check(Category.SERVICES)


@pytest.mark.parametrize(("scheme", "category", "code"), [
    (ScoringScheme((Criterion("T", D(75)),), D(25)), Category.GOODS, "scoring.price_weight_too_low"),
    (ScoringScheme((Criterion("T", D(95)),), D(5)), Category.SERVICES, "scoring.price_weight_too_low"),
    (ScoringScheme((Criterion("T", D(60)),), D(30)), Category.GOODS, "scoring.points_total"),
    (ScoringScheme((Criterion("T", D(35)), Criterion("T", D(35))), D(30)), Category.GOODS,
     "scoring.duplicate_criterion"),
    (ScoringScheme((Criterion("T", D(70), min_score=D(71)),), D(30)), Category.GOODS, "scoring.bad_range"),
])
def test_scheme_refusals(scheme, category, code):
    with pytest.raises(RulesError) as error:
        scheme.check(category)
    assert error.value.code == code


def test_services_may_weigh_price_at_ten_percent():
    ScoringScheme((Criterion("T", D(90)),), D(10)).check(Category.SERVICES)


# -- totals ------------------------------------------------------------------------------------

def _scores(table: dict[str, dict[str, tuple]]) -> list[MemberScore]:
    """{bidder: {member: (T1, S1, O1)}} → scores."""
    return [MemberScore(member, bidder, code, D(value))
            for bidder, by_member in table.items() for member, values in by_member.items()
            for code, value in zip(("T1", "S1", "O1"), values, strict=True)]


WORKED = _scores({
    "A": {"M1": ("35", "15", "10"), "M2": ("32.5", "16", "10"), "M3": ("36", "14.5", "10")},
    "B": {"M1": ("30", "14", "5"), "M2": ("31", "15", "5"), "M3": ("29", "16", "5")},
})
MEMBERS = ("M1", "M2", "M3")


def test_totals_worked_example():
    # Prices A 1,000,000 → 28.50, B 950,000 → 30.00 (benchmark).
    # A: M1 35+15+10+28.50 = 88.50; M2 32.5+16+10+28.50 = 87.00; M3 36+14.5+10+28.50 = 89.00
    #    mean 264.50 / 3 = 88.1666… → 88.17
    # B: M1 30+14+5+30 = 79.00; M2 31+15+5+30 = 81.00; M3 29+16+5+30 = 80.00; mean 80.00
    prices = price_scores(prices_of(PricedBid("A", 1_000_000 * YUAN), PricedBid("B", 950_000 * YUAN)), D(30))
    totals = bidder_totals(WORKED, SCHEME, MEMBERS, ("A", "B"), prices)
    assert totals["A"].member_totals == {"M1": D("88.50"), "M2": D("87.00"), "M3": D("89.00")}
    assert totals["A"].mean == Fraction(26450, 300)
    assert totals["A"].total == D("88.17")
    assert totals["B"].total == D("80.00")
    assert member_totals(WORKED, SCHEME, MEMBERS, ("A", "B"))[("M1", "A")] == D(60)  # without price


def test_totals_refuse_incomplete_or_foreign_scores():
    with pytest.raises(RulesError) as error:
        bidder_totals(WORKED[1:], SCHEME, MEMBERS, ("A", "B"))
    assert error.value.code == "scoring.missing_score"
    with pytest.raises(RulesError) as error:
        bidder_totals([*WORKED, WORKED[0]], SCHEME, MEMBERS, ("A", "B"))
    assert error.value.code == "scoring.duplicate_score"
    with pytest.raises(RulesError) as error:
        bidder_totals([*WORKED, MemberScore("M9", "A", "T1", D(1))], SCHEME, MEMBERS, ("A", "B"))
    assert error.value.code == "scoring.unknown_score"
    with pytest.raises(RulesError) as error:
        bidder_totals([*WORKED[1:], MemberScore("M1", "A", "T1", 35.0)], SCHEME, MEMBERS, ("A", "B"))
    assert error.value.code == "scoring.bad_score"
    with pytest.raises(RulesError) as error:
        bidder_totals([*WORKED[1:], MemberScore("M1", "A", "T1", D("NaN"))], SCHEME, MEMBERS, ("A", "B"))
    assert error.value.code == "scoring.bad_score"
    with pytest.raises(RulesError) as error:
        bidder_totals([], SCHEME, (), ("A",))
    assert error.value.code == "scoring.no_members"


# -- ranking -----------------------------------------------------------------------------------

def _ep(bidder, price, evaluated=None):
    return EvaluatedPrice(bidder, price, D(0), Fraction(evaluated if evaluated is not None else price))


def test_rank_by_score_ties_broken_by_price_then_tied():
    # C 90.00 → 1;  A 88.17 @ 1,000 and B 88.17 @ 900: equal totals, the cheaper first → B 2, A 3;
    # D 85 @ 800 and E 85.00 @ 800: equal on both → both 4 (并列);  F 80 → 6 (competition ranking).
    totals = {"A": D("88.17"), "B": D("88.17"), "C": D("90.00"), "D": D("85"), "E": D("85.00"), "F": D(80)}
    prices = {"A": _ep("A", 1000), "B": _ep("B", 900), "C": _ep("C", 5000), "D": _ep("D", 800),
              "E": _ep("E", 800), "F": _ep("F", 1)}
    ranking = rank_by_score(totals, prices)
    assert [(r.bidder, r.rank, r.tied) for r in ranking] == [
        ("C", 1, False), ("B", 2, False), ("A", 3, False), ("D", 4, True), ("E", 4, True), ("F", 6, False)]


def test_ties_compare_bid_price_by_default_and_evaluated_price_if_configured():
    # Art 57: equal scores in order of the bid price. A bid 1,000 with a 10 % deduction → 900; B bid 950.
    totals = {"A": D(80), "B": D(80)}
    prices = {"A": _ep("A", 1000, 900), "B": _ep("B", 950)}
    assert [r.bidder for r in rank_by_score(totals, prices)] == ["B", "A"]
    by_evaluated = RuleSet(tie_break_on_evaluated_price=True)
    assert [r.bidder for r in rank_by_score(totals, prices, by_evaluated)] == ["A", "B"]


def test_rank_by_score_needs_the_same_bidders():
    with pytest.raises(RulesError) as error:
        rank_by_score({"A": D(1)}, {"B": _ep("B", 1)})
    assert error.value.code == "scoring.ranking_mismatch"


def test_lowest_price_method():
    # Art 56 with deductions (46号: the deducted price takes part in the evaluation):
    # A 1,000,000 small/micro → 900,000; B 900,000 → 900,000 (tied with A); C 950,000.
    bids = (PricedBid("A", 1_000_000 * YUAN, SmeClass.SMALL_MICRO), PricedBid("B", 900_000 * YUAN),
            PricedBid("C", 950_000 * YUAN))
    evaluated = {p.bidder: p for p in prices_of(*bids)}
    ranking = rank_by_price(evaluated)
    assert [(r.bidder, r.rank, r.tied, r.total) for r in ranking] == [
        ("A", 1, True, None), ("B", 1, True, None), ("C", 3, False, None)]


# -- candidates --------------------------------------------------------------------------------

def test_candidates_first_three():
    ranking = rank_by_price({b: _ep(b, p) for b, p in [("A", 1), ("B", 2), ("C", 3), ("D", 4)]})
    chosen = choose_candidates(ranking)
    assert [c.bidder for c in chosen.ranked] == ["A", "B", "C"] and not chosen.needs_tie_break


def test_candidates_keep_ties_at_the_boundary_and_at_the_top():
    ranking = rank_by_price({b: _ep(b, p) for b, p in [("A", 1), ("B", 2), ("C", 3), ("D", 3)]})
    chosen = choose_candidates(ranking)
    assert [c.bidder for c in chosen.ranked] == ["A", "B", "C", "D"] and chosen.needs_tie_break
    top = choose_candidates(rank_by_price({b: _ep(b, 5) for b in "AB"}), RuleSet(candidates=1))
    assert [c.bidder for c in top.ranked] == ["A", "B"] and top.needs_tie_break


# -- same brand (Art 31) -----------------------------------------------------------------------

def test_same_brand_counts_once():
    # Ranking A 90, B 88, C 85, D 80, E 80 (tied); A and C offer brand 华为, D and E brand 联想.
    # A stays for 华为 (C set aside); D and E tie for 联想: D kept provisionally, brand undecided.
    # Re-ranked: A 1, B 2, D 3.
    totals = {"A": D(90), "B": D(88), "C": D(85), "D": D(80), "E": D(80)}
    ranking = rank_by_score(totals, {b: _ep(b, 100) for b in totals})
    result = apply_same_brand(ranking, {"A": "华为", "C": "华为", "D": "联想", "E": "联想", "B": None})
    assert [(r.bidder, r.rank, r.tied) for r in result.ranking] == [("A", 1, False), ("B", 2, False),
                                                                    ("D", 3, False)]
    assert result.set_aside == (("C", "华为", "A"), ("E", "联想", "D"))
    assert result.undecided == ("联想",)


def test_same_brand_keeps_ties_between_brands():
    ranking = rank_by_price({b: _ep(b, p) for b, p in [("A", 5), ("B", 5), ("C", 6)]})
    result = apply_same_brand(ranking, {"A": "X", "B": "Y", "C": "X"})
    assert [(r.bidder, r.rank, r.tied) for r in result.ranking] == [("A", 1, True), ("B", 1, True)]
    assert result.undecided == ()


# -- tender's stored criteria ------------------------------------------------------------------

TENDER_CRITERIA = [{"name": "价格", "weight": 40, "price": True}, {"name": "技术", "weight": 45},
                   {"name": "商务", "weight": 15, "price": False}]


def test_scheme_from_tender_criteria():
    scheme = scheme_from_tender(TENDER_CRITERIA, objective=["商务"])
    assert scheme.price_points == 40
    assert [(c.code, c.max_score, c.kind) for c in scheme.criteria] == [
        ("技术", 45, CriterionKind.SUBJECTIVE), ("商务", 15, CriterionKind.OBJECTIVE)]
    scheme.check(Category.GOODS)
    fixed = scheme_from_tender([{"name": "技术", "weight": 100}], price_fixed=True)
    assert fixed.price_points == 0


@pytest.mark.parametrize(("criteria", "kwargs", "code"), [
    ([*TENDER_CRITERIA, {"name": "价格2", "weight": 0, "price": True}], {}, "scoring.several_price_criteria"),
    (TENDER_CRITERIA, {"price_fixed": True}, "scoring.fixed_price_scored"),
    (TENDER_CRITERIA, {"objective": ["价格"]}, "scoring.unknown_criterion"),
])
def test_scheme_from_tender_refusals(criteria, kwargs, code):
    with pytest.raises(RulesError) as error:
        scheme_from_tender(criteria, **kwargs)
    assert error.value.code == code
