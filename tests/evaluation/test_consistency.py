"""Checks before the summary (every flag code) and the Art 64 guard on later changes."""

from decimal import Decimal as D

import pytest

from evaluation.consistency import CHAIR, ChangeReason, Flag, FlagCode, check_score_change, check_scores
from evaluation.rules import OutlierBasis, RulesError, RuleSet
from evaluation.scoring import Criterion, CriterionKind, MemberScore, PriceScores, ScoringScheme

SCHEME = ScoringScheme((
    Criterion("T1", D(40), name="技术方案"),
    Criterion("S1", D(20), name="售后服务"),
    Criterion("O1", D(10), CriterionKind.OBJECTIVE, name="资质证书"),
), price_points=D(30))
MEMBERS = ("M1", "M2", "M3")


def sheet(**by_member: tuple) -> list[MemberScore]:
    """Bidder A's scores: sheet(M1=("35", "15", "10"), ...) for T1, S1, O1; None leaves one out."""
    return [MemberScore(member, "A", code, D(value))
            for member, values in by_member.items()
            for code, value in zip(("T1", "S1", "O1"), values, strict=True) if value is not None]


CLEAN = dict(M1=("35", "15", "10"), M2=("34", "16", "10"), M3=("36", "14.5", "10"))


def found(flags):
    return sorted((f.code, f.member, f.criterion) for f in flags)


def test_clean_scores_raise_no_flag():
    assert check_scores(sheet(**CLEAN), SCHEME, MEMBERS, ("A",)) == []


# One scenario per flag code; `test_every_flag_code_has_a_scenario` keeps the table complete.
SCENARIOS = {
    FlagCode.MISSING: ({**CLEAN, "M2": ("34", None, "10")}, {}, [(FlagCode.MISSING, "M2", "S1")]),
    FlagCode.OUT_OF_RANGE: ({**CLEAN, "M1": ("35", "15.5", "10"), "M3": ("36", "20.5", "10")}, {},
                            [(FlagCode.OUT_OF_RANGE, "M3", "S1")]),
    FlagCode.BAD_PRECISION: ({**CLEAN, "M1": ("35.125", "15", "10")}, {},
                             [(FlagCode.BAD_PRECISION, "M1", "T1")]),
    # M1's sheet says 88.50 = 35 + 15 + 10 + 28.50; M2 wrote 88.00 but 34 + 16 + 10 + 28.50 = 88.50.
    FlagCode.ARITHMETIC: (CLEAN, {("M1", "A"): D("88.50"), ("M2", "A"): D("88.00")},
                          [(FlagCode.ARITHMETIC, "M2", None)]),
    # Certificates: M1 and M2 give 10, M3 gives 5 → M3 departs from the majority.
    FlagCode.OBJECTIVE_MISMATCH: ({**CLEAN, "M3": ("36", "14.5", "5")}, {},
                                  [(FlagCode.OBJECTIVE_MISMATCH, "M3", "O1")]),
    # T1 max 40, threshold 30 % of 40 = 12. M3 gives 20: others' mean (35 + 34)/2 = 34.5, off by 14.5 → flag.
    # M1: others (34 + 20)/2 = 27, off by 8; M2: (35 + 20)/2 = 27.5, off by 6.5 → no flag.
    # Subjective totals (T1 + S1, span 60, threshold 18): 50, 50, 34.5 → M3 off by 15.5 → no total flag.
    FlagCode.OUTLIER: ({**CLEAN, "M3": ("20", "14.5", "10")}, {}, [(FlagCode.OUTLIER, "M3", "T1")]),
    # Subjective totals 50, 50, 31: M3 off by 19 > 18 → total flag; T1 25 is off by 9.5, S1 6 by 9.5:
    # S1's threshold is 30 % of 20 = 6 → S1 flag too.
    FlagCode.TOTAL_OUTLIER: ({**CLEAN, "M3": ("25", "6", "10")}, {},
                             [(FlagCode.OUTLIER, "M3", "S1"), (FlagCode.TOTAL_OUTLIER, "M3", None)]),
}


@pytest.mark.parametrize("code", list(SCENARIOS))
def test_flag_scenarios(code):
    scores, stated, expected = SCENARIOS[code]
    prices = PriceScores(None, {"A": D("28.50")})
    flags = check_scores(sheet(**scores), SCHEME, MEMBERS, ("A",), stated_totals=stated, prices=prices)
    assert found(flags) == sorted(expected, key=lambda e: (e[0], e[1], e[2] or ""))
    assert all(flag.addressed_to == (flag.member, CHAIR) and flag.message for flag in flags)


def test_every_flag_code_has_a_scenario():
    assert set(SCENARIOS) == set(FlagCode)
    assert [code.value for code in FlagCode] == [
        "score.missing", "score.out_of_range", "score.bad_precision", "score.arithmetic",
        "score.objective_mismatch", "score.outlier", "score.total_outlier"]


def test_objective_mismatch_without_a_majority_flags_everyone():
    scores = {**CLEAN, "M1": ("35", "15", "10"), "M2": ("34", "16", "5"), "M3": ("36", "14.5", "0")}
    flags = check_scores(sheet(**scores), SCHEME, MEMBERS, ("A",))
    assert found(flags) == [(FlagCode.OBJECTIVE_MISMATCH, m, "O1") for m in MEMBERS]


def test_outlier_threshold_and_basis_are_configurable():
    scores = sheet(**{**CLEAN, "M3": ("28", "14.5", "10")})  # T1: M3 off by 6.5 from 34.5
    assert check_scores(scores, SCHEME, MEMBERS, ("A",)) == []
    # 15 % of 40 = 6 → flag.
    assert found(check_scores(scores, SCHEME, MEMBERS, ("A",), rules=RuleSet(outlier_percent=D(15)))) == [
        (FlagCode.OUTLIER, "M3", "T1")]
    # Mean basis: 15 % of 34.5 = 5.175 → flag; 20 % of 34.5 = 6.9 → none.
    mean = RuleSet(outlier_basis=OutlierBasis.MEAN, outlier_percent=D(20))
    assert check_scores(scores, SCHEME, MEMBERS, ("A",), rules=mean) == []


def test_no_outlier_test_with_two_members():
    scores = sheet(M1=("40", "20", "10"), M2=("0", "0", "10"))
    assert check_scores(scores, SCHEME, ("M1", "M2"), ("A",)) == []


# -- Art 64 guard ------------------------------------------------------------------------------

FLAGS = [Flag(FlagCode.ARITHMETIC, "M2", "A", None, "…"),
         Flag(FlagCode.OUT_OF_RANGE, "M3", "A", "S1", "…"),
         Flag(FlagCode.OBJECTIVE_MISMATCH, "M3", "A", "O1", "…"),
         Flag(FlagCode.OUTLIER, "M3", "A", "T1", "…")]


@pytest.mark.parametrize(("reason", "member", "criterion"), [
    ("arithmetic_error", "M2", None),
    ("arithmetic_error", "M2", "T1"),       # the total's error may be fixed in any of its parts
    ("out_of_range", "M3", "S1"),
    ("objective_inconsistent", "M3", "O1"),
    ("outlier", "M3", "T1"),
])
def test_allowed_changes_with_evidence(reason, member, criterion):
    assert check_score_change(reason, member=member, bidder="A", criterion=criterion, flags=FLAGS) == \
        ChangeReason(reason)


def test_committee_may_find_an_outlier_without_a_flag():
    assert check_score_change(ChangeReason.OUTLIER, member="M1", bidder="A", criterion="S1", flags=[],
                              committee_found_outlier=True) is ChangeReason.OUTLIER


@pytest.mark.parametrize(("reason", "member", "criterion", "kwargs", "code"), [
    ("changed_my_mind", "M1", "T1", {}, "score_change.reason_not_allowed"),
    ("out_of_range", "M1", "S1", {}, "score_change.no_evidence"),           # the flag is M3's
    ("out_of_range", "M3", "T1", {}, "score_change.no_evidence"),           # on another criterion
    ("objective_inconsistent", "M3", "S1", {}, "score_change.no_evidence"),
    ("outlier", "M3", "T1", {"report_signed": True}, "score_change.reevaluation_required"),
    ("arithmetic_error", "M3", None, {"committee_found_outlier": True}, "score_change.no_evidence"),
])
def test_refused_changes(reason, member, criterion, kwargs, code):
    with pytest.raises(RulesError) as error:
        check_score_change(reason, member=member, bidder="A", criterion=criterion, flags=FLAGS, **kwargs)
    assert error.value.code == code
