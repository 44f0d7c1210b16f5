"""The agency registry (代理机构库, 名录登记 per 财库〔2018〕2号): registration, staff, updates, marks, ratings.

`models` holds the tables (an agency's listing with its particulars, its staff, the ratings it gets)
and the listing's lifecycle; `rules` the region rules (minimum staff, update period, rating period);
`service` every write and read of a listing (online sign-up, particulars, staff, the completeness
check that lists it, changes within the period, the supervisor's marks, the public list); `ratings`
the ratings after each finished project (who took part, read through tender's and evaluation's
public functions); `timed` the chronograph's warning of an overdue update; `panels` the registry's
card on the public home page; `views` (pages, the public list among them) and `api`
(/api/v1/agencies) with `schemas` are thin over them; `demo` seeds a listed agency with its staff
and ratings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    from core import chronograph
    from core.extensions import api as rest_api
    from registry.agencies import api, demo, models, panels, timed, views  # noqa: F401  (demo, panels register)

    app.register_blueprint(views.bp)
    rest_api.register_blueprint(api.blp)
    chronograph.declare(app, timed.SWEEP)
    _navigation()


def _navigation() -> None:
    from flask_babel import lazy_gettext as _l

    from accounts.models import Role
    from portal.dashboard import NAV, nav_item

    if any(item.endpoint.startswith("registry_agencies.") for item in NAV):
        return
    nav_item(_l("代理机构名录"), "registry_agencies.manage", Role.SUPERVISOR, Role.ADMIN, more=True)
    nav_item(_l("本机构名录登记"), "registry_agencies.mine", Role.AGENCY_STAFF, more=True)
    nav_item(_l("评价代理机构"), "registry_agencies.ratings", Role.PURCHASER, Role.SUPPLIER, Role.EXPERT, more=True)
