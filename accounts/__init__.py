"""Accounts: regions, organisations, users, roles, login with TOTP, API tokens, public keys.

`models` holds the tables (regions with their lineage, organisations, users and roles, tokens, keys,
login failures) and `orgnames` the one loose comparison of organisation names. `service` is every
write and check (passwords, TOTP, rate limiting, tokens, users' public keys and the signatures made
with them, who oversees which region); `views` (pages: login, TOTP enrolment, tokens, keys) and
`api` (/api/v1/me…) are thin over it, with `forms` and `schemas`; `demo` seeds a region tree and a
user per role.
"""

from flask import Flask


def register(app: Flask) -> None:
    from accounts import api, demo, models, views  # noqa: F401  (demo registers its seeder)
    from core.extensions import api as rest_api

    app.register_blueprint(views.bp)
    rest_api.register_blueprint(api.blp)
