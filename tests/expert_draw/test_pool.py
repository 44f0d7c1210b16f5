"""The pool as the database sees it: exclusions with reasons, region fallback, replacements."""

from datetime import date, timedelta

import pytest

from core.clock import to_local
from core.db import db
from core.errors import DomainError
from expert_draw import service
from expert_draw.models import DrawExclusion, InvitationStatus, RequestStatus
from expert_draw.verifier import verify_draw
from registry.experts import service as library
from registry.experts.models import ExpertStatus, RelationKind


def exclusions(draw):
    return {(e.expert_id, e.rule) for e in db.session.query(DrawExclusion).filter_by(draw_id=draw.id)}


def test_each_avoidance_rule_is_applied_from_the_library(world, make_expert, make_request, clock):
    orgs = world.orgs
    fine = [make_expert(["B01"]) for _ in range(5)]
    cases = {
        "employer_party": make_expert(["B01"], employer_org_id=orgs["purchaser"].id, employer_name="泰顺县人民医院"),
        "agency_staff": make_expert(["B01"], employer_org_id=orgs["agency"].id),
        "finance_staff": make_expert(["B01"], employer_org_id=orgs["finance"].id),
        "age_limit": make_expert(["B01"], birth=date(1950, 1, 1)),
        "not_active": make_expert(["B01"], status=ExpertStatus.SUSPENDED, status_reason="信用"),
        "on_leave": make_expert(["B01"]),
        "past_employer_party": make_expert(["B01"]),
        "relation_party": make_expert(["B01"]),
        "manual": make_expert(["B01"]),
    }
    library.add_leave(cases["on_leave"], date(2026, 11, 29), date(2026, 12, 2))
    library.add_relation(
        cases["past_employer_party"],
        RelationKind.PAST_EMPLOYER,
        "浙江云帆信息技术有限公司",
        orgs["s1"].id,
        date(2015, 1, 1),
        date(2025, 1, 1),
    )
    library.add_relation(cases["relation_party"], RelationKind.SHAREHOLDING, "温州新锐医疗器械有限公司")
    db.session.commit()
    old_employer = make_expert(["B01"])  # left the supplier more than 3 years ago: stays in the pool
    library.add_relation(
        old_employer,
        RelationKind.PAST_EMPLOYER,
        "浙江云帆信息技术有限公司",
        orgs["s1"].id,
        date(2010, 1, 1),
        date(2022, 1, 1),
    )
    req = make_request(counts=(("B01", 5, 1),))
    service.add_manual_exclusion(world.users["agency"], req, cases["manual"].id, "曾参与该项目需求论证")
    draw = service.commit_draw(world.users["agency"], req)
    db.session.commit()
    found = exclusions(draw)
    for code, expert in cases.items():
        assert (expert.id, code) in found, code
    excluded_ids = {e for e, _ in found}
    assert not excluded_ids & {e.id for e in [*fine, old_employer]}
    assert draw.pool_size == 6


def test_same_purchaser_and_overlap_come_from_other_draws(world, make_expert, make_request, subject, clock):
    experts = [make_expert(["B01"]) for _ in range(6)]
    first = make_request(counts=(("B01", 5, 0),))
    service.run_draw(service.commit_draw(world.users["agency"], first), world.users["supervisor"], "111111")
    db.session.commit()
    seated = {i.expert_id for i in first.invitations}
    # Another purchaser at the same time: overlap.
    subject.purchaser_org_id = world.orgs["other_purchaser"].id
    same_time = make_request(counts=(("B01", 5, 0),), subject=subject)
    draw = service.commit_draw(world.users["agency"], same_time)
    assert {e for e, r in exclusions(draw) if r == "overlap"} == seated
    # Same purchaser, a week later, no time overlap: the five seated are excluded for same_purchaser.
    subject.purchaser_org_id = world.orgs["purchaser"].id
    later = make_request(counts=(("B01", 5, 0),), start=first.evaluation_start_at + timedelta(days=7), subject=subject)
    clock.advance(timedelta(days=6))
    draw = service.commit_draw(world.users["agency"], later)
    assert {e for e, r in exclusions(draw) if r == "same_purchaser"} == seated
    assert len(experts) == 6


def test_region_fallback_widens_only_when_short_and_allowed(world, make_expert, make_request):
    for _ in range(3):
        make_expert(["B01"], region_code="330329")
    for _ in range(4):
        make_expert(["B01"], region_code="330300")
    req = make_request(counts=(("B01", 5, 0),))
    draw = service.commit_draw(world.users["agency"], req)
    assert draw.scope_region_code == "330300" and draw.pool_size == 7
    service.discard_draw(world.users["agency"], draw, "测试")
    service.set_region_rule(world.users["supervisor"], "330329", allow_fallback=False)
    draw = service.commit_draw(world.users["agency"], req)
    assert draw.scope_region_code == "330329" and draw.pool_size == 3


def test_replacement_chain_until_the_pool_runs_dry(world, make_expert, make_request, clock):
    experts = [make_expert(["B01"]) for _ in range(7)]
    req = make_request(counts=(("B01", 5, 1),))
    draw = service.commit_draw(world.users["agency"], req)
    service.run_draw(draw, world.users["supervisor"], "20261127")
    db.session.commit()
    backup = next(i for i in req.invitations if i.status == InvitationStatus.STANDBY)
    # 1. A decline: the backup is called first.
    first = next(i for i in req.invitations if i.status == InvitationStatus.INVITED)
    notify = service.decline_invitation(first.expert.account, first, "出差")
    db.session.commit()
    assert notify == [backup.id] and backup.status == InvitationStatus.INVITED
    # 2. The one left in the reserve goes on leave: a timeout skips them with the reason, and the pool is dry.
    reserve = {e.id for e in experts} - {i.expert_id for i in req.invitations}
    (last,) = reserve
    library.add_leave(db.session.get(type(experts[0]), last), date(2026, 11, 30), date(2026, 11, 30))
    second = next(i for i in req.invitations if i.status == InvitationStatus.INVITED and i.id != backup.id)
    for inv in [i for i in req.invitations if i.status == InvitationStatus.INVITED and i.id != second.id]:
        service.confirm_invitation(inv.expert.account, inv)
    db.session.commit()
    clock.advance(timedelta(hours=25))
    service.time_out_invitations()
    db.session.commit()
    assert second.status == InvitationStatus.TIMED_OUT
    assert req.status == RequestStatus.SHORT and service.missing_seats(req) == {"B01": 1}
    events = [e for e in service.draw_events(draw.id) if e["action"] == "expert_draw.replaced"]
    assert events[-1]["payload"]["skipped"][0][1] == "on_leave" and events[-1]["payload"]["chosen"] is None
    assert verify_draw(service.draw_events(draw.id), draw.id).replacements == 2
    # The timeout is a credit record; running the sweep again changes nothing.
    assert library.credit_points(second.expert, clock.now()) > 0
    assert service.time_out_invitations() == []


def test_supplement_draw_after_the_pool_ran_dry(world, make_expert, make_request):
    for _ in range(4):
        make_expert(["B01"], region_code="330329")
    service.set_region_rule(world.users["supervisor"], "330329", allow_fallback=False)
    req = make_request(counts=(("B01", 5, 0),))
    service.run_draw(service.commit_draw(world.users["agency"], req), world.users["supervisor"], "424242")
    db.session.commit()
    assert req.status == RequestStatus.SHORT and service.missing_seats(req) == {"B01": 1}
    make_expert(["B01"], region_code="330329")
    supplement = service.commit_draw(world.users["agency"], req)
    service.run_draw(supplement, world.users["supervisor"], "434343")
    db.session.commit()
    assert req.status == RequestStatus.DRAWN and service.missing_seats(req) == {"B01": 0}
    assert verify_draw(service.draw_events(supplement.id), supplement.id).primary == 1


def test_draw_refused_before_it_opens_and_without_a_proper_number(world, make_expert, make_request, clock):
    for _ in range(6):
        make_expert(["B01"])
    req = make_request(counts=(("B01", 5, 0),), start=clock.now() + timedelta(days=10))  # Monday 7 December
    assert to_local(req.opens_at).date() == date(2026, 12, 3)  # two working days before: Thursday
    with pytest.raises(DomainError) as exc:
        service.commit_draw(world.users["agency"], req)
    assert exc.value.code == "draw_not_open"
    clock.advance(timedelta(days=6))  # Thursday 10:00
    draw = service.commit_draw(world.users["agency"], req)
    with pytest.raises(DomainError) as exc:
        service.run_draw(draw, world.users["supervisor"], "12ab")
    assert exc.value.code == "supervisor_input_invalid"
    with pytest.raises(DomainError) as exc:
        service.run_draw(draw, world.users["agency"], "123456")
    assert exc.value.code == "not_supervisor"
    service.run_draw(draw, world.users["supervisor"], "123456")
    clock.advance(timedelta(days=5))
    with pytest.raises(DomainError) as exc:
        service.commit_draw(world.users["agency"], req)
    assert exc.value.code in ("evaluation_started", "draw_request_transition_refused")


def test_committee_rules_refuse_a_bad_request(world, make_request):
    with pytest.raises(Exception) as exc:
        make_request(counts=(("B01", 4, 0),))
    assert exc.value.code == "committee_even"


def test_late_decline_is_a_credit_record_and_the_rule_suspends(world, make_expert, make_request, clock):
    for _ in range(7):
        make_expert(["B01"])
    req = make_request(counts=(("B01", 5, 2),))
    clock.advance(timedelta(days=2))  # drawn on Sunday morning
    service.run_draw(service.commit_draw(world.users["agency"], req), world.users["supervisor"], "777777")
    db.session.commit()
    clock.advance(timedelta(hours=10))  # Sunday evening, under 24 hours before Monday 09:00
    inv = next(i for i in req.invitations if i.status == InvitationStatus.INVITED)
    service.decline_invitation(inv.expert.account, inv, "临时有事")
    db.session.commit()
    assert library.credit_points(inv.expert, clock.now()) == 2
    for _ in range(5):
        library.record_credit(inv.expert, "late_decline")
    assert inv.expert.status == ExpertStatus.SUSPENDED and inv.expert.suspended_until is not None


def test_same_day_sessions_closer_than_the_regions_gap_are_avoided(world, make_expert, make_request, subject, clock):
    """Issue 21: only overlapping sessions were avoided on the same day. The gap between two sessions of one
    expert is a region rule (expert_draw.session_gap_minutes, national default 60): a session starting 30
    minutes after the expert's other one ends is avoided with the gap named; 90 minutes after is not; a
    region that sets 0 avoids overlapping sessions only."""
    from region_rules import store

    for _ in range(11):
        make_expert(["B01"])
    first = make_request(counts=(("B01", 5, 0),))  # 09:00–17:00 (the default eight hours)
    service.run_draw(service.commit_draw(world.users["agency"], first), world.users["supervisor"], "111111")
    db.session.commit()
    seated = {i.expert_id for i in first.invitations}
    subject.purchaser_org_id = world.orgs["other_purchaser"].id
    end = first.evaluation_end_at

    close = make_request(counts=(("B01", 5, 0),), start=end + timedelta(minutes=30), subject=subject)
    draw = service.commit_draw(world.users["agency"], close)
    assert {e for e, r in exclusions(draw) if r == "overlap"} == seated
    details = {e.detail for e in db.session.query(DrawExclusion).filter_by(draw_id=draw.id, rule="overlap")}
    assert details == {"含前后 60 分钟间隔"}
    service.discard_draw(world.users["agency"], draw, "测试")
    db.session.commit()

    later = make_request(counts=(("B01", 5, 0),), start=end + timedelta(minutes=90), subject=subject)
    draw = service.commit_draw(world.users["agency"], later)
    assert not {e for e, r in exclusions(draw) if r == "overlap"}
    service.discard_draw(world.users["agency"], draw, "测试")
    db.session.commit()

    store.set_values(None, first.region_code, {"expert_draw.session_gap_minutes": 0}, reason="本县只回避时间重叠")
    db.session.commit()
    again = make_request(counts=(("B01", 5, 0),), start=end + timedelta(minutes=30), subject=subject)
    draw = service.commit_draw(world.users["agency"], again)
    assert not {e for e, r in exclusions(draw) if r == "overlap"}
