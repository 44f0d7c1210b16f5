"""Options of a draw: credit weighting, hand-picked experts, a public beacon, later avoidance, cancel."""

import copy
from datetime import timedelta

import pytest

from core.db import db
from core.errors import DomainError
from expert_draw import drawing, present, service
from expert_draw.models import InvitationKind, InvitationStatus, RequestStatus
from expert_draw.verifier import Difference, verify_draw
from registry.experts import service as library


def committed_payload(draw):
    return next(e for e in service.draw_events(draw.id) if e["action"] == "expert_draw.committed")["payload"]


def test_credit_weighting_is_committed_and_verified(world, make_expert, make_request):
    experts = [make_expert(["B01"]) for _ in range(7)]
    library.record_credit(experts[0], "late_decline")  # 2 points: tier B
    library.record_credit(experts[1], "no_show")  # 6 points: tier C
    service.set_region_rule(world.users["supervisor"], "330329", weighting="A:3,B:2,C:1")
    req = make_request(counts=(("B01", 5, 1),))
    draw = service.commit_draw(world.users["agency"], req)
    spec = committed_payload(draw)["specialties"][0]
    assert sorted(spec["weights"]) == sorted("3333321")
    assert committed_payload(draw)["rule_set"]["weighting"] == "A:3,B:2,C:1"
    service.run_draw(draw, world.users["supervisor"], "555555")
    db.session.commit()
    assert verify_draw(service.draw_events(draw.id), draw.id).primary == 5
    with pytest.raises(DomainError):
        service.set_region_rule(world.users["supervisor"], "330329", weighting="A:9")


def test_hand_picked_expert_is_marked_and_kept_out_of_the_pool(world, make_expert, make_request):
    picked = make_expert(["B01"])
    for _ in range(8):
        make_expert(["B01"])
    pick = service.HandPickIn(picked.id, "B01", "泰财采〔2026〕12号", "技术复杂，需要该领域专家")
    with pytest.raises(DomainError) as exc:
        make_request(counts=(("B01", 4, 1),), hand_picks=[pick])
    assert exc.value.code == "hand_pick_not_allowed"
    with pytest.raises(DomainError) as exc:  # complex: 7 or more (87号令 Art 47 (二))
        make_request(counts=(("B01", 4, 1),), hand_picks=[pick], is_complex=True, complex_reason="多学科影像系统")
    assert exc.value.code == "committee_too_small"
    req = make_request(counts=(("B01", 6, 1),), hand_picks=[pick], is_complex=True, complex_reason="多学科影像系统")
    draw = service.commit_draw(world.users["agency"], req)
    assert (picked.id, "hand_picked") in {(e.expert_id, e.rule) for e in service.exclusions_of(draw)}
    service.run_draw(draw, world.users["supervisor"], "666666")
    db.session.commit()
    hand = [i for i in req.invitations if i.kind == InvitationKind.HAND_PICKED]
    assert [i.expert_id for i in hand] == [picked.id] and hand[0].status == InvitationStatus.INVITED
    view = present.present_request(req, world.users["supervisor"], names=True)
    assert [m["name"] for m in view["members"] if m["is_hand_picked"]] == [picked.name]
    assert view["hand_picks"][0]["approval_ref"] == "泰财采〔2026〕12号"


def test_beacon_joins_the_seed_when_announced(world, make_expert, make_request):
    for _ in range(6):
        make_expert(["B01"])
    req = make_request(counts=(("B01", 5, 0),))
    draw = service.commit_draw(world.users["agency"], req, beacon="drand quicknet round 9000001")
    with pytest.raises(DomainError) as exc:
        service.run_draw(draw, world.users["supervisor"], "777777")
    assert exc.value.code == "beacon_required"
    service.run_draw(draw, world.users["supervisor"], "777777", "5d1b6c0f" * 8)
    db.session.commit()
    events = service.draw_events(draw.id)
    assert verify_draw(events, draw.id).drawn
    bad = copy.deepcopy(events)
    next(e for e in bad if e["action"] == "expert_draw.drawn")["payload"]["beacon_value"] = "0" * 64
    with pytest.raises(Difference, match="draw seed"):
        verify_draw(bad, draw.id, check_leaf_hashes=False)


def test_avoidance_found_later_withdraws_and_replaces(world, make_expert, make_request):
    for _ in range(7):
        make_expert(["B01"])
    req = make_request(counts=(("B01", 5, 1),))
    draw = service.commit_draw(world.users["agency"], req)
    service.run_draw(draw, world.users["supervisor"], "888888")
    db.session.commit()
    inv = next(i for i in req.invitations if i.status == InvitationStatus.INVITED)
    with pytest.raises(DomainError):
        service.withdraw_invitation(world.users["purchaser"], inv, "发现与投标人有关联")
    notify = service.withdraw_invitation(world.users["supervisor"], inv, "发现与投标人有关联")
    db.session.commit()
    assert inv.status == InvitationStatus.WITHDRAWN and len(notify) == 1
    replaced = [e for e in service.draw_events(draw.id) if e["action"] == "expert_draw.replaced"]
    assert replaced[0]["payload"]["reason"] == "avoidance"
    assert verify_draw(service.draw_events(draw.id), draw.id).replacements == 1


def test_cancel_withdraws_every_seat(world, make_expert, make_request, clock):
    for _ in range(6):
        make_expert(["B01"])
    req = make_request(counts=(("B01", 5, 1),))
    service.run_draw(service.commit_draw(world.users["agency"], req), world.users["supervisor"], "999999")
    db.session.commit()
    with pytest.raises(DomainError):
        service.cancel_request(world.users["agency"], req, " ")
    service.cancel_request(world.users["agency"], req, "项目终止")
    db.session.commit()
    assert req.status == RequestStatus.CANCELLED
    assert {i.status for i in req.invitations} == {InvitationStatus.WITHDRAWN, InvitationStatus.RELEASED}
    inv = req.invitations[0]
    with pytest.raises(DomainError):
        service.confirm_invitation(inv.expert.account, inv)
    clock.advance(timedelta(days=1))
    assert service.time_out_invitations() == []


def test_only_the_agency_of_the_project_manages_it(world, make_request, make_expert):
    make_expert(["B01"])
    req = make_request(counts=(("B01", 5, 0),))
    for who in ("other_agency", "purchaser", "supervisor"):
        with pytest.raises(DomainError) as exc:
            service.commit_draw(world.users[who], req)
        assert exc.value.code == "not_request_agency"


def test_suppliers_that_register_late_are_avoided_at_the_commitment(
    world, make_expert, make_request, subject, monkeypatch
):
    for _ in range(6):
        make_expert(["B01"])
    late = make_expert(["B01"], employer_org_id=world.orgs["outsider"].id, employer_name="杭州博远教学装备有限公司")
    subject.project_id = 42
    req = make_request(counts=(("B01", 5, 0),), subject=subject)
    fresh = copy.copy(subject)
    fresh.supplier_org_ids = subject.supplier_org_ids | {world.orgs["outsider"].id}
    monkeypatch.setattr(drawing, "subject_for_project", lambda project_id, lot_id=None: fresh)
    draw = service.commit_draw(world.users["agency"], req)
    assert world.orgs["outsider"].id in req.supplier_org_ids
    assert (late.id, "employer_party") in {(e.expert_id, e.rule) for e in service.exclusions_of(draw)}


def test_a_hand_pick_names_a_requested_specialty_the_expert_holds(world, make_expert, make_request):
    picked = make_expert(["B01"])
    for _ in range(8):
        make_expert(["B01"])
    for code, refused in (("C01", "hand_pick_specialty_not_requested"), ("B01", None)):
        pick = service.HandPickIn(picked.id, code, "泰财采〔2026〕12号", "技术复杂，需要该领域专家")
        counts = (("B01", 6, 1),)
        if refused:
            with pytest.raises(DomainError) as exc:
                make_request(counts=counts, hand_picks=[pick], is_complex=True, complex_reason="多学科影像系统")
            assert exc.value.code == refused
            db.session.rollback()
    other = make_expert(["C01"])
    pick = service.HandPickIn(other.id, "B01", "泰财采〔2026〕12号", "技术复杂，需要该领域专家")
    with pytest.raises(DomainError) as exc:
        make_request(counts=(("B01", 6, 1),), hand_picks=[pick], is_complex=True, complex_reason="多学科影像系统")
    assert exc.value.code == "hand_pick_specialty_not_held"


def test_a_hand_picked_member_who_leaves_leaves_a_seat_for_the_supplementary_draw(world, make_expert, make_request):
    """Issue 21: a hand-picked member who declares a conflict in the room was never refilled — the missing
    seats counted drawn seats only, so the supplementary draw found nothing missing. The hand-picked seat
    counts like a drawn one: drawn 6 + 1 hand-picked is whole; once the hand-picked one is withdrawn one
    seat is missing, and the supplementary draw fills exactly that one."""
    picked = make_expert(["B01"])
    for _ in range(9):
        make_expert(["B01"])
    pick = service.HandPickIn(picked.id, "B01", "泰财采〔2026〕12号", "技术复杂，需要该领域专家")
    req = make_request(counts=(("B01", 6, 0),), hand_picks=[pick], is_complex=True, complex_reason="多学科影像系统")
    service.run_draw(service.commit_draw(world.users["agency"], req), world.users["supervisor"], "666666")
    db.session.commit()
    assert service.missing_seats(req) == {"B01": 0}
    hand = next(i for i in req.invitations if i.kind == InvitationKind.HAND_PICKED)
    assert service.withdraw_invitation(world.users["agency"], hand, "评审室回避声明：近三年曾在投标人处任职") == []
    db.session.commit()
    assert req.status.value == "short" and service.missing_seats(req) == {"B01": 1}
    draw = service.commit_draw(world.users["agency"], req)
    service.run_draw(draw, world.users["supervisor"], "777777")
    db.session.commit()
    assert service.missing_seats(req) == {"B01": 0}
    assert len([i for i in req.invitations if i.draw_id == draw.id and i.status.value == "invited"]) == 1
