"""The e-mall (电子卖场): small purchases below 分散采购限额, bought the way one shops online, at prices that
can be trusted.

`kinds` is the one outer shape — a registry of purchase kinds with the same eight steps (open, quote,
close, award, order, contract, accept, rate); `methods` registers the first two kinds, the online
supermarket and the designated services. `transitions` holds the status tables; `models` the tables;
`rules` every period and percentage as region rules. `supermarket` runs stores, listings, the listing
rules, the review queue and search/compare (over `registry.products`' public search); `prices` the
reference prices, the rolling quartiles, the automatic freeze and the nightly check; `orders` the cart, the
order lifecycle, payments, disputes and the marks fed to credit; `contracts` the order's contract source
for the contracts kit; `services` the designated-service agreements, orders and the line-by-line bill
check; `service` re-exports what others call; `timed` the chronograph's sweep; `views` the pages; `demo`
the seed. The reverse auction (反向竞价): `auction` the kind and its services, `auction_models` and
`auction_transitions` its tables and lifecycle, `auction_log` the hash-chained, signed bid log,
`verifier` the standalone check of a published log (`python -m mall.verifier`), `auction_timed` its sweep,
`events` the `/auction` Socket.IO room, `auction_views` its pages, `auction_demo` its seed.
README.md: the rules, the quantile method, the kinds API and the benchmark.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    from core import chronograph
    from mall import (  # noqa: F401  (imported for their registrations: sources, kinds, seeders, sweeps)
        auction,
        auction_demo,
        auction_timed,
        auction_views,
        contracts,
        demo,
        events,
        methods,
        models,
        panels,
        rules,
        timed,
        views,
    )
    from mall.orders import emall_total, poor_marks
    from plan.service import split_source
    from registry.credit.service import register_performance_feed

    app.register_blueprint(views.bp)
    app.register_blueprint(auction_views.bp)
    chronograph.declare(app, timed.SWEEP)
    chronograph.declare(app, auction_timed.SWEEP)
    events.register_handlers()
    register_performance_feed(poor_marks)
    split_source(emall_total)
    _navigation()


def _navigation() -> None:
    from flask_babel import lazy_gettext as _l

    from accounts.models import Role
    from portal.dashboard import NAV, nav_item

    if any(item.endpoint.startswith("mall.") for item in NAV):
        return
    buyers_and_sellers = (Role.PURCHASER, Role.SUPPLIER, Role.AGENCY_STAFF, Role.ADMIN)
    nav_item(_l("电子卖场"), "mall.index", *buyers_and_sellers)
    # finance oversees the e-mall (price monitoring, frozen listings) now and then: under 更多, which keeps
    # a supervisor's 1366 px header on one row
    nav_item(_l("电子卖场"), "mall.index", Role.SUPERVISOR, Role.FINANCE_REVIEWER, more=True,
             when=lambda user: not user.has_role(*buyers_and_sellers))
