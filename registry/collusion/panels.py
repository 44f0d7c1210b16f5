"""The supervisor's dashboard card and the supervision page's warnings: the latest collusion flags of the
regions under them."""

from __future__ import annotations

from datetime import datetime

from flask import url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from accounts.models import Role, User
from portal.dashboard import Panel, panel
from portal.supervision import Item, warning_source
from registry.collusion import service
from registry.collusion.views import KIND_ZH


@panel(Role.SUPERVISOR)
def collusion_flags(user: User) -> Panel:
    items = []
    for flag in service.flags_for(user, limit=6):
        shown = service.describe(flag)
        items.append({"title": f"{shown['project']} · {gettext(KIND_ZH.get(flag.kind, flag.kind))}",
                      "url": url_for("registry_collusion.detail", flag_id=flag.id),
                      "note": "、".join(shown["bidders"])})
    return Panel(title=str(_l("串通投标预警")), items=items,
                 empty=str(_l("每个标项开标后，平台计算的串通投标提示会列在这里，附计算依据。")),
                 link=url_for("registry_collusion.index"), link_text=str(_l("全部预警")))


@warning_source
def collusion_warnings(regions: set[str], now: datetime) -> list[Item]:
    """The supervision page's warnings: the newest collusion flags of these regions, with their evidence page."""
    from sqlalchemy import select

    from core.db import db
    from registry.collusion.models import CollusionFlag

    flags = db.session.scalars(select(CollusionFlag).where(CollusionFlag.region_code.in_(sorted(regions)))
                               .order_by(CollusionFlag.computed_at.desc(), CollusionFlag.id.desc()).limit(50))
    out = []
    for flag in flags:
        shown = service.describe(flag)
        kind = gettext("串通投标预警") + " · " + gettext(KIND_ZH.get(flag.kind, flag.kind))
        out.append(Item(f"collusion.flag:{flag.id}", kind, shown["project"], flag.region_code,
                        url_for("registry_collusion.detail", flag_id=flag.id), flag.computed_at,
                        note="、".join(shown["bidders"]), subject=("tender_project", flag.project_id)))
    return out
