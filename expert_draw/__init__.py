"""Expert draw (专家抽取): draw requests, avoidance, the verifiable draw, confirmation, replacement.

`verifier` is pure (no Flask, no database): the standalone verifier imports this package, so nothing
here may import Flask at module level. `rules` is the pure committee and avoidance rules, `models` the
tables and their status tables, `subject` what a draw is for (a tender project or lot, or a request
without one). On top of them: `service` (the public access module: every write, guarded, audited,
flushed, re-exported from one module per stage: `rule_table`, `transitions`, `visibility` (who sees
what), `pool`, `requesting`, `drawing`, `replying`, `unsealing`), `proofs` (a draw's public audit
record), `present` (what the pages and the API show), `notify` (the drawn experts' SMS, voice and
e-mail), `timed` (its timed steps for the chronograph) and `tasks`, `dashboard`, `api`
(/api/v1/draw-requests) with `schemas`, `views` (pages), `cli` and `demo`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    from core.extensions import api as rest_api
    from expert_draw import api, cli, dashboard, demo, models, tasks, views  # noqa: F401  (demo: seeder)

    app.register_blueprint(views.bp)
    from expert_draw.proofs import notice_links
    from notices.views import NOTICE_LINKS

    if notice_links not in NOTICE_LINKS:
        NOTICE_LINKS.append(notice_links)
    app.add_template_filter(_iso_local, "iso_local")
    app.context_processor(_names)
    rest_api.register_blueprint(api.blp)
    app.cli.add_command(cli.expert_draw_cli)
    from core import chronograph
    from expert_draw import timed

    chronograph.declare(app, timed.SWEEP)


def _iso_local(value: str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An ISO time from an API-shaped dict, shown in Beijing time."""
    from core import clock

    return clock.format_local(clock.parse_iso_utc(value), fmt) if value else ""


def _names() -> dict:
    """Names instead of bare codes on the draw pages (a specialty "B03" is 教育装备, a region "330300" is 温州市),
    and the Chinese words of the draws' kinds and statuses and the seats' states."""
    from flask import g

    def lookup(kind: str):
        cache = g.setdefault("_by_names", {})
        if kind not in cache:
            from sqlalchemy import select

            from accounts.models import Region
            from core.db import db
            from registry.experts.models import Specialty

            model = Specialty if kind == "specialty" else Region
            cache[kind] = dict(db.session.execute(select(model.code, model.name)).all())
        return cache[kind]

    def specialty_name(code: str | None) -> str:
        return lookup("specialty").get(code or "", code or "")

    def region_name(code: str | None) -> str:
        return lookup("region").get(code or "", code or "")

    from expert_draw.present import DRAW_KIND_LABELS, DRAW_STATUS_LABELS, INVITATION_LABELS

    return {"specialty_name": specialty_name, "region_name": region_name, "draw_kind_labels": DRAW_KIND_LABELS,
            "draw_status_labels": DRAW_STATUS_LABELS, "invitation_labels": INVITATION_LABELS}
