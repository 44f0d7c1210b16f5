"""Contracts (政府采购合同) of every purchase: one way to draft, sign, publish and export them.

A contract comes from a source: a tender award (`evaluation.contracts`), later an e-mall order, a
framework call-off or a designated-service order. The source says what the records fix; the kit does the
rest the same way for all of them: the open terms, the canonical document both parties sign with their
own keys (FORMAT.md §14), the contract notice once both signed, the PDF, the lists and the finance
intranet's export.

Modules:
- `sources`      `ContractSource` (what a method tells the kit: load, facts, who drafts, when not,
                 describe, the notice's subject, what happens once signed, what waits to be drafted),
                 `register()`; `Facts`, `Description`, `ToDraft`.
- `transitions`  `ContractStatus` and its lifecycle (draft → signing → signed; voided).
- `models`       `Contract` (table `contract`, its source by kind and id, parties and region copied from
                 it) and `ContractSignature`.
- `service`      `draft_contract(user, kind, source_id, terms)`, `sign_contract`, `void_contract(kind,
                 source_id)`, `contract_for(kind, source_id)`, `contracts_for(user)`, `to_draft(user)`,
                 `signed_contracts(regions, since)`, who is who (`party_of`, `can_read`, `may_draft`).
- `views`        /contracts, /contracts/<kind>/<source id>/draft, /contracts/<id> (with the browser
                 signing panel, static/js/contracts/contract-sign.js), its PDF (`pdf`) and document.json.
- `api`          /api/v1/contracts (draft, read, sign, export) with `schemas`.
- `acceptance`   履约验收 of a signed contract: the group, the result against the contract's items, the
                 report every member signs, pass (payment due, performance rating, notice, `on_accepted`)
                 or fail with its remedy; `performance_of(org)` for credit.
- `payments`     payments reported by the finance intranet (`core.exchange` channel `finance.intranet`),
                 the overdue warning (`timed`: the chronograph's step), the supervisors' list.
- `rules`        the region rules: who takes part in an acceptance, its notice, the days to pay.
- `demo`         the demo contract's acceptance and first payment.
- `panels`       the dashboard panel, the next deadline, the navigation item, "需要您处理".

A method adds its source at import time (see `evaluation/contracts.py`):

    ORDER = sources.register(ContractSource(kind="order", label=N_("电子卖场订单"), load=load_order,
                                            facts=order_facts, may_draft=..., refusal=..., describe=...,
                                            notice_subject=..., concluded=mark_order_contracted))
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    from contracts import acceptance, api, demo, models, panels, payments, timed, views  # noqa: F401
    from core import chronograph
    from core.extensions import api as rest_api

    app.register_blueprint(views.bp)
    rest_api.register_blueprint(api.blp)
    chronograph.declare(app, timed.SWEEP)
