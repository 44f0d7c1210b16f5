"""The draw reads its rules from the one region-rule store: a city's rule reaches its counties, the
draw records the region's rule-set version and commits the values it ran under."""

from __future__ import annotations

import pytest

from core.errors import DomainError
from expert_draw import service


def committed_payload(draw):
    return next(e for e in service.draw_events(draw.id) if e["action"] == "expert_draw.committed")["payload"]


def test_the_draw_records_the_rule_version_it_ran_under(world, make_expert, make_request):
    from region_rules import store

    for _ in range(7):
        make_expert(["B01"])
    service.set_region_rule(world.users["supervisor"], "330300", age_limit=66)  # the city
    req = make_request(counts=(("B01", 5, 1),))
    draw = service.commit_draw(world.users["agency"], req)
    assert draw.rule_version == store.version("330329") == 1
    rule_set = committed_payload(draw)["rule_set"]
    assert rule_set["age_limit"] == 66 and rule_set["version"] == 1 and rule_set["region"] == "330329"
    assert service.rule_for("330329").age_limit == 66 and service.rule_for(None).age_limit == 70


def test_a_draw_rule_out_of_its_range_is_refused(world):
    with pytest.raises(DomainError, match="专家年龄上限"):
        service.set_region_rule(world.users["supervisor"], "330329", age_limit=120)
    with pytest.raises(DomainError, match="未知的规则项"):
        service.set_region_rule(world.users["supervisor"], "330329", age_limt=65)
