"""The libraries (四库), each a subpackage with its own tables: experts (`experts`); suppliers (`suppliers`);
the procurement catalogue (`catalogue`) and the product library bound to it (`products`); the collusion
signals over opened bids and the suppliers' identity graph (`collusion`); credit (`credit`: the national lists,
the checks at registration, bid and award, warning cards and sanctions); the agency registry (`agencies`).
`tabular` is what their bulk imports share (CSV/XLSX rows, the header, the row/column/reason report)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    from registry import agencies, catalogue, collusion, credit, experts, products, suppliers

    experts.register(app)
    suppliers.register(app)
    agencies.register(app)
    catalogue.register(app)
    products.register(app)
    collusion.register(app)
    credit.register(app)
