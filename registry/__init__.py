"""The libraries (四库). Only the expert library (`experts`) lives here so far; suppliers, products and
agencies come later as sibling subpackages (`registry/suppliers/…`), each with its own tables."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    from registry import experts

    experts.register(app)
