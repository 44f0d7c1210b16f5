"""The rules of a draw: committee size, when the draw may open, and avoidance (回避).

Plain functions over plain values: the service gathers the facts with a few queries, these
decide. Each avoidance rule has a stable code, the reason shown to the supervisor.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from accounts.orgnames import normalise_name, normalised_sql  # noqa: F401  (the service uses both from here)
from core import clock
from core.i18n import N_
from core.workdays import WorkdayCalendar, get_calendar

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
    "overlap": N_("已被抽中参加时间重叠的评审"),
    "manual": N_("代理机构申请回避（已说明理由）"),
    "hand_picked": N_("已由采购人依法自行选定"),
    "already_drawn": N_("本项目已抽取过或已被撤换"),
}




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
        found.append(("overlap", ""))
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
