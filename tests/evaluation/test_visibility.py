"""The stage permission table: who sees what, when (the issue's "who sees what when" table)."""

import pytest

from evaluation.transitions import CommitteeStatus as S
from evaluation.visibility import TABLE, Action, Actor, can

A = Action
M, CH, AG, SU, BI = Actor.MEMBER, Actor.CHAIR, Actor.AGENCY, Actor.SUPERVISOR, Actor.BIDDER


@pytest.mark.parametrize(("actor", "action", "stage", "allowed"), [
    # decrypted bids: members only, only while evaluating
    (M, A.READ_BIDS, S.FORMING, False), (M, A.READ_BIDS, S.DECLARING, False), (M, A.READ_BIDS, S.REVIEWING, True),
    (M, A.READ_BIDS, S.REPORTING, True), (M, A.READ_BIDS, S.COMPLETED, False), (M, A.READ_BIDS, S.SUSPENDED, False),
    (AG, A.READ_BIDS, S.REVIEWING, False), (SU, A.READ_BIDS, S.SCORING, False), (BI, A.READ_BIDS, S.SCORING, False),
    # scores: the agency never before the report is handed over, the supervisor from the summary
    (AG, A.SEE_ALL_SCORES, S.SCORING, False), (AG, A.SEE_ALL_SCORES, S.SUMMARY, False),
    (AG, A.SEE_ALL_SCORES, S.REPORTING, False), (AG, A.SEE_ALL_SCORES, S.COMPLETED, True),
    (SU, A.SEE_ALL_SCORES, S.SCORING, False), (SU, A.SEE_ALL_SCORES, S.SUMMARY, True),
    (M, A.SEE_ALL_SCORES, S.SCORING, False), (M, A.SEE_ALL_SCORES, S.SUMMARY, True),
    (M, A.SEE_OWN_SCORES, S.SCORING, True), (M, A.SEE_OWN_SCORES, S.REVIEWING, False),
    # changing scores: members while scoring; after the summary only the chair's Art 64 path
    (M, A.SCORE, S.SCORING, True), (M, A.SCORE, S.SUMMARY, False), (AG, A.SCORE, S.SCORING, False),
    (M, A.AMEND_SCORE, S.SUMMARY, False), (CH, A.AMEND_SCORE, S.SUMMARY, True), (CH, A.AMEND_SCORE, S.COMPLETED, False),
    (CH, A.ACCEPT_SUMMARY, S.SUMMARY, True), (M, A.ACCEPT_SUMMARY, S.SUMMARY, False),
    # reviews, clarifications
    (M, A.REVIEW, S.REVIEWING, True), (M, A.REVIEW, S.SCORING, False), (AG, A.REVIEW, S.REVIEWING, False),
    (M, A.ASK_CLARIFICATION, S.SCORING, True), (AG, A.ASK_CLARIFICATION, S.SCORING, False),
    (BI, A.ANSWER_CLARIFICATION, S.REVIEWING, True), (BI, A.ANSWER_CLARIFICATION, S.SUMMARY, False),
    # the room's clock and progress
    (AG, A.RUN_CLOCK, S.FORMING, True), (AG, A.RUN_CLOCK, S.SUSPENDED, True), (AG, A.RUN_CLOCK, S.COMPLETED, False),
    (M, A.RUN_CLOCK, S.SCORING, False), (SU, A.SEE_PROGRESS, S.SCORING, True), (BI, A.SEE_PROGRESS, S.SCORING, False),
    # the report
    (M, A.SIGN_REPORT, S.REPORTING, True), (M, A.SIGN_REPORT, S.COMPLETED, False),
    (SU, A.SIGN_REPORT, S.REPORTING, False),
    (AG, A.READ_REPORT, S.REPORTING, False), (AG, A.READ_REPORT, S.COMPLETED, True),
])
def test_permission_table(actor, action, stage, allowed):
    assert can(actor, action, stage) is allowed


def test_a_member_who_has_submitted_sees_the_others_while_they_score():
    assert can("member", "see_all_scores", "scoring", own_scores_submitted=True)
    assert not can("member", "see_all_scores", "reviewing", own_scores_submitted=True)
    assert not can("agency", "see_all_scores", "scoring", own_scores_submitted=True)


def test_the_chair_has_every_right_of_a_member():
    for action, stages in TABLE[Actor.MEMBER].items():
        assert stages <= TABLE[Actor.CHAIR][action]


def test_nobody_but_members_reads_bids_or_scores_while_evaluating():
    for actor in (AG, SU, BI):
        for stage in (S.REVIEWING, S.SCORING):
            assert not can(actor, A.READ_BIDS, stage) and not can(actor, A.SEE_ALL_SCORES, stage)
            assert not can(actor, A.SCORE, stage)


def test_unknown_names_are_refused():
    with pytest.raises(ValueError):
        can("janitor", "read_bids", "scoring")
