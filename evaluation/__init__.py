"""Evaluation (评标 / 评审): committee, reviews, scoring, report and award (its contract: `contracts`).

The rules engine is pure Python (no Flask, no database) so it can be tested exhaustively and
rechecked by anyone: `rules` (the region's rule set), `review` (qualification and compliance
review), `price_correction` (87号令 Art 59), `low_price` (Art 60), `scoring` (SME deductions,
price score, totals, ranking, same brand, candidates), `consistency` (flags before the summary,
the Art 64 guard on later changes), `opinions` (minority opinions), `summary` (one lot through
all of them in order), `report_data` (the report's contents as canonical data), `deadlines`
(award, notice, challenge and contract periods in working days) and `visibility` (who sees or
does what at each stage). Nothing here may import Flask at module level.
`models` and `transitions` hold the tables and the status tables. On top of them: `service` (the
public access module: every state change of the room and the award, guarded, audited, flushed,
re-exported from one module per stage: `room` (lookups, who is who, guards), `seating`, `reviewing`,
`clarifying`, `outcome` (the rules over the rows), `marking` (scoring), `reporting`, `awarding`,
`ratings`, `room_state`), `periods` (an award's challenge and contract periods and a complaint's
hold, read by every later stage), `challenges` (质疑 and the
remedies of an upheld one), `complaints` (投诉 to finance), `evidence` (their files),
`contracts` (an award's source for the contract kit in the `contracts` package, and the 30 days to
sign), `statistics` (the tender contracts' figures for portal.statistics), `supervision` (the overdue
steps and complaints on finance's supervision page), `letters` (the award notice and
each bidder's result letter), `report_pdf`, `events`
(Socket.IO namespace `/evaluation`), `api` (/api/v1/evaluation) with `schemas`, `views` (pages), `panels`, `messages`,
`timed` (the deadline steps the chronograph runs; `tasks` their Celery entry points) and `demo`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    from core.extensions import api as rest_api
    from evaluation import api, contracts, demo, events, models, panels, statistics, supervision, tasks, views  # noqa: F401

    app.register_blueprint(views.bp)
    rest_api.register_blueprint(api.blp)
    events.register_handlers()
    from core import chronograph
    from evaluation import timed

    chronograph.declare(app, timed.AWARD_SWEEP)
    chronograph.declare(app, timed.COMPLAINT_SWEEP)
