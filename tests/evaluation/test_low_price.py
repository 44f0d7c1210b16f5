"""Abnormally low prices (87号令 Art 60): triggers, thresholds, and the explanation's outcome."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from fractions import Fraction

import pytest

from evaluation.low_price import (
    Outcome,
    Trigger,
    decide_explanation,
    detect_low_prices,
    explanation_deadline,
)
from evaluation.rules import AverageBasis, RulesError, RuleSet

WAN = 1_000_000  # fen in 万元


def codes(findings):
    return {f.bidder: [t.code for t in f.triggers] for f in findings}


def test_worked_example_all_three_triggers():
    # Bids (万元) A 100, B 110, C 120, D 40; ceiling 150.
    # Average of all four = 370 / 4 = 92.5 → 50 % = 46.25: D (40) is below.
    # Next-lowest for D = 100 → 50 % = 50: D is below.   Ceiling 150 × 45 % = 67.5: D is below.
    # A: 100 is above every threshold (46.25; 50 % of 40 = 20; 67.5).
    findings = detect_low_prices({"A": 100 * WAN, "B": 110 * WAN, "C": 120 * WAN, "D": 40 * WAN},
                                 ceiling=150 * WAN)
    assert codes(findings) == {"D": [Trigger.BELOW_AVERAGE, Trigger.BELOW_NEXT, Trigger.BELOW_CEILING]}
    [finding] = findings
    assert finding.outcome is Outcome.REQUEST_EXPLANATION
    average = finding.triggers[0]
    assert (average.reference, average.threshold) == (Fraction(925, 10) * WAN, Fraction(4625, 100) * WAN)


def test_average_of_the_others_is_stricter_for_the_low_bid():
    # A 100, B 100, C 55. All: 255/3 = 85 → 42.5: C not below. Others: (100+100)/2 = 100 → 50: C not below.
    # C 49: all → 249/3 = 83 → 41.5 no; others → 50: below.
    prices = {"A": 100 * WAN, "B": 100 * WAN, "C": 49 * WAN}
    no_next = RuleSet(low_vs_next_percent=None, low_vs_ceiling_percent=None)
    assert detect_low_prices(prices, rules=no_next) == []
    others = RuleSet(low_vs_next_percent=None, low_average_basis=AverageBasis.OTHERS)
    assert codes(detect_low_prices(prices, rules=others)) == {"C": [Trigger.BELOW_AVERAGE]}


def test_average_needs_three_bids_and_the_threshold_is_strict():
    # Two bids: no average test. A 50, B 100: 50 is not *below* 50 % of 100.
    assert detect_low_prices({"A": 50 * WAN, "B": 100 * WAN}) == []
    assert codes(detect_low_prices({"A": 50 * WAN - 1, "B": 100 * WAN})) == {"A": [Trigger.BELOW_NEXT]}


def test_ceiling_and_budget():
    # Ceiling 100 × 45 % = 45: 44.99 is below. Budget trigger is off unless configured (60 % of 80 = 48).
    prices = {"A": 45 * WAN - 1, "B": 46 * WAN}
    found = detect_low_prices(prices, ceiling=100 * WAN, budget=80 * WAN)
    assert codes(found) == {"A": [Trigger.BELOW_CEILING]}
    rules = RuleSet(low_vs_budget_percent=D(60))
    assert codes(detect_low_prices(prices, ceiling=100 * WAN, budget=80 * WAN, rules=rules)) == {
        "A": [Trigger.BELOW_CEILING, Trigger.BELOW_BUDGET], "B": [Trigger.BELOW_BUDGET]}


def test_refuses_bad_prices():
    with pytest.raises(RulesError) as error:
        detect_low_prices({"A": 0})
    assert error.value.code == "low_price.bad_price"


NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def test_explanation_outcomes():
    due = explanation_deadline(NOW)
    assert due == NOW + timedelta(minutes=60)
    assert decide_explanation("D", accepted=True, answered_at=NOW, deadline=due).excluded is False
    late = decide_explanation("D", accepted=True, answered_at=due + timedelta(seconds=1), deadline=due)
    assert (late.excluded, late.code) == (True, "low_price.no_explanation")
    silent = decide_explanation("D", accepted=None, answered_at=None, deadline=due)
    assert silent.excluded and silent.reason
    rejected = decide_explanation("D", accepted=False, answered_at=due, deadline=due, reason="成本说明不成立")
    assert (rejected.excluded, rejected.code) == (True, "low_price.explanation_rejected")


@pytest.mark.parametrize(("accepted", "reason", "code"), [(None, "", "low_price.undecided"),
                                                           (False, " ", "low_price.reason_required")])
def test_explanation_refusals(accepted, reason, code):
    with pytest.raises(RulesError) as error:
        decide_explanation("D", accepted=accepted, answered_at=NOW, deadline=NOW, reason=reason)
    assert error.value.code == code
