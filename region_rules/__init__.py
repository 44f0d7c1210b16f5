"""Region rules: one typed, versioned store of the values a finance bureau may set per region.

Modules:
- `keys`   — the declarations (key, type, range, national default, article, Chinese label); pure.
             Each package declares its own keys (tender.rules, expert_draw.rules, evaluation.rules).
- `models` — `rule_change` (region, effective time, who, why) and `rule_setting` (its values).
- `store`  — reading (`value`, `snapshot`, `version`, inherited province → city → county) and
             changing (`set_values`: audited, range-checked, never retroactive).
- `views`  — the supervisor's page (/supervision/rules).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # `keys` is imported by pure libraries (evaluation.rules): no Flask at import
    from flask import Flask


def register(app: Flask) -> None:
    from region_rules import models, views  # noqa: F401  (tables)

    app.register_blueprint(views.bp)
