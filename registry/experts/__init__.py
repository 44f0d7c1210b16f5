"""The expert library (专家库): registration, admission, specialties, relations, leave, credit."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    from core.extensions import api as rest_api
    from registry.experts import api, demo, models, views  # noqa: F401  (demo registers its seeder)

    app.register_blueprint(views.bp)
    rest_api.register_blueprint(api.blp)
