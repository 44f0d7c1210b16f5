"""Thresholds of the year and the split-purchase check (化整为零, 政府采购法实施条例第二十八条).

`check_split_purchase(org_id, catalogue_code, amount_fen, on_day=…)` answers whether a unit may add
`amount_fen` for one catalogue item in the year of `on_day`: its yearly total so far (plans in review or
approved by another method than public tender, plus what other packages report through
`split_source`, e.g. the e-mall's orders bought without a confirmation) plus the new amount, against
the threshold in force that day. Nearing it (the region's warn percent) warns; above it blocks. A purchase
that is above the threshold on its own is not a split (it is one purchase whose method other than public
tender needs finance's approval, a step of the workflow): the check answers ok for it. Plans and e-mall
orders call the same function, so both meet the same figures.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date

from sqlalchemy import func, select

from accounts.models import Org
from core.db import db
from core.errors import NotFound, ValidationError
from plan import rules
from plan.models import Plan, PlanItem
from plan.transitions import PlanStatus

COUNTED = (PlanStatus.IN_REVIEW, PlanStatus.APPROVED)
# (org_id, catalogue_code, year) -> fen already committed there outside plans (an e-mall's own orders)
SplitSource = Callable[[int, str, int], int]
SPLIT_SOURCES: list[SplitSource] = []


def split_source(fn: SplitSource) -> SplitSource:
    """Register what another package adds to a unit's yearly total for an item (idempotent)."""
    if fn not in SPLIT_SOURCES:
        SPLIT_SOURCES.append(fn)
    return fn


class SplitLevel(enum.StrEnum):
    OK = "ok"
    WARN = "warn"    # nearing the threshold: shown, the purchase may go on
    BLOCK = "block"  # above it: refused unless bought by public tender


@dataclass(frozen=True)
class SplitCheck:
    """The answer with every figure it rests on (recorded as an automatic rule's inputs)."""

    level: SplitLevel
    year: int
    category: str
    catalogue_code: str
    before_fen: int     # the unit's yearly total for the item so far
    amount_fen: int     # what is being added
    total_fen: int      # before + amount
    threshold_fen: int  # 公开招标数额标准 in force that day
    warn_fen: int       # the warning line (threshold × the region's percent)
    rule_key: str

    @property
    def ok(self) -> bool:
        return self.level is not SplitLevel.BLOCK

    def as_dict(self) -> dict:
        return {**asdict(self), "level": self.level.value}

    def message(self) -> str:
        from core.money import format_yuan

        total, threshold = format_yuan(self.total_fen), format_yuan(self.threshold_fen)
        head = f"本单位{self.year}年度品目 {self.catalogue_code} 累计 {total} 元，"
        if self.level is SplitLevel.BLOCK:
            return f"{head}超过公开招标数额标准 {threshold} 元，不得化整为零规避公开招标。"
        if self.level is SplitLevel.WARN:
            return f"{head}已接近公开招标数额标准 {threshold} 元，请注意化整为零风险。"
        return ""


def yearly_total(org_id: int, catalogue_code: str, year: int, *, exclude_plan_id: int | None = None) -> int:
    """What the unit has in plans (other than public tenders) and registered sources for the item that year."""
    stmt = (select(func.coalesce(func.sum(PlanItem.budget_fen), 0)).join(Plan)
            .where(Plan.org_id == org_id, PlanItem.catalogue_code == catalogue_code, Plan.status.in_(COUNTED),
                   Plan.method != "public_tender", Plan.expected_month.like(f"{year:04d}-%")))
    if exclude_plan_id is not None:
        stmt = stmt.where(Plan.id != exclude_plan_id)
    total = int(db.session.scalar(stmt) or 0)
    return total + sum(int(fn(org_id, catalogue_code, year)) for fn in SPLIT_SOURCES)


def check_split_purchase(org_id: int, catalogue_code: str, amount_fen: int, *, on_day: date,
                         exclude_plan_id: int | None = None) -> SplitCheck:
    """ok / warn / block for adding `amount_fen` of one catalogue item to the unit's year (see the module)."""
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen < 0:
        raise ValidationError("金额须为非负整数（分）。", code="split_amount_invalid")
    org = db.session.get(Org, org_id)
    if org is None:
        raise NotFound("单位不存在。", code="org_not_found")
    code = (catalogue_code or "").strip().upper()
    category = rules.category_of(code)
    key = rules.PUBLIC_TENDER_THRESHOLD.format(category=category)
    threshold = rules.public_tender_threshold(org.region_code, category, on_day)
    percent = int(rules.rule(org.region_code, "plan.split_warn_percent", on_day))
    before = yearly_total(org_id, code, on_day.year, exclude_plan_id=exclude_plan_id)
    total = before + amount_fen
    warn = threshold * percent // 100
    if amount_fen >= threshold:  # one purchase above the line alone is no split: its method is (the finance step)
        level = SplitLevel.OK
    else:
        level = SplitLevel.BLOCK if total > threshold else SplitLevel.WARN if total >= warn else SplitLevel.OK
    return SplitCheck(level, on_day.year, category, code, before, amount_fen, total, threshold, warn, key)
