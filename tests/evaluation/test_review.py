"""Qualification and compliance review: majority per requirement, exclusions with reasons."""

import pytest

from evaluation.review import ReviewStage, ReviewVote, decide_reviews, decide_stage
from evaluation.rules import RulesError

Q, C = ReviewStage.QUALIFICATION, ReviewStage.COMPLIANCE
MEMBERS = ("M1", "M2", "M3")


def votes(stage, table):
    """{(bidder, requirement): "ppf"} with an optional reason for each f."""
    out = []
    for (bidder, requirement), marks in table.items():
        for member, mark in zip(MEMBERS, marks, strict=True):
            out.append(ReviewVote(stage, member, bidder, requirement, mark == "p",
                                  "" if mark == "p" else f"{member}: {requirement}不满足"))
    return out


def test_majority_decides_and_failures_carry_reasons():
    # X fails R1 two to one (M1, M2 fail); Y passes although M1 failed it on C1 (outvoted).
    ballot = votes(Q, {("X", "R1"): "ffp", ("X", "R2"): "ppp", ("Y", "R1"): "ppp", ("Y", "R2"): "ppp"}) + \
        votes(C, {("X", "C1"): "ppp", ("Y", "C1"): "fpp"})
    result = decide_reviews(ballot, MEMBERS, ("X", "Y"), {Q: ("R1", "R2"), C: ("C1",)})
    assert not result["X"].passed and result["Y"].passed
    [failure] = result["X"].failures
    assert (failure.stage, failure.requirement, failure.votes_for, failure.votes_against) == (Q, "R1", 1, 2)
    assert result["X"].reasons == ("M1: R1不满足", "M2: R1不满足")
    assert result["X"].dissenting_members == {"M3"}
    assert result["Y"].dissenting_members == {"M1"} and result["Y"].failures == ()


def test_failing_either_stage_excludes():
    ballot = votes(Q, {("X", "R1"): "ppp"}) + votes(C, {("X", "C1"): "pff"})
    result = decide_reviews(ballot, MEMBERS, ("X",), {Q: ("R1",), C: ("C1",)})
    assert not result["X"].passed and result["X"].failures[0].stage is C


def test_single_reviewer_for_qualification_by_the_agency():
    # 87号令 Art 44: the purchaser or agency reviews qualifications in a public tender.
    ballot = [ReviewVote(Q, "agency", "X", "R1", False, "未提供社保缴纳证明")]
    result = decide_stage(ballot, ("agency",), ("X",), ("R1",))
    assert result["X"].reasons == ("未提供社保缴纳证明",)


def test_no_stage_no_failure():
    assert decide_reviews([], MEMBERS, ("X",), {})["X"].passed


@pytest.mark.parametrize(("make", "code"), [
    (lambda: decide_stage([ReviewVote(Q, "M1", "X", "R1", True), ReviewVote(Q, "M2", "X", "R1", False, "x")],
                          ("M1", "M2"), ("X",), ("R1",)), "review.tie"),
    (lambda: decide_stage(votes(Q, {("X", "R1"): "ppp"})[:2], MEMBERS, ("X",), ("R1",)),
     "review.missing_vote"),
    (lambda: decide_stage(votes(Q, {("X", "R1"): "ppp"}) * 2, MEMBERS, ("X",), ("R1",)),
     "review.duplicate_vote"),
    (lambda: decide_stage(votes(Q, {("Z", "R1"): "ppp"}), MEMBERS, ("X",), ("R1",)),
     "review.unknown_requirement"),
    (lambda: decide_stage(votes(Q, {("X", "R1"): "ppp"}) + votes(C, {("X", "R1"): "ppp"}), MEMBERS, ("X",),
                          ("R1",)), "review.mixed_stages"),
    (lambda: decide_reviews(votes(C, {("X", "C1"): "ppp"}), MEMBERS, ("X",), {Q: ("R1",)}),
     "review.unknown_requirement"),
    (lambda: decide_stage([], (), ("X",), ("R1",)), "review.no_members"),
    (lambda: ReviewVote(Q, "M1", "X", "R1", False, "  "), "review.reason_required"),
])
def test_refusals(make, code):
    with pytest.raises(RulesError) as error:
        make()
    assert error.value.code == code
