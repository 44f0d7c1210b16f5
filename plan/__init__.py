"""Plans (采购计划): procurement intentions, plans through a configurable approval workflow, confirmations
(确认书) and the budget drawn from them, the finance intranet's exchange.

`transitions` holds the statuses and their tables (intention, plan, plan step, budget draw); `models` the
tables; `rules` the region rules (the intention's 30 days, 分散采购限额, 公开招标数额标准, the SME bands, the
split-purchase warning line, the reviewers' clock, the region's lists); `thresholds` the split-purchase
check (化整为零) plans and e-mall orders share; `confirmations` the confirmations and the budget API
(`draw_budget`, `release_budget`, `remaining_fen`, `usable_confirmations`); `plans` the intentions and the
plans (drafted by the unit's 经办); `workflow` the versioned definitions, the chain each plan runs, the
reviewers' decisions and the automatic rules; `timed` the overdue steps' sweep; `intranet` the finance
intranet's signed messages (confirmations pushed, the export of draws and contracts), the file import and
the day's reconciliation; `projects` the tender project created from a confirmation and tender's hooks;
`views` the pages (plans, intentions, confirmations, finance's region configuration), `api`
(/api/v1/plans), `demo` the seed; `service` is the package's access module, re-exporting what other packages
use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    from core import chronograph
    from core.extensions import api as rest_api
    from plan import (  # noqa: F401  (tables, rule keys, message handlers, seeder)
        api,
        confirmations,
        demo,
        intranet,
        models,
        plans,
        projects,
        rules,
        thresholds,
        timed,
        views,
        workflow,
    )

    app.register_blueprint(views.bp)
    rest_api.register_blueprint(api.blp)
    chronograph.declare(app, timed.SWEEP)
    _hooks()


def _hooks() -> None:
    """Tender asks plans before publishing a project and tells them when a lot ends (its own hook lists)."""
    from plan import projects
    from tender import service

    if projects.check_publishable not in service.PUBLISH_CHECKS:
        service.PUBLISH_CHECKS.append(projects.check_publishable)
    if projects.release_on_lot_end not in service.LOT_ENDED:
        service.LOT_ENDED.append(projects.release_on_lot_end)
