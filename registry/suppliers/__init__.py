"""The supplier library (供应商库): online registration, the central agency's review, key changes,
qualification expiry, bulk import.

`uscc` checks the unified social credit code (GB 32100 and the embedded GB 11714 code); `models` holds
the tables (the supplier profile beside its accounts.Org, contacts, qualifications, key changes) and the
status table; `rules` the region rules (review period, reminder days); `service` every write of the
application and the review, and the reads; `changes` the key-field change review with the old version
kept; `reminders` what the timed steps of `timed` do (overdue review, expiry reminder, expiry);
`importer` takes an existing library from CSV or XLSX, all rows or none, and `onboarding` gives an imported
supplier its account by a single-use SMS link (sent by `tasks`); `views` (pages) and `api` are
thin over them, `panels` puts waiting reviews and expiring certificates on the dashboards; `demo` seeds
the library. The collusion signals' identity graph reads the profiles
(`registry.collusion.identity`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    from core import chronograph
    from core.extensions import api as rest_api
    from registry.suppliers import api, demo, models, panels, rules, timed, views  # noqa: F401  (seeder, panels)

    app.register_blueprint(views.bp)
    rest_api.register_blueprint(api.blp)
    chronograph.declare(app, timed.SWEEP)
    _navigation()


def _navigation() -> None:
    from flask_babel import lazy_gettext as _l

    from accounts.models import Role
    from portal.dashboard import NAV, nav_item

    if any(item.endpoint.startswith("registry_suppliers.") for item in NAV):
        return
    nav_item(_l("供应商库"), "registry_suppliers.index", Role.AGENCY_STAFF, Role.FINANCE_REVIEWER, Role.ADMIN)
    # a supervisor oversees the library now and then: under 更多, which keeps the 1366 px header on one row
    nav_item(_l("供应商库"), "registry_suppliers.index", Role.SUPERVISOR, more=True,
             when=lambda user: not user.has_role(Role.AGENCY_STAFF, Role.FINANCE_REVIEWER, Role.ADMIN))
    nav_item(_l("供应商信息"), "registry_suppliers.me", Role.SUPPLIER, more=True)
