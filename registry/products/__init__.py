"""The product library (商品库): products proposed by suppliers, reviewed in a queue, each accepted
version an immutable snapshot, re-confirmed yearly; and the offers the e-mall sells.

`models` holds the tables and the status tables (product, proposal, offer); `rules` the region rule
of the re-confirmation period; `service` every write (propose, accept, reject, confirm, offers) and
the reads; `search` the word and code search over jieba tokens (`search_products`, `search_offers`,
`offers_of`: the e-mall's way in); `timed` hides unconfirmed products (a chronograph step); `views`
(pages) and `api` are thin over the service; `panels` the dashboard cards (the review queue, the
products to re-confirm); `demo` seeds products, offers and a waiting proposal.
README.md: the path of a product, what the e-mall calls, the search and its benchmark figures.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    from core import chronograph
    from core.extensions import api as rest_api
    from registry.products import api, demo, models, panels, rules, timed, views  # noqa: F401  (seeder, cards)

    app.register_blueprint(views.bp)
    rest_api.register_blueprint(api.blp)
    chronograph.declare(app, timed.SWEEP)
    _navigation()


def _navigation() -> None:
    from flask_babel import lazy_gettext as _l

    from accounts.models import Role
    from portal.dashboard import NAV, nav_item

    if any(item.endpoint.startswith("registry_products.") for item in NAV):
        return
    nav_item(_l("商品库"), "registry_products.index", Role.PURCHASER, Role.SUPPLIER, Role.AGENCY_STAFF, Role.ADMIN,
             Role.SUPERVISOR, Role.FINANCE_REVIEWER, more=True)
