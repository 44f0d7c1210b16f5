"""The procurement catalogue (政府采购品目分类目录): versions imported from the official file, its tree,
and the leaves each region buys centrally (集中采购目录).

`codes` is the pure shape of a code (prefix form A02 → A0201 → A020101 → A02010104, the padded
nine-character form accepted); `models` the tables; `importer` reads a CSV/XLSX file and stores it
as a new version only if every row is right (a report of row, column, reason otherwise);
`service` the reads other packages use (`require_leaf`, `children`, `is_central`…) and the writes
(activate a version, mark central leaves); `views`, `api` and `cli` (`flask catalogue import FILE`)
are thin over them; `demo` imports the extract shipped in `data/`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    from core.extensions import api as rest_api
    from registry.catalogue import api, cli, demo, models, views  # noqa: F401  (demo registers its seeder)

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.catalogue_cli)
    rest_api.register_blueprint(api.blp)
    _navigation()


def _navigation() -> None:
    from flask_babel import lazy_gettext as _l

    from accounts.models import Role
    from portal.dashboard import NAV, nav_item

    if any(item.endpoint.startswith("registry_catalogue.") for item in NAV):
        return
    nav_item(_l("采购目录"), "registry_catalogue.index", Role.ADMIN, Role.FINANCE_REVIEWER, Role.SUPERVISOR,
             Role.AGENCY_STAFF, Role.PURCHASER, Role.SUPPLIER, more=True)
