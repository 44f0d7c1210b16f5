"""The one region-rule store: inherited province → city → county, dated, never retroactive, range-checked,
versioned; the supervisor's page changes it (audited) and shows where each value comes from."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from tests_helpers import login

from core.errors import Forbidden, ValidationError


@pytest.fixture
def supervisor(make_user):
    return make_user("supervisor")


def test_a_value_is_inherited_downward_and_the_nearest_level_wins(region, clock):
    from region_rules import store

    assert store.value("330329", "min_doc_workdays") == 5  # the national default, nobody set anything
    store.set_values(None, "330000", {"min_doc_workdays": 7})
    assert [store.value(code, "min_doc_workdays") for code in ("330000", "330300", "330329")] == [7, 7, 7]
    assert store.value(None, "min_doc_workdays") == 5  # a province never changes the national level
    store.set_values(None, "330300", {"min_doc_workdays": 6})
    assert [store.value(code, "min_doc_workdays") for code in ("330000", "330300", "330329")] == [7, 6, 6]
    rules = store.snapshot("330329")
    assert rules.set_by["min_doc_workdays"] == "330300" and "min_bids.inquiry" not in rules.set_by
    assert rules.version == 2 and store.version("330000") == 1 and store.version(None) == 0


def test_a_change_applies_from_its_date_and_never_before(region, clock, supervisor):
    from region_rules import store

    today = clock.now()
    store.set_values(supervisor, "330329", {"opening_window_minutes": 90}, effective_on=date(2026, 12, 1))
    assert store.value("330329", "opening_window_minutes") == 120  # Friday 27 November: not yet
    assert store.version("330329") == 0 and store.history("330329")[0][0] is None  # pending, no version
    clock.set(today + timedelta(days=4))  # Tuesday 1 December, 10:00 Beijing
    assert store.value("330329", "opening_window_minutes") == 90 and store.version("330329") == 1
    assert store.value("330329", "opening_window_minutes", at=today) == 120  # what ran before stays as it ran
    with pytest.raises(ValidationError, match="不溯及既往") as refused:
        store.set_values(supervisor, "330329", {"opening_window_minutes": 60}, effective_on=date(2026, 11, 30))
    assert refused.value.code == "rule_retroactive"


def test_today_means_from_now_on_not_from_midnight(region, clock, supervisor):
    from region_rules import store

    before = clock.now()
    clock.advance(timedelta(minutes=5))
    store.set_values(supervisor, "330329", {"replaced_bids_kept_max": 3}, effective_on=date(2026, 11, 27))
    assert store.value("330329", "replaced_bids_kept_max") == 3
    assert store.value("330329", "replaced_bids_kept_max", at=before) == 5  # earlier today: the old value


@pytest.mark.parametrize(("values", "message"), [
    ({"min_doc_workdays": 4}, "“招标文件提供期限最少工作日”须在 5–60 之间，现为 4。"),
    ({"min_doc_workdays": "五"}, "“招标文件提供期限最少工作日”须为整数。"),
    ({"expert_draw.min_committee": 6}, "单数"),
    ({"expert_draw.weighting": "A:9"}, "信用分档只能是 A、B、C"),
    ({"evaluation.low_average_basis": "median"}, "只能是 all / others 之一"),
    ({"price_weight_min.goods": 50, "price_weight_max.goods": 40}, "价格分值比重下限不能高于上限。"),
    ({"min_doc_day": 5}, "未知的规则项：min_doc_day"),
])
def test_bad_values_are_refused_with_a_clear_chinese_error_and_nothing_stored(region, clock, supervisor, values,
                                                                              message):
    from region_rules import store
    from region_rules.models import RuleChange

    with pytest.raises(ValidationError, match=message):
        store.set_values(supervisor, "330329", values, effective_on=date(2026, 11, 27))
    assert RuleChange.query.count() == 0


def test_only_supervisors_change_rules(region, make_user):
    from region_rules import store

    with pytest.raises(Forbidden):
        store.set_values(make_user("agency_staff"), "330329", {"min_doc_workdays": 6})


def test_a_change_is_audited(region, clock, supervisor):
    import json

    from audit.models import AuditEvent
    from region_rules import store

    store.set_values(supervisor, "330300", {"min_doc_workdays": 6}, effective_on=date(2026, 12, 1), reason="市通知")
    event = AuditEvent.query.filter_by(action="region_rules.changed").one()
    payload = json.loads(event.payload)
    assert event.actor == f"user:{supervisor.id}"
    assert payload["region"] == "330300" and payload["values"] == {"min_doc_workdays": 6}
    assert payload["reason"] == "市通知" and payload["effective_at"].startswith("2026-11-30T16:00:00")


def test_the_supervisor_changes_a_rule_on_the_page(region, clock, client, supervisor):
    from region_rules import store

    login(client, supervisor)
    page = client.get("/supervision/rules/tender?region=330329").get_data(as_text=True)
    assert "招标文件提供期限最少工作日" in page and "财政部令第87号第24条" in page and "泰顺县现行规则：第 0 版" in page
    missing = client.post("/supervision/rules/tender", data={"region_code": "330329", "min_doc_workdays": "6"},
                          follow_redirects=True)
    assert "请填写生效日期。" in missing.get_data(as_text=True)
    low = client.post("/supervision/rules/tender", data={"region_code": "330329", "min_doc_workdays": "3",
                                                         "effective_on": "2026-11-27"}, follow_redirects=True)
    assert "须在 5–60 之间" in low.get_data(as_text=True)
    assert store.version("330329") == 0
    saved = client.post("/supervision/rules/tender", data={"region_code": "330300", "min_doc_workdays": "6",
                                                           "effective_on": "2026-11-27", "reason": "市通知"})
    assert saved.status_code == 302
    assert store.value("330329", "min_doc_workdays") == 6
    page = client.get("/supervision/rules/tender?region=330329").get_data(as_text=True)
    assert "泰顺县现行规则：第 1 版" in page and "温州市" in page and "市通知" in page


def test_people_who_may_only_read_cannot_post(region, client, make_user):
    login(client, make_user("finance_reviewer", totp=False))
    assert client.get("/supervision/rules/evaluation").status_code == 200
    assert client.post("/supervision/rules/evaluation", data={"candidates": "2"}).status_code == 403
    login(client, make_user("agency_staff"))
    assert client.get("/supervision/rules/tender").status_code == 403
