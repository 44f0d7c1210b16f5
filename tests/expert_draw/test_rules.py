"""The rules table: avoidance (each rule excluding and not), committee size, when the draw opens."""

from datetime import UTC, date, datetime, timedelta

import pytest

from expert_draw import rules

RULE = {
    "min_committee": 5,
    "large_min_committee": 7,
    "large_budget_fen": 10_000_000_00,
    "expert_share_num": 2,
    "expert_share_den": 3,
    "opening_workdays": 2,
    "exempt_methods": "competitive_negotiation,competitive_consultation",
    "age_limit": 70,
    "employment_years": 3,
    "same_purchaser_days": 30,
}
DAY = date(2026, 11, 30)
PURCHASER, AGENCY, SUPPLIER, OTHER, FINANCE = 1, 2, 3, 9, 5


def ctx(**kw):
    base = dict(
        rule=RULE,
        evaluation_day=DAY,
        purchaser_org_id=PURCHASER,
        agency_org_id=AGENCY,
        supplier_org_ids={SUPPLIER},
        party_names={"泰顺县人民医院", "浙江云帆信息技术有限公司"},
        agency_name="温州正信招标代理有限公司",
        finance_org_ids={FINANCE},
    )
    base.update(kw)
    return rules.AvoidanceContext(**base)


def facts(**kw):
    base = dict(id=1, status="active", birth_date=date(1970, 1, 1), employer_org_id=OTHER, employer_name="温州大学")
    base.update(kw)
    return rules.ExpertFacts(**base)


# (rule code, facts that trigger it, facts that do not, context overrides)
AVOIDANCE_TABLE = [
    ("not_active", dict(status="suspended"), dict(status="active"), {}),
    ("not_active", dict(status="removed"), dict(status="active"), {}),
    ("age_limit", dict(birth_date=date(1955, 11, 29)), dict(birth_date=date(1955, 12, 1)), {}),  # 71 vs 70
    ("on_leave", dict(on_leave=True), dict(on_leave=False), {}),
    ("employer_party", dict(employer_org_id=PURCHASER), dict(employer_org_id=OTHER), {}),
    ("employer_party", dict(employer_org_id=SUPPLIER), dict(employer_org_id=OTHER), {}),
    (
        "employer_party",
        dict(employer_org_id=None, employer_name="浙江云帆信息技术有限公司 "),
        dict(employer_org_id=None, employer_name="浙江云帆科技"),
        {},
    ),
    (
        "past_employer_party",
        dict(relations=[("past_employer", SUPPLIER, "云帆", date(2024, 1, 1))]),
        dict(relations=[("past_employer", SUPPLIER, "云帆", date(2023, 11, 29))]),
        {},
    ),
    (
        "past_employer_party",
        dict(relations=[("past_employer", None, "泰顺县人民医院", date(2025, 6, 1))]),
        dict(relations=[("past_employer", OTHER, "温州大学", date(2025, 6, 1))]),
        {},
    ),
    (
        "relation_party",
        dict(relations=[("relative_employer", SUPPLIER, "云帆", None)]),
        dict(relations=[("relative_employer", OTHER, "温州大学", None)]),
        {},
    ),
    (
        "relation_party",
        dict(relations=[("shareholding", PURCHASER, "医院", None)]),
        dict(relations=[("shareholding", OTHER, "某公司", None)]),
        {},
    ),
    ("agency_staff", dict(employer_org_id=AGENCY), dict(employer_org_id=OTHER), {}),
    (
        "agency_staff",
        dict(employer_org_id=None, employer_name="温州正信招标代理有限公司"),
        dict(employer_org_id=None, employer_name="温州正信会计"),
        {},
    ),
    ("finance_staff", dict(employer_org_id=FINANCE), dict(employer_org_id=OTHER), {}),
    ("same_purchaser", dict(id=7), dict(id=8), {"recent_same_purchaser": {7}}),
    ("overlap", dict(id=7), dict(id=8), {"busy": {7}}),
    ("manual", dict(id=7), dict(id=8), {"manual": {7: "与投标人有诉讼关系"}}),
    ("hand_picked", dict(id=7), dict(id=8), {"hand_picked": {7}}),
]


@pytest.mark.parametrize(
    ("code", "excluded", "included", "overrides"),
    AVOIDANCE_TABLE,
    ids=[f"{row[0]}-{i}" for i, row in enumerate(AVOIDANCE_TABLE)],
)
def test_avoidance_rule_excludes_and_includes(code, excluded, included, overrides):
    context = ctx(**overrides)
    assert code in [c for c, _ in rules.avoidance_reasons(facts(**excluded), context)]
    assert rules.avoidance_reasons(facts(**included), context) == []


def test_every_rule_has_a_reason_and_a_row_in_the_table():
    tested = {row[0] for row in AVOIDANCE_TABLE}
    assert set(rules.AVOIDANCE_RULES) - tested == {"already_drawn"}  # tested with replacements
    assert all(rules.AVOIDANCE_RULES.values())


def test_age_limit_follows_the_rule_table():
    old = facts(birth_date=date(1960, 1, 1))  # 66
    assert rules.avoidance_reasons(old, ctx(rule=RULE | {"age_limit": 65}))[0][0] == "age_limit"
    assert rules.avoidance_reasons(old, ctx()) == []


@pytest.mark.parametrize(
    ("budget", "experts", "reps", "codes"),
    [
        (300_000_00, 5, 0, []),
        (300_000_00, 4, 1, []),  # 4 experts + 1 rep: 4/5 ≥ 2/3
        (300_000_00, 4, 0, ["committee_even", "committee_too_small"]),
        (300_000_00, 3, 0, ["committee_too_small"]),
        (300_000_00, 3, 2, ["experts_share_too_low"]),  # 3/5 < 2/3
        (300_000_00, 6, 0, ["committee_even"]),
        (10_000_000_00, 5, 0, ["committee_too_small"]),  # 1000 万元: at least 7
        (10_000_000_00, 5, 2, []),
        (10_000_000_00, 4, 3, ["experts_share_too_low"]),
        (9_999_999_99, 5, 0, []),
    ],
)
def test_committee_size_rules(budget, experts, reps, codes):
    assert [p.code for p in rules.committee_problems(RULE, budget, experts, reps)] == codes


LOCAL = timedelta(hours=8)


@pytest.mark.parametrize(
    ("evaluation_local", "method", "opens_local"),
    [
        (datetime(2026, 11, 30, 9), "public_tender", datetime(2026, 11, 26)),  # Monday → Thursday
        (datetime(2026, 11, 27, 9), "public_tender", datetime(2026, 11, 25)),  # Friday → Wednesday
        (
            datetime(2026, 10, 9, 9),
            "public_tender",
            datetime(2026, 9, 30),
        ),  # reaches back across National Day
        (datetime(2026, 11, 30, 9), "competitive_negotiation", None),  # exempt
        (datetime(2026, 11, 30, 9), "competitive_consultation", None),
    ],
)
def test_draw_opening_time_counts_working_days(evaluation_local, method, opens_local):
    from core.workdays import get_calendar

    start = (evaluation_local - LOCAL).replace(tzinfo=UTC)
    opens = rules.draw_opens_at(RULE, method, start)
    if opens_local is None:
        assert opens is None
        return
    calendar = get_calendar()
    expected_day = calendar.subtract_workdays(evaluation_local.date(), 2)
    assert opens == (datetime.combine(expected_day, datetime.min.time()) - LOCAL).replace(tzinfo=UTC)
    if evaluation_local.month != 10:
        assert expected_day == opens_local.date()
    else:  # across the National Day holiday the two working days reach back before 1 October
        assert expected_day < date(2026, 10, 1) and calendar.workdays_between(expected_day, date(2026, 10, 9)) == 2
