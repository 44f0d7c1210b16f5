"""The libraries (四库): experts (`experts`); the procurement catalogue (`catalogue`) and the product
library bound to it (`products`); suppliers and agencies come as sibling subpackages, each with its own tables."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    from registry import catalogue, experts, products

    experts.register(app)
    catalogue.register(app)
    products.register(app)
