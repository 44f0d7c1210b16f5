"""Open data in the Open Contracting Data Standard 1.1.5 (OCDS): every procurement process as releases and
records, an API with pages and a bulk download streamed in bounded memory.

Modules:
- `sources`   the registry of process sources: each kind of process (a tender project, an intention not
              yet taken up, an e-mall order; framework call-offs when mall/ has them) says how to
              page its processes' keys and how to build one batch of processes' releases.
- `build`     what every source shares: the ocid prefix, party ids, money in yuan from integer fen, the
              catalogue as the item classification scheme, release and record packages, the compiled
              release (ocdsmerge with the release schema kept in `schema/`).
- `tender_process`  a tender project from its plan to payment: planning (plan/'s intention and
              confirmation, when the project came from one), tender (and its amendments), awards, contracts,
              implementation (acceptance rounds as milestones, payments as transactions).
- `intentions` published intentions (采购意向) no project has taken up yet, each a planning process.
- `mall_orders` e-mall orders (mall/), each a direct award from the electronic catalogue: award, contract,
              acceptance and payment.
- `views`     /api/v1/ocds/releases, /api/v1/ocds/records (paged), /api/v1/ocds/records/<ocid>, and the
              bulk download /api/v1/ocds/releases.json (every process, streamed batch by batch).
- `schema/`   the OCDS 1.1.5 release, release package and record package schemas (Apache-2.0, NOTICE).
"""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from portal.ocds import intentions, mall_orders, tender_process, views  # noqa: F401  (sources register)

    app.config.setdefault("OCDS_PREFIX", "ocds-biaoyu")
    app.register_blueprint(views.bp)
