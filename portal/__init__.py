"""Public site and the signed-in dashboard.

`views` (the home page and the dashboard) shows what `dashboard` gathers: each role's panels, which
feature packages add through `dashboard.panel`, and `needs`, what is waiting for a user (需要您处理).
`reminders` warns before each need's deadline (in-browser, SMS, e-mail), run by the chronograph's step in
`timed` (beat; `tasks` runs it by its old name) or `cli`; `models` remembers the reminders sent.
`workday_calendar` is the supervisor's page that adds a year of working days.
`statistics` is the statistics kit (大数据分析及报表统计): the registry of statistic sources (`StatSource`,
`Dimension`, `Watch`), their monthly rollup (`models.StatRollup`, kept by `timed`'s `portal-statistics`
sweep; changed months are read live until rebuilt), the reports and their CSV/XLSX; `statistics_views` is
/statistics and /api/v1/statistics; `demo` builds the rollup once the demo has seeded its contracts.
`ocds` publishes every procurement process as open data (OCDS 1.1.5: releases, records, the API and the
bulk download).
`supervision` (网上监管) holds the registries feature packages add to — overdue steps, live stages, warnings,
complaints — and gathers the supervisor's board; `suspensions` suspends and resumes a process (any kind a
package registers; `models.Suspension` with its lifecycle); `supervision_views` is /supervision and
/api/v1/supervision.
"""

import dataclasses

from flask import Flask
from flask_login import current_user


def register(app: Flask) -> None:
    from core import chronograph
    from core.db import db
    from core.extensions import api as rest_api
    from portal import (  # noqa: F401  (models and the beat task)
        cli,
        dashboard,
        demo,
        models,
        needs,
        statistics,
        statistics_views,
        supervision,
        supervision_views,
        suspensions,
        tasks,
        timed,
        views,
        workday_calendar,
    )

    app.register_blueprint(views.bp)
    app.register_blueprint(statistics_views.bp)
    rest_api.register_blueprint(statistics_views.blp)
    app.register_blueprint(supervision_views.bp)
    rest_api.register_blueprint(supervision_views.blp)
    statistics.listen(db.session)
    chronograph.declare(app, timed.STATISTICS_SWEEP)
    workday_calendar.register(app)
    from portal import ocds

    ocds.register(app)
    app.cli.add_command(cli.portal_cli)
    app.config.setdefault("REMINDER_LEADS_MINUTES", (1440, 120))
    every = float(app.config.get("REMINDER_SWEEP_SECONDS", timed.SWEEP_SECONDS))
    chronograph.declare(app, dataclasses.replace(timed.SWEEP, every=every))
    schedule = app.config["CELERY_BEAT_SCHEDULE"]
    celery_app = app.extensions.get("celery")
    if celery_app is not None:  # the beat schedule is read when Celery is configured, before features
        celery_app.conf.beat_schedule = schedule
    app.jinja_env.globals["time_left"] = needs.time_left

    @app.context_processor
    def inject_navigation() -> dict:
        user = current_user if current_user and current_user.is_authenticated else None
        return {"nav_items": dashboard.nav_items, "next_deadline": dashboard.next_deadline(user)}
