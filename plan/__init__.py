"""Plans (采购计划): procurement intentions, plans through a configurable approval workflow, confirmations
(确认书) and the budget drawn from them, the finance intranet's exchange.

`transitions` holds the statuses and their tables (intention, plan, plan step, budget draw); `models` the
tables; `rules` the region rules (the intention's 30 days, 分散采购限额, 公开招标数额标准, the SME bands, the
split-purchase warning line, the reviewers' clock, the region's lists); `thresholds` the split-purchase
check (化整为零) plans and e-mall orders share; `confirmations` the confirmations and the budget API
(`draw_budget`, `release_budget`, `remaining_fen`, `usable_confirmations`); `plans` the intentions and the
plans (drafted by the unit's 经办); `workflow` the versioned definitions, the chain each plan runs, the
reviewers' decisions and the automatic rules; `timed` the overdue steps' sweep; `service` is the package's
access module, re-exporting what other packages use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    from core import chronograph
    from plan import confirmations, models, plans, rules, thresholds, timed, workflow  # noqa: F401  (tables, keys)

    chronograph.declare(app, timed.SWEEP)
