"""The pool's bulk writes (COPY on PostgreSQL, one executemany elsewhere) store exactly what was computed."""

import gc

import pytest

from core.db import db
from core.errors import Conflict
from expert_draw import service
from expert_draw.models import DrawCandidate, DrawExclusion
from expert_draw.verifier import leaf_of, pool_entries


def test_candidates_and_exclusions_are_stored_exactly(world, make_expert, make_request, clock):
    experts = [make_expert(["B01"]) for _ in range(8)]
    req = make_request(counts=(("B01", 5, 1),))
    awkward = '见附件\t第 2 条\\（"回避"）\n另：\r\x01'
    service.add_manual_exclusion(world.users["agency"], req, experts[0].id, awkward)
    draw = service.commit_draw(world.users["agency"], req)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.execute(
        db.select(DrawExclusion.expert_id, DrawExclusion.rule, DrawExclusion.detail).where(
            DrawExclusion.draw_id == draw.id
        )
    ).all()
    assert [tuple(r) for r in stored] == [(experts[0].id, "manual", awkward.strip()[:200])]
    rows = db.session.execute(
        db.select(DrawCandidate.expert_id, DrawCandidate.salt, DrawCandidate.leaf, DrawCandidate.weight).where(
            DrawCandidate.draw_id == draw.id
        )
    ).all()
    assert sorted(r.expert_id for r in rows) == [e.id for e in experts[1:]]
    assert all(len(r.salt) == 16 and leaf_of(r.salt, r.expert_id) == r.leaf and r.weight == 1 for r in rows)
    assert len({r.salt for r in rows}) == len(rows)
    committed = service.event_payloads(draw.id)[0]["specialties"][0]
    assert [leaf for leaf, _ in pool_entries(committed)] == sorted(r.leaf for r in rows)


def test_the_garbage_collector_is_back_on_after_a_draw_step(world, make_expert, make_request, clock):
    for _ in range(5):
        make_expert(["B01"])
    req = make_request(counts=(("B01", 5, 0),))
    assert gc.isenabled()
    draw = service.commit_draw(world.users["agency"], req)
    assert gc.isenabled()
    with pytest.raises(Conflict):
        service.commit_draw(world.users["agency"], req)  # already committed: refused inside the step
    assert gc.isenabled()
    gc.disable()
    try:
        service.run_draw(draw, world.users["supervisor"], "123456")
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()
