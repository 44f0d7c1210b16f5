"""The agency registry on the public home page: the listed agencies with their staff and rating."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.dashboard import Panel, public_section
from registry.agencies.service import public_list


@public_section
def public_agencies() -> list[Panel]:
    """A card of the registry's listed agencies (the best rated first), linking to the whole list."""
    entries = sorted(public_list(), key=lambda e: (-(e.rating or 0), e.listing.org.name))[:6]
    items = [{"title": e.listing.org.name, "url": url_for("registry_agencies.index"),
              "note": _("专职人员 %(n)s 人", n=e.staff_count)
              + (_("，评价 %(r).2f", r=e.rating) if e.rating is not None else "")} for e in entries]
    return [Panel(title=str(_l("代理机构名录")), empty=str(_l("列入名录的代理机构会列在这里。")), items=items,
                  link=url_for("registry_agencies.index"), link_text=str(_l("全部代理机构")))]
