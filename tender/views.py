"""Pages of the tender (thin: parse, authorise via the services, render)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("tender", __name__)
