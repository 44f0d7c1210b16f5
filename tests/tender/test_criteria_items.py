"""Issue 13 §3: a criterion's 评分细则 (sub-items with their own range) travel from the tender to the room."""

from __future__ import annotations

import pytest
from tender_helpers import project_data

from core.errors import ValidationError

TECH = {"name": "技术", "weight": 45, "items": [{"text": "技术参数完全满足", "points": 30},
                                               {"text": "实施方案", "points": 15}]}


def _criteria(tech: dict) -> list[dict]:
    return [{"name": "价格", "weight": 40, "price": True}, tech, {"name": "商务", "weight": 15}]


def test_sub_items_are_kept_with_their_points(world, clock):
    from tender import service

    project = service.create_project(world.agency, project_data(world, clock.now(), criteria=_criteria(TECH)))
    assert project.criteria[1]["items"] == TECH["items"]
    assert "items" not in project.criteria[2]
    assert service.project_input(project)["criteria"][1]["items"] == TECH["items"]


@pytest.mark.parametrize("items, fragment", [
    ([{"text": "技术参数", "points": 30}], "分值之和应为 45"),
    ([{"text": "", "points": 45}], "第 1 条评分细则需要内容"),
    ("技术参数 45", "格式无效"),
])
def test_bad_sub_items_are_refused_by_name(world, clock, items, fragment):
    from tender import service

    with pytest.raises(ValidationError) as exc:
        service.create_project(world.agency, project_data(world, clock.now(),
                                                          criteria=_criteria({**TECH, "items": items})))
    assert fragment in exc.value.details["fields"]["criteria"] and "技术" in exc.value.details["fields"]["criteria"]


def test_the_form_reads_sub_item_lines(app):
    from tender.views import _criteria as parse

    with app.test_request_context():
        form = "价格, 40, 价格\n技术, 45\n- 技术参数完全满足, 30\n- 实施方案, 15\n商务, 15"
        assert parse(form)[1] == {**TECH, "price": False}
        with pytest.raises(ValidationError):
            parse("- 没有所属因素, 10")
