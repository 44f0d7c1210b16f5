"""Issue 21: an expert who moves to a bidder is avoided from the day the move is declared, while finance
reviews it, and afterwards for the old employer as a past employer."""

from __future__ import annotations

from datetime import date

from core.db import db
from expert_draw import service
from expert_draw.models import DrawExclusion
from registry.experts import changes


def _excluded(draw) -> dict[int, str]:
    return {e.expert_id: e.rule for e in db.session.query(DrawExclusion).filter_by(draw_id=draw.id)}


def test_a_declared_move_to_a_bidder_is_avoided_before_and_after_review(world, make_expert, make_request):
    for _ in range(7):
        make_expert(["B01"])
    mover = make_expert(["B01"], employer_name="温州大学")
    changes.request_employer_change(mover, "温州新锐医疗器械 有限公司", date(2026, 11, 2))  # a bidder (s2)
    db.session.commit()
    pending = service.commit_draw(world.users["agency"], make_request(counts=(("B01", 5, 1),)))
    assert _excluded(pending).get(mover.id) == "relation_party"

    # approved: the bidder is now the employer; the university it left stays a past employer
    change = changes.pending_change(mover)
    changes.review_employer_change(world.users["reviewer"], change.id, approve=True)
    db.session.commit()
    after = service.commit_draw(world.users["agency"], make_request(counts=(("B01", 5, 1),)))
    assert _excluded(after).get(mover.id) == "employer_party"


def test_a_move_away_from_a_bidder_keeps_the_bidder_avoided_as_past_employer(world, make_expert, make_request):
    for _ in range(7):
        make_expert(["B01"])
    leaver = make_expert(["B01"], employer_name="浙江云帆信息技术有限公司", employer_org_id=world.orgs["s1"].id)
    change = changes.request_employer_change(leaver, "温州大学", date(2026, 11, 2))
    changes.review_employer_change(world.users["reviewer"], change.id, approve=True)
    db.session.commit()
    draw = service.commit_draw(world.users["agency"], make_request(counts=(("B01", 5, 1),)))
    assert _excluded(draw).get(leaver.id) == "past_employer_party"
