"""Expert draw (专家抽取): draw requests, avoidance, the verifiable draw, confirmation, replacement.

`verifier.py` is pure (no Flask, no database): the standalone verifier imports this package,
so nothing here may import Flask at module level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    from core.extensions import api as rest_api
    from expert_draw import api, cli, dashboard, demo, models, tasks, views  # noqa: F401  (demo: seeder)

    app.register_blueprint(views.bp)
    app.add_template_filter(_iso_local, "iso_local")
    rest_api.register_blueprint(api.blp)
    app.cli.add_command(cli.expert_draw_cli)
    schedule = app.config.setdefault("CELERY_BEAT_SCHEDULE", {})
    schedule.setdefault("expert-draw-sweep", {"task": "expert_draw.tasks.sweep", "schedule": 60.0})


def _iso_local(value: str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An ISO time from an API-shaped dict, shown in Beijing time."""
    from core import clock

    return clock.format_local(clock.parse_iso_utc(value), fmt) if value else ""
