"""Credit (诚信预警): the three national lists of records, the checks at registration, bid and award, warning
cards the supplier answers, and the sanctions ladder with its score model.

`models` holds the tables and the card and sanction lifecycles; `rules` the region rules (which records
bar, validity, score model, ladder periods, repeat escalation, answer period) with their national sources;
`service` the assessment of a party or a consortium, the public checks other stages call
(`check_at_registration`, `check_at_bid`, `refuse_barred_award`, `is_barred`, `warnings_for`), the cards and
the sanctions; `importer` takes the lists from CSV or XLSX, all rows or none; `timed` lifts a sanction at
the end of its period (the chronograph's `credit-sweep`); `views` (pages) and `api` are thin over the
service; `panels` lists the cards on the supervision page; `demo` seeds records, an answered card and a barred supplier.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    from core import chronograph
    from core.extensions import api as rest_api
    from registry.credit import api, demo, models, panels, rules, timed, views  # noqa: F401  (demo registers its seeder)

    app.register_blueprint(views.bp)
    rest_api.register_blueprint(api.blp)
    chronograph.declare(app, timed.SWEEP)
    _navigation()


def _navigation() -> None:
    from flask_babel import lazy_gettext as _l

    from accounts.models import Role
    from portal.dashboard import NAV, nav_item

    if any(item.endpoint.startswith("registry_credit.") for item in NAV):
        return
    nav_item(_l("诚信预警"), "registry_credit.index", Role.SUPERVISOR, Role.FINANCE_REVIEWER, Role.ADMIN,
             Role.AGENCY_STAFF, more=True)
    nav_item(_l("我的诚信"), "registry_credit.mine", Role.SUPPLIER)
