"""The evaluation lifecycles' transition tables: allowed moves pass, every other pair is refused."""

from types import SimpleNamespace

import pytest

from core.errors import Conflict
from evaluation.transitions import (
    TRANSITIONS,
    AwardStatus,
    CommitteeStatus,
    MemberStatus,
    ReportStatus,
    can_move,
    move,
)

C = CommitteeStatus

ALLOWED_COMMITTEE_PATH = [C.FORMING, C.DECLARING, C.REVIEWING, C.SCORING, C.SUMMARY, C.REPORTING, C.COMPLETED]


Committee = SimpleNamespace


def test_the_happy_path_of_a_committee():
    committee = Committee(status=C.FORMING, suspended_from=None)
    for to in ALLOWED_COMMITTEE_PATH[1:]:
        move(committee, to)
    assert committee.status is C.COMPLETED


def test_lowest_price_method_skips_scoring():
    assert can_move(C.REVIEWING, C.SUMMARY)


@pytest.mark.parametrize(("current", "to"), [
    (C.FORMING, C.SCORING), (C.DECLARING, C.SCORING), (C.COMPLETED, C.SCORING), (C.FAILED, C.REVIEWING),
    (C.FORMING, C.SUSPENDED), (C.COMPLETED, C.SUSPENDED), (C.REPORTING, C.SCORING),
])
def test_refused_committee_moves(current, to):
    committee = Committee(status=current, suspended_from=None)
    with pytest.raises(Conflict) as error:
        move(committee, to)
    assert error.value.code == "committee_transition_refused"
    assert error.value.details == {"from": current.value, "to": to.value}
    assert committee.status is current


def test_suspension_resumes_only_where_it_left():
    committee = Committee(status=C.SCORING, suspended_from=None)
    move(committee, C.SUSPENDED)
    assert committee.suspended_from is C.SCORING
    with pytest.raises(Conflict):
        move(committee, C.REPORTING)
    move(committee, C.SCORING)
    assert (committee.status, committee.suspended_from) == (C.SCORING, None)
    move(committee, C.SUSPENDED)
    move(committee, C.FAILED)  # a suspended lot may also fail
    assert committee.status is C.FAILED


@pytest.mark.parametrize("enum_cls", [CommitteeStatus, MemberStatus, ReportStatus, AwardStatus])
def test_every_pair_outside_the_table_is_refused(enum_cls):
    allowed = TRANSITIONS[enum_cls]
    name = f"{enum_cls.__name__.removesuffix('Status').lower()}"
    for current in enum_cls:
        for to in enum_cls:
            obj = SimpleNamespace(status=current, suspended_from=to)
            if (current, to) in allowed:
                move(obj, to)
                assert obj.status is to
            else:
                with pytest.raises(Conflict) as error:
                    move(obj, to)
                assert error.value.code == f"{name}_transition_refused"


@pytest.mark.parametrize(("enum_cls", "terminal"), [
    (MemberStatus, {MemberStatus.CONFLICT, MemberStatus.LEFT}),
    (ReportStatus, {ReportStatus.SUPERSEDED}),
    (AwardStatus, {AwardStatus.CONTRACTED, AwardStatus.VOIDED}),
])
def test_terminal_statuses(enum_cls, terminal):
    sources = {current for current, _ in TRANSITIONS[enum_cls]}
    assert set(enum_cls) - sources == terminal
