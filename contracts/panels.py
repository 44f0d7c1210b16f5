"""The contracts' dashboard panel, next-deadline entry, navigation item and "需要您处理" entries, for
contracts of every source."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from accounts.models import Role, User
from contracts import service
from core import clock
from portal.dashboard import DEADLINE_SOURCES, Panel, nav_item, panel
from portal.needs import Need, needs_source

PARTY_ROLES = (Role.PURCHASER, Role.SUPPLIER, Role.AGENCY_STAFF)


def open_items(user: User) -> list[dict]:
    """Contracts waiting for this user's side: to draft (purchaser, agency) or to sign (both parties)."""
    items = [{"title": item.title, "note": str(_l("待起草合同")), "draft": True,
              "at": clock.end_of_local_day(item.due),
              "url": url_for("contracts.draft", kind=source.kind, source_id=item.source_id)}
             for source, item in service.to_draft(user)]
    for contract in service.contracts_for(user, open_only=True):
        if service.awaits_signature_of(user, contract):
            items.append({"title": contract.number, "note": str(_l("待本方签署")), "draft": False,
                          "at": contract.due_at, "url": url_for("contracts.detail", contract_id=contract.id)})
    return items


@panel(*PARTY_ROLES)
def contracts_to_do(user: User) -> Panel:
    items = [{"title": i["title"], "url": i["url"],
              "note": gettext("%(status)s · 期限 %(due)s", status=i["note"],
                              due=clock.format_local(i["at"], "%Y-%m-%d"))}
             for i in open_items(user)]
    return Panel(title=str(_l("合同签订")), empty=str(_l("中标结果公告后，待起草和待签署的合同会显示在这里。")),
                 items=items[:8], link=url_for("contracts.index"), link_text=str(_l("全部合同")))


def next_contract_deadline(user: User | None) -> dict | None:
    """The last day to sign the nearest contract this user must still draft or sign."""
    if user is None or not user.is_authenticated or not user.has_role(*PARTY_ROLES):
        return None
    found = [{"label": gettext("合同签订期限"), "at": i["at"]} for i in open_items(user)]
    return min(found, key=lambda d: d["at"]) if found else None


@needs_source
def contract_needs(user: User) -> list[Need]:
    if not user.is_authenticated or not user.has_role(*PARTY_ROLES):
        return []
    return [Need(f"contracts.{i['url']}", gettext("起草合同") if i["draft"] else gettext("签署合同"), i["title"],
                 i["url"], i["at"]) for i in open_items(user)]


DEADLINE_SOURCES.append(next_contract_deadline)
nav_item(_l("合同"), "contracts.index", Role.PURCHASER, Role.SUPPLIER, Role.AGENCY_STAFF, Role.SUPERVISOR)
