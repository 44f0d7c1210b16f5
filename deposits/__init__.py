"""Bid deposits (投标保证金), electronic guarantee letters (电子保函) and performance securities (履约保证金).

`transitions` holds the deposit's statuses and its one transition table; `models` the tables (a lot's
setting, the deposits with their sub-accounts, each transfer received); `rules` the region rules (who
is exempt, the caps of 实施条例 Art 33 and 48, the refund periods in working days). `stages` reads what
the deposits need of the tender and the award through those packages' public functions. `service` has
every write (the setting, transfers, guarantee letters, waivers, refunds, forfeitures, the performance
security's release) and the reads others use (`payer_accounts` for the collusion signals,
`opening_note` for the opening hall). `bank` is the banks' and issuers' side: the signed messages it
accepts through `core.exchange` and the daily reconciliation. `timed` declares the sweep (refunds
scheduled, sent, flagged when late); `api` (/api/v1/deposits) with `schemas`, `views` (pages), `panels`
(dashboard cards), `cli` (`flask deposits reconcile`) and `demo`. Message formats and codes: README.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    from core import chronograph
    from core.extensions import api as rest_api
    from deposits import api, bank, cli, demo, models, panels, timed, views  # noqa: F401  (handlers, seeder, cards)

    app.register_blueprint(views.bp)
    rest_api.register_blueprint(api.blp)
    app.cli.add_command(cli.deposits_cli)
    app.jinja_env.globals["deposit_panel"] = views.bid_panel
    chronograph.declare(app, timed.SWEEP)
    _hooks()
    _navigation()


def _hooks() -> None:
    """The opening record notes a bid without the deposit its lot required (the hall's own hook list); a
    contract's passed acceptance releases the winner's performance security (the acceptance's list)."""
    from contracts import acceptance
    from deposits import service
    from tender import hall

    if service.opening_note not in hall.RECORD_NOTES:
        hall.RECORD_NOTES.append(service.opening_note)
    if service.release_on_acceptance not in acceptance.ACCEPTED:
        acceptance.on_accepted(service.release_on_acceptance)


def _navigation() -> None:
    from flask_babel import lazy_gettext as _l

    from accounts.models import Role
    from portal.dashboard import NAV, nav_item

    if any(item.endpoint.startswith("deposits.") for item in NAV):
        return
    nav_item(_l("保证金对账"), "deposits.reconciliation", Role.AGENCY_STAFF, Role.SUPERVISOR, Role.ADMIN, more=True)
    nav_item(_l("银行与保函机构"), "deposits.senders", Role.ADMIN, more=True)
