"""The rules of a draw: committee size, when the draw may open, and avoidance (回避).

Plain functions over plain values: the service gathers the facts with a few queries, these
decide. Each avoidance rule has a stable code, the reason shown to the supervisor.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from accounts.orgnames import normalise_name, normalised_sql  # noqa: F401  (the service uses both from here)
from core import clock
from core.i18n import N_
from core.workdays import WorkdayCalendar, get_calendar
from region_rules.keys import RuleKey, RuleType, RuleValue, declare

# Avoidance rule codes, in the order they are checked, with the reason shown to the supervisor.
AVOIDANCE_RULES: dict[str, str] = {
    "not_active": N_("未在库或已暂停、清退"),
    "age_limit": N_("超过年龄上限"),
    "on_leave": N_("评审时间在请假期内"),
    "employer_party": N_("现任职于采购人或报名、投标的供应商"),
    "past_employer_party": N_("近年曾任职于采购人或报名、投标的供应商"),
    "relation_party": N_("申报的亲属任职或持股关系涉及采购人或供应商"),
    "agency_staff": N_("本项目代理机构人员"),
    "finance_staff": N_("财政部门人员"),
    "same_purchaser": N_("近期已参加同一采购人的评审"),
    "overlap": N_("已被抽中参加时间重叠或间隔过近的评审"),
    "manual": N_("代理机构申请回避（已说明理由）"),
    "hand_picked": N_("已由采购人依法自行选定"),
    "already_drawn": N_("本项目已抽取过或已被撤换"),
}

# ---------------------------------------------------------------- the draw's region rules

_I, _B, _T = RuleType.INT, RuleType.BOOL, RuleType.TEXT
_A47, _A198, _A74 = "财政部令第87号第47条", "财库〔2016〕198号", "财政部令第74号第7条"
_METHODS = {"public_tender", "invited_tender", "competitive_negotiation", "competitive_consultation", "inquiry",
            "single_source"}


def _odd(value: int) -> str | None:
    return None if value % 2 == 1 else "评审委员会（小组）最少人数须为不小于 3 的单数。"


def _methods(value: str) -> str | None:
    unknown = {m.strip() for m in value.split(",") if m.strip()} - _METHODS
    return f"未知的采购方式：{', '.join(sorted(unknown))}" if unknown else None


def weighting_problem(text: str) -> str | None:
    """What is wrong with a credit-tier weighting such as "A:3,B:2,C:1" ("" = equal weights)."""
    if not text.strip():
        return None
    try:
        weights = {t.strip(): int(w) for t, w in (p.split(":") for p in text.split(","))}
    except ValueError:
        return "信用分档权重格式应为 A:3,B:2,C:1。"
    if not set(weights) <= {"A", "B", "C"} or not all(1 <= w <= 4 for w in weights.values()):
        return "信用分档只能是 A、B、C，权重为 1 到 4 的整数。"
    return None


DRAW_RULES = [
    RuleKey("expert_draw.min_committee", _I, 5, N_("评审委员会最少人数"), _A47, 3, 25, check=_odd),
    RuleKey("expert_draw.large_min_committee", _I, 7, N_("大额项目最少人数"), _A47, 3, 25, check=_odd),
    RuleKey("expert_draw.large_budget_fen", _I, 10_000_000_00, N_("大额项目预算标准（分）"), _A47, 1),  # 1000 万元
    RuleKey("expert_draw.expert_share_num", _I, 2, N_("专家占比分子"), _A47, 0, 10),
    RuleKey("expert_draw.expert_share_den", _I, 3, N_("专家占比分母"), _A47, 1, 10),
    RuleKey("expert_draw.opening_workdays", _I, 2, N_("评审前几个工作日起可抽取"), _A198, 0, 10),
    RuleKey("expert_draw.exempt_methods", _T, "competitive_negotiation,competitive_consultation",
            N_("不受抽取时间限制的采购方式"), _A198, check=_methods),
    RuleKey("expert_draw.age_limit", _I, 70, N_("专家年龄上限（周岁）"), _A198, 50, 80),
    RuleKey("expert_draw.employment_years", _I, 3, N_("曾任职回避年限"), _A198, 0, 10),
    RuleKey("expert_draw.same_purchaser_days", _I, 30, N_("同一采购人回避天数"), _A198, 0, 365),
    # Sessions on the same day: an expert seated elsewhere is avoided when the sessions overlap, and also
    # when they are closer than this (travel between sites, rest); 0 avoids overlapping sessions only.
    RuleKey("expert_draw.session_gap_minutes", _I, 60,
            N_("同一专家前后两场评审的最短间隔（分钟，0 为仅回避时间重叠的评审）"), "本平台规则，各地自定", 0, 720),
    RuleKey("expert_draw.allow_fallback", _B, True, N_("不足时可扩大到上级区划"), _A198),
    RuleKey("expert_draw.confirm_hours", _I, 24, N_("专家答复时限（小时）"), _A198, 1, 168),
    RuleKey("expert_draw.in_room_reply_minutes", _I, 30, N_("评审开始后递补专家的答复时限（分钟）"), _A198, 10, 240),
    RuleKey("expert_draw.late_decline_hours", _I, 24, N_("评审前多少小时内拒绝记信用"), _A198, 0, 168),
    RuleKey("expert_draw.evaluation_hours", _I, 8, N_("默认评审时长（小时）"), _A198, 1, 72),
    RuleKey("expert_draw.weighting", _T, "", N_("信用分档权重（如 A:3,B:2,C:1）"), _A198, check=weighting_problem),
    RuleKey("expert_draw.panel_methods", _T,
            "competitive_negotiation,competitive_consultation,inquiry,single_source",
            N_("按小组人数规定的采购方式"), _A74, check=_methods),
    RuleKey("expert_draw.panel_min_committee", _I, 3, N_("谈判、磋商、询价小组最少人数"), _A74, 3, 25, check=_odd),
    RuleKey("expert_draw.panel_large_min_committee", _I, 5, N_("达到公开招标数额标准的小组最少人数"), _A74, 3, 25,
            check=_odd),
    RuleKey("expert_draw.panel_large_budget_fen", _I, 4_000_000_00, N_("公开招标数额标准（分）"), _A74, 1),  # 400 万元
]


def _sizes_ordered(rule: Mapping[str, object]) -> str | None:
    if rule["large_min_committee"] < rule["min_committee"]:
        return "最少人数须为不小于 3 的单数，大额项目最少人数不能更少。"
    if rule["panel_large_min_committee"] < rule["panel_min_committee"]:
        return "谈判、磋商、询价小组最少人数须为不小于 3 的单数。"
    if rule["expert_share_num"] > rule["expert_share_den"]:
        return "专家占比须为不大于 1 的分数。"
    return None


DRAW_RULES = declare("expert_draw", "专家抽取", DRAW_RULES, [_sizes_ordered])
# The national defaults under their short names, as the rule functions below take them.
DEFAULT_RULE: dict[str, RuleValue] = {spec.name: spec.default for spec in DRAW_RULES}




# ---------------------------------------------------------------- committee size


@dataclass
class CommitteeProblem:
    code: str
    message: str


def is_panel_method(rule: dict, method: str) -> bool:
    """Whether the method's committee is a panel (谈判/磋商/询价小组), with the panel's size table."""
    return method in {m.strip() for m in str(rule.get("panel_methods", "")).split(",") if m.strip()}


def committee_minimum(rule: dict, method: str, budget_fen: int, is_complex: bool = False) -> int:
    """The smallest lawful committee for the method: the per-method size table of the region rules.

    Tenders (87号令 Art 47): 5, or 7 when the budget is at least 1,000万 or the project is
    technically complex or of major social impact. Negotiation, consultation and inquiry panels
    (74号令 Art 7, 财库〔2014〕214号 Art 14): 3, or 5 at or above the public-tender threshold.
    """
    if is_panel_method(rule, method):
        large = budget_fen >= rule["panel_large_budget_fen"]
        return rule["panel_large_min_committee"] if large else rule["panel_min_committee"]
    large = budget_fen >= rule["large_budget_fen"] or is_complex
    return rule["large_min_committee"] if large else rule["min_committee"]


def committee_problems(rule: dict, budget_fen: int, experts: int, purchaser_reps: int, *,
                       method: str = "public_tender", is_complex: bool = False) -> list[CommitteeProblem]:
    """Odd, at least the method's minimum (more when large or complex), experts ≥ the share."""
    total = experts + purchaser_reps
    problems = []
    if total % 2 == 0:
        problems.append(CommitteeProblem("committee_even", f"评审委员会人数须为单数，现为 {total} 人。"))
    minimum = committee_minimum(rule, method, budget_fen, is_complex)
    if total < minimum:
        problems.append(CommitteeProblem("committee_too_small", f"评审委员会至少 {minimum} 人，现为 {total} 人。"))
    num, den = rule["expert_share_num"], rule["expert_share_den"]
    if experts * den < total * num:
        problems.append(
            CommitteeProblem(
                "experts_share_too_low", f"评审专家须不少于成员总数的 {num}/{den}，现为 {experts}/{total}。"
            )
        )
    return problems


# ---------------------------------------------------------------- when the draw opens


def is_exempt(rule: dict, method: str) -> bool:
    return method in {m.strip() for m in rule["exempt_methods"].split(",") if m.strip()}


def draw_opens_at(
    rule: dict, method: str, evaluation_start_at: datetime, calendar: WorkdayCalendar | None = None,
    *, is_offsite: bool = False,
) -> datetime | None:
    """The earliest draw time: 00:00 Beijing time of the n-th working day before the evaluation day.

    None when the method is exempt (competitive negotiation, consultation…) or the evaluation is
    held at another site (异地评审, 财库〔2016〕198号 Art 14): it may draw any time.
    """
    if is_offsite or is_exempt(rule, method):
        return None
    day = clock.to_local(evaluation_start_at).date()
    opens = (calendar or get_calendar()).subtract_workdays(day, rule["opening_workdays"])
    return datetime.combine(opens, time(0), tzinfo=clock.LOCAL_TZ).astimezone(evaluation_start_at.tzinfo)


# ---------------------------------------------------------------- avoidance


@dataclass
class ExpertFacts:
    """What the rules need to know about one expert (loaded in bulk by the service)."""

    id: int
    status: str
    birth_date: date
    employer_org_id: int | None
    employer_name: str
    on_leave: bool = False
    relations: list[tuple[str, int | None, str, date | None]] = field(default_factory=list)
    # (kind, org id, org name, end date)


@dataclass
class AvoidanceContext:
    """The facts of one draw request at one moment."""

    rule: dict
    evaluation_day: date
    purchaser_org_id: int
    agency_org_id: int
    supplier_org_ids: set[int]
    party_names: set[str]  # normalised names of the purchaser and suppliers
    agency_name: str
    finance_org_ids: set[int]
    recent_same_purchaser: set[int] = field(default_factory=set)  # expert ids
    busy: set[int] = field(default_factory=set)  # expert ids
    manual: dict[int, str] = field(default_factory=dict)  # expert id -> reason
    hand_picked: set[int] = field(default_factory=set)

    @property
    def party_org_ids(self) -> set[int]:
        return {self.purchaser_org_id, *self.supplier_org_ids}

    def is_party(self, org_id: int | None, name: str) -> bool:
        # party_org_ids without building the set: this runs once or more for every expert of a pool
        return (
            org_id is not None and (org_id == self.purchaser_org_id or org_id in self.supplier_org_ids)
        ) or normalise_name(name) in self.party_names


def _age(birth: date, day: date) -> int:
    return day.year - birth.year - int((day.month, day.day) < (birth.month, birth.day))


def _past_cutoff(ctx: AvoidanceContext) -> date:
    day = ctx.evaluation_day
    years = ctx.rule["employment_years"]
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def avoidance_reasons(expert: ExpertFacts, ctx: AvoidanceContext) -> list[tuple[str, str]]:
    """Every rule that excludes this expert, as (code, detail), in the order of AVOIDANCE_RULES."""
    found: list[tuple[str, str]] = []
    if expert.status != "active":
        found.append(("not_active", f"状态：{expert.status}"))
    age = _age(expert.birth_date, ctx.evaluation_day)
    if age > ctx.rule["age_limit"]:
        found.append(("age_limit", f"{age} 周岁，上限 {ctx.rule['age_limit']} 周岁"))
    if expert.on_leave:
        found.append(("on_leave", ctx.evaluation_day.isoformat()))
    if ctx.is_party(expert.employer_org_id, expert.employer_name):
        found.append(("employer_party", expert.employer_name))
    for kind, org_id, name, end_on in expert.relations:
        if not ctx.is_party(org_id, name):
            continue
        if kind == "past_employer":
            if end_on is not None and end_on >= _past_cutoff(ctx):
                found.append(("past_employer_party", f"{name}，{end_on.isoformat()} 离职"))
        else:
            found.append(("relation_party", f"{name}（{kind}）"))
    if expert.employer_org_id == ctx.agency_org_id or normalise_name(expert.employer_name) == normalise_name(
        ctx.agency_name
    ):
        found.append(("agency_staff", expert.employer_name))
    if expert.employer_org_id in ctx.finance_org_ids:
        found.append(("finance_staff", expert.employer_name))
    if expert.id in ctx.recent_same_purchaser:
        found.append(("same_purchaser", f"{ctx.rule['same_purchaser_days']} 日内"))
    if expert.id in ctx.busy:
        gap = int(ctx.rule.get("session_gap_minutes", 0))
        found.append(("overlap", f"含前后 {gap} 分钟间隔" if gap else ""))
    if expert.id in ctx.manual:
        found.append(("manual", ctx.manual[expert.id]))
    if expert.id in ctx.hand_picked:
        found.append(("hand_picked", ""))
    return found


def reason_counts(exclusions: Iterable[tuple[int, str]]) -> dict[str, int]:
    """How many experts each rule excluded (the first rule per expert counts), for the commitment."""
    first: dict[int, str] = {}
    for expert_id, code in exclusions:
        first.setdefault(expert_id, code)
    counts: dict[str, int] = {}
    for code in first.values():
        counts[code] = counts.get(code, 0) + 1
    return dict(sorted(counts.items()))


def evaluation_window(start: datetime, end: datetime | None, hours: int) -> tuple[datetime, datetime]:
    return start, end or start + timedelta(hours=hours)
