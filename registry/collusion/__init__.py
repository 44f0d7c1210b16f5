"""Collusion signals (串通投标预警): flags with evidence for the committee and the supervisor.

`models` holds the tables (a run per opened lot, its flags); `rules` the region rules (thresholds);
`documents` reads an opened bid's files (hashes, DOCX/PDF metadata, text); `text` shingles, samples and
MinHashes text (datasketch); `signals` the signals of one lot (87号令 Art 37); `cardinal` the price
indicators across tenders (cardinal-rs R024, R025, R028, R058); `identity` the identity graph of
suppliers sharing people, phones, addresses or accounts; `service` computes and stores a lot's run and
reads flags; `timed` the sweep that computes each opened lot; `panels` the supervisor's dashboard card;
`views` (pages) and `api` are thin over the service; `demo` seeds a lot with a flagged pair. A flag never
excludes a bid.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    from core import chronograph
    from core.extensions import api as rest_api
    from registry.collusion import api, demo, models, panels, rules, timed, views  # noqa: F401  (seeder, card)

    app.register_blueprint(views.bp)
    rest_api.register_blueprint(api.blp)
    chronograph.declare(app, timed.SWEEP)
    _navigation()


def _navigation() -> None:
    from flask_babel import lazy_gettext as _l

    from accounts.models import Role
    from portal.dashboard import NAV, nav_item

    if any(item.endpoint.startswith("registry_collusion.") for item in NAV):
        return
    nav_item(_l("串通投标预警"), "registry_collusion.index", Role.SUPERVISOR, Role.ADMIN, more=True)
