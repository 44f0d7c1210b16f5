"""Reading and changing region rules: values inherited province → city → county, never retroactive.

A value for a region is the one set nearest to it (county, then its city, then its province, then
the national level), the latest change in force at that level winning; a key nobody has set answers
its declared national default. A change takes effect from the start of its effective date (Beijing
time) or, when that date is today, from the moment it is saved: nothing that already ran changes.

The rule-set version of a region at a time is the number of changes in force for it then (its own,
its ancestors' and the national ones). Since changes only take effect from now on, the version of a
past moment never changes: a process records it (publication, opening, draw, evaluation) and shows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import func, or_, select

from accounts.models import Region, Role, User
from audit.service import record
from core import clock
from core.db import db
from core.errors import Forbidden, ValidationError
from region_rules.keys import KEYS, RuleInvalid, RuleValue, check_group, defaults, key_of
from region_rules.models import RuleChange, RuleSetting


def lineage(region_code: str | None) -> list[str | None]:
    """The region's codes nearest first (county, city, province), then None for the national level."""
    region = db.session.get(Region, region_code) if region_code else None
    return [*(r.code for r in region.lineage()), None] if region is not None else [None]


def _applying(codes: list[str | None], at: datetime):
    """The changes in force at `at` for a region whose lineage is `codes`."""
    regions = [c for c in codes if c is not None]
    return (RuleChange.effective_at <= at,
            or_(RuleChange.region_code.is_(None), RuleChange.region_code.in_(regions)))


def _nearest(codes: list[str | None], rows) -> dict[str, tuple[Any, str | None]]:
    """key -> (value, region that set it): nearest level first, then the latest change at that level."""
    level = {code: i for i, code in enumerate(codes)}
    best: dict[str, tuple[tuple, Any, str | None]] = {}
    for key, value, region_code, effective_at, change_id in rows:
        rank = (level[region_code], -effective_at.timestamp(), -change_id)
        if key not in best or rank < best[key][0]:
            best[key] = (rank, value, region_code)
    return {key: (value, code) for key, (_rank, value, code) in best.items()}


@dataclass(frozen=True)
class RuleSnapshot:
    """Every declared rule in force for a region at a moment, with the version they make up."""

    region_code: str | None
    at: datetime
    version: int
    values: dict[str, RuleValue]
    set_by: dict[str, str | None] = field(default_factory=dict)  # key -> region code (None: national row)

    def __getitem__(self, key: str) -> RuleValue:
        return self.values[key_of(key).key]

    def group(self, group: str) -> dict[str, RuleValue]:
        """The group's values under their short names (`expert_draw.age_limit` → `age_limit`)."""
        return {spec.name: self.values[key] for key, spec in KEYS.items() if spec.group == group}

    def stored(self, prefix: str) -> dict[str, RuleValue]:
        """Values of the keys under `prefix` that some change has set (the others are the defaults)."""
        return {k: v for k, v in self.values.items() if k.startswith(prefix) and k in self.set_by}


def snapshot(region_code: str | None, at: datetime | None = None) -> RuleSnapshot:
    """The rule set in force for a region at `at` (now by default)."""
    at = at or clock.now()
    codes = lineage(region_code)
    rows = db.session.execute(
        select(RuleSetting.key, RuleSetting.value, RuleChange.region_code, RuleChange.effective_at, RuleChange.id)
        .join(RuleChange).where(*_applying(codes, at))).all()
    found = {key: hit for key, hit in _nearest(codes, rows).items() if key in KEYS}
    values = defaults() | {key: KEYS[key].coerce(value, checked=False) for key, (value, _code) in found.items()}
    return RuleSnapshot(region_code, at, version(region_code, at, codes), values,
                        {key: code for key, (_value, code) in found.items()})


def value(region_code: str | None, key: str, at: datetime | None = None) -> RuleValue:
    """One rule in force for a region (now by default)."""
    spec = key_of(key)
    codes = lineage(region_code)
    rows = db.session.execute(
        select(RuleSetting.key, RuleSetting.value, RuleChange.region_code, RuleChange.effective_at, RuleChange.id)
        .join(RuleChange).where(RuleSetting.key == spec.key, *_applying(codes, at or clock.now()))).all()
    hit = _nearest(codes, rows).get(spec.key)
    return spec.default if hit is None else spec.coerce(hit[0], checked=False)


def version(region_code: str | None, at: datetime | None = None, codes: list[str | None] | None = None) -> int:
    """The rule-set version of a region at `at`: how many changes were in force for it then."""
    codes = codes if codes is not None else lineage(region_code)
    return db.session.scalar(select(func.count(RuleChange.id)).where(*_applying(codes, at or clock.now()))) or 0


def history(region_code: str | None) -> list[tuple[int | None, RuleChange]]:
    """The changes that apply to a region, newest first, each with the version it made (None: not yet in force)."""
    codes = lineage(region_code)
    regions = [c for c in codes if c is not None]
    changes = list(db.session.scalars(
        select(RuleChange).where(or_(RuleChange.region_code.is_(None), RuleChange.region_code.in_(regions)))
        .order_by(RuleChange.effective_at, RuleChange.id)))
    now = clock.now()
    numbered = [(i + 1 if change.effective_at <= now else None, change) for i, change in enumerate(changes)]
    return list(reversed(numbered))


def effective_from(effective_on: date | None) -> datetime:
    """When a change dated `effective_on` takes effect: that day's start in Beijing, never before now."""
    now = clock.now()
    if effective_on is None:
        return now
    if effective_on < clock.to_local(now).date():
        raise ValidationError("生效日期不能早于今天：规则只对以后适用，不溯及既往。", code="rule_retroactive")
    start = datetime.combine(effective_on, time(0), tzinfo=clock.LOCAL_TZ).astimezone(now.tzinfo)
    return max(start, now)


def check_values(values: Mapping[str, Any]) -> dict[str, RuleValue]:
    """Each value as its declared type, within its range; a clear Chinese error on the first that is not."""
    unknown = sorted(k for k in values if k not in KEYS)
    if unknown:
        raise ValidationError(f"未知的规则项：{', '.join(unknown)}", code="rule_unknown")
    if not values:
        raise ValidationError("没有要修改的规则项。", code="rule_nothing")
    try:
        return {key: KEYS[key].coerce(raw) for key, raw in values.items()}
    except RuleInvalid as exc:
        raise ValidationError(exc.message, code="rule_invalid", details={"key": exc.key}) from None


def set_values(actor: User | None, region_code: str | None, values: Mapping[str, Any], *,
               effective_on: date | None = None, reason: str = "", notes: Mapping[str, str] | None = None
               ) -> RuleChange:
    """Set some rules of a region (None: national) from `effective_on` (today: from now), audited.

    `actor` None is the platform itself (data carried over, tests); people must be supervisors.
    Each value is checked against its declaration and the group's values that would then be in force
    against the group's own checks; nothing is stored when one fails.
    """
    if actor is not None and not actor.has_role(Role.SUPERVISOR, Role.ADMIN):
        raise Forbidden("只有财政监管人员可以修改区划规则。", code="not_rule_owner")
    if region_code is not None and db.session.get(Region, region_code) is None:
        raise ValidationError("区划代码不存在。", code="region_invalid")
    checked = check_values(values)
    at = effective_from(effective_on)
    future = snapshot(region_code, at).values | checked
    for group in sorted({KEYS[key].group for key in checked}):
        problem = check_group(group, {k.removeprefix(f"{group}."): v for k, v in future.items()
                                      if KEYS[k].group == group})
        if problem:
            raise ValidationError(problem, code="rule_invalid")
    change = RuleChange(region_code=region_code, effective_at=at, created_at=clock.now(),
                        created_by_id=actor.id if actor else None, reason=reason.strip()[:300])
    change.values = [RuleSetting(key=key, value=v, note=(notes or {}).get(key, "")[:200])
                     for key, v in sorted(checked.items())]
    db.session.add(change)
    db.session.flush()
    record("region_rules.changed", change, {"region": region_code or "*", "effective_at": at.isoformat(),
                                            "values": checked, "reason": change.reason},
           actor=f"user:{actor.id}" if actor else None)
    return change
