"""Supervision (网上监管): what finance's supervisors see of their region and every region under it.

Four registries, which feature packages add to at import time (as they add dashboard panels):

- `overdue_source`: steps past their deadline (an expert's confirmation unanswered, an award not confirmed
  in time, a contract not signed within its days, a complaint near its end, a payment overdue…), each an
  `Overdue` with the deadline it missed and, when the process can be suspended, its `subject`;
- `stage_source`: live processes by stage (`Stage`: a label, how many, a few of them);
- `warning_source`: warnings (credit cards, collusion signals…), each a `Warning`;
- `complaint_source`: complaints being handled, each an `Overdue`-like `Item`.

A source is a function of the supervisor's regions (a set of codes) and the time, so the e-mall and plans
add theirs without this module knowing them. `board(user)` gathers everything for the page and the API.
Suspending a process is `portal.suspensions`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from accounts.models import Role, User

SUPERVISORS = (Role.SUPERVISOR,)


@dataclass
class Item:
    """One line of the supervision page: what, where, until when, and where to look at it."""

    key: str  # stable: "<package>.<kind>:<id>"
    kind: str  # what it is, in the page's language ("合同逾期未签订")
    title: str  # the process ("泰顺县…采购（标项1）")
    region_code: str
    url: str
    due_at: datetime | None = None  # the deadline missed (overdue) or coming (a complaint near its end)
    note: str = ""
    subject: tuple[str, int] | None = None  # (suspendable kind, id): the process a supervisor may suspend


Overdue = Item
Warning = Item


@dataclass
class Stage:
    """Live processes of one kind at one stage."""

    group: str  # "采购项目"
    label: str  # "投标中"
    count: int
    items: list[Item] = field(default_factory=list)  # a few of them, newest first


Source = Callable[[set[str], datetime], list]
OVERDUE_SOURCES: list[Source] = []
STAGE_SOURCES: list[Source] = []
WARNING_SOURCES: list[Source] = []
COMPLAINT_SOURCES: list[Source] = []


def _adder(registry: list[Source]) -> Callable[[Source], Source]:
    def add(fn: Source) -> Source:
        if fn not in registry:
            registry.append(fn)
        return fn

    return add


overdue_source = _adder(OVERDUE_SOURCES)
stage_source = _adder(STAGE_SOURCES)
warning_source = _adder(WARNING_SOURCES)
complaint_source = _adder(COMPLAINT_SOURCES)


def is_supervisor(user: User | None) -> bool:
    return bool(user and user.is_authenticated and user.has_role(*SUPERVISORS))


def _gather(registry: list[Source], regions: set[str], now: datetime) -> list:
    seen, out = set(), []
    for source in registry:
        for item in source(regions, now):
            key = getattr(item, "key", None)
            if key is None or key not in seen:
                seen.add(key)
                out.append(item)
    return out


def overdue(regions: set[str], now: datetime | None = None) -> list[Item]:
    """Every overdue step of these regions, the longest overdue first."""
    from core import clock

    now = now or clock.now()
    return sorted(_gather(OVERDUE_SOURCES, regions, now), key=lambda i: (i.due_at or now, i.key))


@dataclass
class Board:
    region_code: str
    stages: list[Stage]
    overdue: list[Item]
    warnings: list[Item]
    complaints: list[Item]
    suspensions: list[dict]


def board(user: User) -> Board:
    """Everything the supervision page shows this supervisor."""
    from accounts.service import regions_under
    from core import clock
    from core.errors import Forbidden
    from portal import suspensions

    if not is_supervisor(user):
        raise Forbidden("只有财政部门的监管人员可以使用网上监管。", code="not_supervisor")
    regions, now = regions_under(user.region_code), clock.now()
    held = [suspensions.describe(s) for s in suspensions.suspensions_for(user)]
    return Board(user.region_code, _gather(STAGE_SOURCES, regions, now), overdue(regions, now),
                 sorted(_gather(WARNING_SOURCES, regions, now), key=lambda i: i.due_at or now, reverse=True),
                 sorted(_gather(COMPLAINT_SOURCES, regions, now), key=lambda i: (i.due_at or now, i.key)), held)
