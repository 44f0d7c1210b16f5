"""Minority opinions, the rule set's defaults and region values, and half-up rounding."""

from decimal import Decimal as D
from fractions import Fraction

import pytest

from evaluation.opinions import Dissent, Position, report_positions
from evaluation.rules import (
    DEFAULT_RULES,
    AverageBasis,
    Category,
    OutlierBasis,
    PercentRange,
    RulesError,
    RuleSet,
    round_score,
    rule_set_from_values,
)


def test_silence_is_agreement_and_dissent_keeps_its_reasons():
    dissent = Dissent("M2", "投标人B的技术方案不满足★条款，不应通过符合性审查", subject="review:B")
    positions = report_positions(("M1", "M2", "M3"), [dissent])
    assert [(p.member, p.position) for p in positions] == [
        ("M1", Position.AGREE), ("M2", Position.DISSENT), ("M3", Position.AGREE)]
    assert positions[1].dissents == (dissent,)


def test_dissent_needs_reasons_and_a_member():
    with pytest.raises(RulesError) as error:
        Dissent("M1", "  ")
    assert error.value.code == "opinion.reasons_required"
    with pytest.raises(RulesError) as error:
        report_positions(("M1",), [Dissent("X", "理由")])
    assert error.value.code == "opinion.not_a_member"


def test_national_defaults():
    rules = DEFAULT_RULES
    assert rules.score_places == 2 and rules.quantum == D("0.01")
    assert rules.price_weight_min[Category.GOODS] == 30 and rules.price_weight_min[Category.SERVICES] == 10
    sme = rules.sme
    assert (sme.small_micro(Category.GOODS).low, sme.small_micro(Category.GOODS).high) == (10, 20)
    assert (sme.small_micro(Category.WORKS).low, sme.small_micro(Category.WORKS).high) == (3, 5)
    assert (sme.consortium(Category.SERVICES).low, sme.consortium(Category.SERVICES).high) == (4, 6)
    assert (sme.consortium(Category.WORKS).low, sme.consortium(Category.WORKS).high) == (1, 2)
    assert sme.consortium_min_share_percent == 30


def test_region_values():
    rules = rule_set_from_values({"evaluation.outlier_percent": 25, "candidates": 2,
                                  "evaluation.low_vs_ceiling_percent": -1, "low_average_basis": "others",
                                  "outlier_basis": "mean", "tie_break_on_evaluated_price": 0})
    assert rules.outlier_percent == D(25) and rules.candidates == 2 and rules.low_vs_ceiling_percent is None
    assert rules.low_average_basis is AverageBasis.OTHERS and rules.outlier_basis is OutlierBasis.MEAN
    assert rules.tie_break_on_evaluated_price is False
    assert rules.low_vs_average_percent == D(50)  # untouched keys keep the national default


@pytest.mark.parametrize(("make", "code"), [
    (lambda: rule_set_from_values({"evaluation.outlier_pct": 25}), "rules.unknown_key"),
    (lambda: RuleSet(score_places=7), "rules.bad_places"),
    (lambda: RuleSet(candidates=0), "rules.bad_candidates"),
    (lambda: PercentRange(D(20), D(10), D(15)), "rules.bad_percent_range"),
    (lambda: PercentRange(D(10), D(100), D(10)), "rules.bad_percent_range"),
])
def test_rule_refusals(make, code):
    with pytest.raises(RulesError) as error:
        make()
    assert error.value.code == code


@pytest.mark.parametrize(("value", "expected"), [
    (D("2.345"), "2.35"), (D("2.344999"), "2.34"), (D("-2.345"), "-2.35"), (0, "0.00"),
    (Fraction(1, 3), "0.33"), (Fraction(2, 3), "0.67"), (Fraction(1, 200), "0.01"), (D("29.995"), "30.00"),
])
def test_round_score_half_up(value, expected):
    assert str(round_score(value)) == expected


def test_floats_are_refused():
    with pytest.raises(TypeError):
        round_score(0.1)  # type: ignore[arg-type]


def test_the_rules_engine_imports_neither_flask_nor_the_database():
    import subprocess
    import sys

    modules = ["rules", "review", "price_correction", "low_price", "scoring", "consistency", "opinions", "summary",
               "report_data", "deadlines", "visibility", "transitions"]
    code = ("import sys\n" + "".join(f"import evaluation.{m}\n" for m in modules)
            + "print(sorted(m for m in ('flask', 'sqlalchemy') if m in sys.modules))")
    root = __import__("pathlib").Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    assert out.stdout.strip() == "[]"
