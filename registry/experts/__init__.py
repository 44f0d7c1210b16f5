"""The expert library (专家库): registration, admission, specialties, relations, leave, credit.

`models` holds the tables (specialties, experts, relations, leave, credit records and rules);
`service` every write on them (register, review, suspend, leave, relations, credit) and the reads
other packages use (the specialty tree, region subtrees, credit tiers); `importer` takes an
existing library from CSV or XLSX, all rows or none; `onboarding` is an expert's way in (sign-up,
and the activation link an imported expert gets, sent by `tasks`); `changes` the evidence experts
upload and the employer change finance reviews; `views` (pages) and `api` are thin over the
service; `demo` seeds a library.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    from core.extensions import api as rest_api
    from registry.experts import api, demo, models, tasks, views  # noqa: F401  (demo registers its seeder)

    app.register_blueprint(views.bp)
    rest_api.register_blueprint(api.blp)
    _navigation()


def _navigation() -> None:
    from flask_babel import lazy_gettext as _l

    from accounts.models import Role
    from portal.dashboard import NAV, nav_item

    if any(item.endpoint.startswith("registry_experts.") for item in NAV):
        return
    nav_item(_l("专家库"), "registry_experts.index", Role.FINANCE_REVIEWER, Role.ADMIN)
    # the library is finance's business section's; a supervisor consults it now and then: under 更多
    nav_item(_l("专家库"), "registry_experts.index", Role.SUPERVISOR, more=True,
             when=lambda user: not user.has_role(Role.FINANCE_REVIEWER, Role.ADMIN))
    nav_item(_l("专家信息"), "registry_experts.me", Role.EXPERT)
