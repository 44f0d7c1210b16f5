"""Accounts: regions, organisations, users, roles, login with TOTP, API tokens, public keys.

`models` holds the tables (regions with their lineage, organisations, users and roles, tokens, keys,
login failures) and `orgnames` the one loose comparison of organisation names; `activation` the username
and phone rules every way in shares, and the single-use links that let someone on file make an account.
`service` is every write and check (passwords, TOTP, rate limiting, tokens, users' public keys and the signatures made
with them, who oversees which region); `orgs` account opening (finance opens purchasing units and
their departments, an organisation's administrator creates and deactivates its people) and `posts`
each organisation's posts (经办, 审核, 负责人…) with `holders`/`has_post` for the workflows;
`org_views` and `org_api` are their pages and API; `views` (pages: login, TOTP enrolment, tokens, keys) and
`api` (/api/v1/me…) are thin over it, with `forms` and `schemas`; `demo` seeds a region tree and a
user per role.
"""

from flask import Flask


def register(app: Flask) -> None:
    from accounts import api, demo, models, org_api, org_views, views  # noqa: F401  (demo registers its seeder)
    from core.extensions import api as rest_api

    app.register_blueprint(views.bp)
    app.register_blueprint(org_views.bp)
    rest_api.register_blueprint(api.blp)
    rest_api.register_blueprint(org_api.blp)
    org_views.navigation()
