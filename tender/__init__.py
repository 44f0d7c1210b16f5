"""Tender: projects, publication, clarifications, sealed bids, the opening and its online hall.

`models` and `transitions` hold the tables and the status tables; `rules` the region rules a finance
bureau sets. The writes, by stage: `service` (projects: create, publish, corrections, clarifications,
registrations, notices) → `bids` (sealed bids checked without a key, replaced, withdrawn, receipts) →
`opening` (submission closed at the deadline, the shares, decryption, the opening record) with `hall`
(the online opening hall: who enters, what each sees, check-in, confirmation). Keys and files: `custody`
(policies no single party can satisfy), `vault` (the platform's time-vault custodian), `keys`,
`filestore`. Outputs: `price_detail`, `receipt_pdf`, `record_pdf`. Around them: `events` (Socket.IO
`/opening`), `timed` (its timed steps for the chronograph), `tasks` and `cli`, `api` (/api/v1) with
`schemas`, `views` (pages), `panels` (dashboard), `notice_sections` (the project in the notice centre:
its 财办库〔2020〕50号 sections and the buttons of its stage) and `demo`.
"""

from flask import Flask


def register(app: Flask) -> None:
    from core.extensions import api as rest_api
    from tender import api, cli, demo, events, models, notice_sections, panels, tasks, views  # noqa: F401  (register side effects)

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.tender_cli)
    rest_api.register_blueprint(api.blp)
    events.register_handlers()
    app.config.setdefault("TIME_VAULT_KEY_PATH", None)
    app.config.setdefault("TIME_VAULT_PASSPHRASE", None)
    app.config.setdefault("TIME_VAULT_PASSPHRASE_FILE", None)
    from tender import vault

    vault.check_at_startup(app)
    from core import chronograph
    from tender import timed

    chronograph.declare(app, timed.SWEEP)
