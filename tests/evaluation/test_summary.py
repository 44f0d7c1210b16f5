"""A whole lot through every rule in order (reviews, Art 59, Art 60, deductions, scores, ranking,
candidates), and the report's contents built from it as canonical data."""

import json
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal as D
from fractions import Fraction

import pytest

from audit.canonical import canonical_json
from evaluation.low_price import ExplanationOutcome, Trigger
from evaluation.opinions import Dissent, report_positions
from evaluation.price_correction import CorrectionRule, PriceStatement
from evaluation.report_data import MemberInfo, _fen, report_payload
from evaluation.review import BidderReview, FailedRequirement, ReviewStage
from evaluation.rules import Category, RulesError, RuleSet
from evaluation.scoring import Criterion, CriterionKind, MemberScore, ScoringScheme, SmeClass, TenderTerms
from evaluation.summary import BidInput, Pending, summarise_lot

Y = 100
NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
TERMS = TenderTerms(Category.GOODS)
SCHEME = ScoringScheme((Criterion("T1", D(40)), Criterion("S1", D(20)),
                        Criterion("O1", D(10), CriterionKind.OBJECTIVE)), price_points=D(30))
MEMBERS = ("M1", "M2", "M3")

# The lot (ceiling 1,200,000 yuan):
# A 1,000,000.00 (words agree), small/micro                 → evaluated   900,000
# B   950,000.00, large                                       →             950,000
# C   880,000.00 in figures but 捌拾捌万伍仟元整 in words: words prevail → 885,000, confirmed;
#     consortium with a 30 % small/micro share, 4 %           → 885,000 × 0.96 = 849,600 (benchmark)
# D   fails the compliance review                             → excluded
# E   300,000.00: abnormally low among A, B, C, E (average 3,135,000 / 4 = 783,750, half is 391,875;
#     half the next-lowest 885,000 is 442,500; 45 % of the ceiling is 540,000): explanation rejected
# F   body says 700,000.00 against the summary's 720,000.00: correction declined → invalid
BIDS = [
    BidInput("A", PriceStatement(1_000_000 * Y, "壹佰万元整"), sme=SmeClass.SMALL_MICRO),
    BidInput("B", PriceStatement(950_000 * Y, "玖拾伍万元整")),
    BidInput("C", PriceStatement(880_000 * Y, "捌拾捌万伍仟元整"), correction_confirmed=True,
             sme=SmeClass.CONSORTIUM, small_micro_share_percent=D(30)),
    BidInput("D", PriceStatement(800_000 * Y)),
    BidInput("E", PriceStatement(300_000 * Y),
             explanation=ExplanationOutcome("E", True, "low_price.explanation_rejected", "未能说明成本构成")),
    BidInput("F", PriceStatement(720_000 * Y, body_total=700_000 * Y), correction_confirmed=False),
]
D_FAILS = FailedRequirement(ReviewStage.COMPLIANCE, "★交货期", 0, 3, (("M1", "交货期不满足"),))
REVIEWS = {b.bidder: BidderReview(b.bidder, True, (), frozenset()) for b in BIDS} | {
    "D": BidderReview("D", False, (D_FAILS,), frozenset())}


def sheet(table):
    return [MemberScore(member, bidder, code, D(value)) for bidder, rows in table.items()
            for member, values in zip(MEMBERS, rows, strict=True)
            for code, value in zip(("T1", "S1", "O1"), values, strict=True)]


# Price scores: A 849600/900000 × 30 = 28.32; B 849600/950000 × 30 = 26.8294… → 26.83; C 30.00.
# A: 60 / 60 / 60.5 + 28.32 → 88.32, 88.32, 88.82 → 265.46 / 3 = 88.4866… → 88.49
# B: 66 / 64 / 64   + 26.83 → 92.83, 90.83, 90.83 → 274.49 / 3 = 91.4966… → 91.50
# C: 49 / 51 / 50   + 30.00 → 79, 81, 80          → 80.00
SCORES = sheet({
    "A": [("35", "15", "10"), ("34", "16", "10"), ("36", "14.5", "10")],
    "B": [("38", "18", "10"), ("37", "17", "10"), ("36", "18", "10")],
    "C": [("30", "14", "5"), ("31", "15", "5"), ("32", "13", "5")],
    "D": [("40", "20", "10")] * 3,  # scores of an excluded bid are ignored
})


def run(bids=BIDS, reviews=REVIEWS, **kwargs):
    options = {"scheme": SCHEME, "members": MEMBERS, "scores": SCORES, "ceiling": 1_200_000 * Y} | kwargs
    return summarise_lot(bids, reviews, TERMS, **options)


def test_worked_lot():
    outcome = run()
    assert outcome.complete and outcome.failed_code is None
    assert [(e.bidder, e.code) for e in outcome.exclusions] == [
        ("D", "review.failed"), ("F", "price.correction_declined"), ("E", "low_price.explanation_rejected")]
    assert outcome.exclusions[0].reasons == ("交货期不满足",)
    assert [c.rule for c in outcome.corrected["C"].corrections] == [CorrectionRule.WORDS_OVER_FIGURES]
    assert [(f.bidder, [t.code for t in f.triggers]) for f in outcome.low_prices] == [
        ("E", [Trigger.BELOW_AVERAGE, Trigger.BELOW_NEXT, Trigger.BELOW_CEILING])]
    assert outcome.valid == ("A", "B", "C")
    assert {b: p.evaluated for b, p in outcome.evaluated.items()} == {
        "A": 900_000 * Y, "B": 950_000 * Y, "C": 849_600 * Y}
    assert outcome.prices.scores == {"A": D("28.32"), "B": D("26.83"), "C": D("30.00")}
    assert {b: t.total for b, t in outcome.totals.items()} == {"A": D("88.49"), "B": D("91.50"), "C": D("80.00")}
    assert [(r.bidder, r.rank) for r in outcome.ranking] == [("B", 1), ("A", 2), ("C", 3)]
    assert [c.bidder for c in outcome.candidates.ranked] == ["B", "A", "C"]


def test_lowest_price_method():
    outcome = run(scheme=None, scores=())
    assert [(r.bidder, r.rank) for r in outcome.ranking] == [("C", 1), ("A", 2), ("B", 3)]
    assert outcome.totals == {} and outcome.prices is None and outcome.complete


def test_unanswered_corrections_and_explanations_hold_the_summary():
    bids = [replace(b, correction_confirmed=None) if b.bidder == "C" else
            replace(b, explanation=None) if b.bidder == "E" else b for b in BIDS]
    outcome = run(bids)
    assert outcome.pending == (Pending("C", "price.awaiting_confirmation"),
                               Pending("E", "low_price.awaiting_explanation"))
    assert not outcome.complete and outcome.ranking == () and outcome.candidates is None


def test_accepted_explanation_keeps_the_bid():
    bids = [replace(b, explanation=ExplanationOutcome("E", False, "low_price.explanation_accepted", ""))
            if b.bidder == "E" else b for b in BIDS]
    outcome = run(bids, scheme=None, scores=())
    assert outcome.valid == ("A", "B", "C", "E") and outcome.ranking[0].bidder == "E"


def test_unreadable_words_hold_the_summary():
    bids = [*BIDS[:1], replace(BIDS[1], statement=PriceStatement(950_000 * Y, "玖拾伍万伍")), *BIDS[2:]]
    assert Pending("B", "price.summary_words_unreadable") in run(bids).pending


def test_too_few_valid_bids_fail_the_lot():
    reviews = REVIEWS | {"A": REVIEWS["D"]}
    outcome = run(reviews=reviews)
    assert outcome.failed_code == "evaluation.too_few_valid_bids" and outcome.complete
    assert outcome.valid == ("B", "C") and outcome.candidates is None
    assert run(reviews=reviews, rules=RuleSet(min_valid_bids=2)).failed_code is None


def test_outlier_flags_hold_until_confirmed_other_flags_until_corrected():
    # M3 gives A only 20 on T1: others' mean 34.5, off by 14.5 > 12 → outlier flag.
    low = [replace(s, score=D(20)) if (s.member, s.bidder, s.criterion) == ("M3", "A", "T1") else s
           for s in SCORES]
    held = run(scores=low)
    assert [(f.code.value, f.member, f.bidder, f.criterion) for f in held.open_flags] == [
        ("score.outlier", "M3", "A", "T1")]
    assert not held.complete and held.totals == {}
    confirmed = run(scores=low, resolved_flags={("score.outlier", "M3", "A", "T1")})
    # A's M3 total drops by 16 to 72.82: (88.32 + 88.32 + 72.82) / 3 = 83.1533… → 83.15
    assert confirmed.complete and confirmed.totals["A"].total == D("83.15")
    missing = [s for s in SCORES if (s.member, s.bidder, s.criterion) != ("M1", "B", "S1")]
    still = run(scores=missing, resolved_flags={("score.missing", "M1", "B", "S1")})
    assert [f.code.value for f in still.open_flags] == ["score.missing"]


def test_same_brand_rule():
    # A and B offer the same brand: B (91.50) keeps the right to be recommended, A is set aside.
    bids = [replace(b, brand="迈瑞") if b.bidder in "AB" else b for b in BIDS]
    outcome = run(bids, same_brand_counts_once=True)
    assert outcome.same_brand.set_aside == (("A", "迈瑞", "B"),)
    assert [(c.bidder, c.rank) for c in outcome.candidates.ranked] == [("B", 1), ("C", 2)]
    assert run(bids).same_brand is None


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"bids": [*BIDS, BIDS[0]]}, "summary.duplicate_bidder"),
    ({"reviews": {k: v for k, v in REVIEWS.items() if k != "B"}}, "summary.review_missing"),
])
def test_refusals(kwargs, code):
    with pytest.raises(RulesError) as error:
        run(**kwargs)
    assert error.value.code == code


# -- the report's contents ----------------------------------------------------------------------

REPORT_MEMBERS = [MemberInfo("M1", "张三", is_chair=True), MemberInfo("M2", "李四", hand_picked=True),
                  MemberInfo("M3", "王五", is_purchaser_rep=True)]


def payload(**kwargs):
    outcome = run(**kwargs)
    positions = report_positions(("M1", "M2", "M3"), [Dissent("M2", "C的技术方案不满足★条款")])
    return report_payload(outcome, members=REPORT_MEMBERS, reviews=REVIEWS, scores=SCORES, positions=positions,
                          clarifications=[{"bidder": "E", "question": "请说明报价构成", "answer": "见附件"}])


def test_report_payload_of_the_worked_lot():
    data = payload()
    canonical_json(data)  # no float, no Decimal, string keys: the audit log can hash it as is
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    assert [m["role"] for m in data["members"]] == ["chair", "member", "purchaser_rep"]
    assert data["members"][1]["hand_picked"] is True
    assert [(e["bidder"], e["code"]) for e in data["exclusions"]] == [
        ("D", "review.failed"), ("F", "price.correction_declined"), ("E", "low_price.explanation_rejected")]
    assert [r["bidder"] for r in data["reviews"] if not r["passed"]] == ["D"]
    assert [(c["bidder"], c["rule"], c["from_fen"], c["to_fen"]) for c in data["price_corrections"]] == [
        ("C", "price.words_over_figures", 88_000_000, 88_500_000), ("F", "price.summary_over_body", 70_000_000,
                                                                    72_000_000)]
    [low] = data["low_prices"]
    # 50 % of the average 783,750.00 = 391,875.00 yuan
    assert low["triggers"][0] == {"code": "low_price.below_average", "percent": "50",
                                  "threshold": {"fen": 39_187_500, "exact": None}}
    assert {p["bidder"]: p["price_score"] for p in data["prices"]} == {"A": "28.32", "B": "26.83", "C": "30.00"}
    assert data["benchmark"] == {"fen": 84_960_000, "exact": None}
    assert {t["bidder"]: t["total"] for t in data["totals"]} == {"A": "88.49", "B": "91.50", "C": "80.00"}
    assert data["totals"][0]["member_totals"] == {"M1": "88.32", "M2": "88.32", "M3": "88.82"}
    assert {s["bidder"] for s in data["scores"]} == {"A", "B", "C"}  # the excluded D's scores are left out
    assert [c["bidder"] for c in data["candidates"]] == ["B", "A", "C"]
    assert data["positions"][1] == {"member": "M2", "position": "dissent",
                                    "dissents": [{"subject": "report", "reasons": "C的技术方案不满足★条款"}]}
    assert data["positions"][0]["position"] == "agree"
    assert data["failed"] is None and data["needs_tie_break"] is False


def test_report_payload_of_a_failed_lot_and_of_the_lowest_price_method():
    failed = payload(reviews=REVIEWS | {"A": REVIEWS["D"]})
    canonical_json(failed)
    assert failed["failed"] == "evaluation.too_few_valid_bids" and failed["candidates"] == []
    lowest = payload(scheme=None, scores=())
    canonical_json(lowest)
    assert lowest["ranking"][0]["total"] is None and lowest["prices"][0]["price_score"] is None


def test_fractional_evaluated_prices_show_the_exact_value():
    assert _fen(Fraction(22221, 2)) == {"fen": 11111, "exact": "22221/2"}
