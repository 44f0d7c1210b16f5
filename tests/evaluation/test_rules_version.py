"""The room runs under the region's rules in force when it opens (inherited from the city), records the
rule-set version they belong to and shows it; a later change does not reach an open room."""

from __future__ import annotations

from datetime import timedelta

from tests_helpers import login


def test_the_room_records_and_shows_the_rule_version_it_opened_under(room, clock, client):
    from core.db import db
    from evaluation import service
    from evaluation.room import rules_of
    from region_rules import store

    store.set_values(None, "330300", {"evaluation.candidates": 2})  # the city's rule reaches the county
    db.session.commit()
    clock.advance(timedelta(minutes=31))
    committee = service.open_evaluation(room.agency, room.lot.id)
    db.session.commit()
    assert committee.rules_version == store.version("330329") == 1
    assert rules_of(committee).candidates == 2
    store.set_values(None, "330329", {"evaluation.candidates": 1})  # later: the open room keeps its rules
    db.session.commit()
    assert rules_of(committee).candidates == 2 and store.version("330329") == 2
    login(client, room.agency)
    page = client.get(f"/evaluation/{committee.id}").get_data(as_text=True)
    assert "区划规则第 1 版" in page
