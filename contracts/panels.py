"""The contracts' dashboard panel, next-deadline entry, navigation item and "需要您处理" entries, for
contracts of every source; the overdue payments on the supervision page."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from accounts.models import Role, User
from contracts import service
from core import clock
from portal.dashboard import DEADLINE_SOURCES, Panel, nav_item, panel
from portal.needs import Need, needs_source
from portal.supervision import Item, overdue_source

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
nav_item(_l("合同"), "contracts.index", Role.PURCHASER, Role.SUPPLIER, Role.AGENCY_STAFF)
# a supervisor looks at contracts now and then (the overdue ones reach the dashboard): under 更多
nav_item(_l("合同"), "contracts.index", Role.SUPERVISOR, more=True,
         when=lambda user: not user.has_role(Role.PURCHASER, Role.SUPPLIER, Role.AGENCY_STAFF))


# ---------------------------------------------------------------- acceptance and payment

def _acceptance_needs(user: User) -> list[Need]:
    """Reports waiting for this member's signature; the purchaser's signed contracts not yet accepted."""
    from sqlalchemy import select

    from contracts.models import Acceptance, AcceptanceMember, Contract
    from contracts.transitions import AcceptanceStatus, ContractStatus
    from core.db import db

    out = [Need(f"contracts.acceptance_sign:{a.id}", gettext("签署验收报告"), service.describe(c).title,
                url_for("contracts.detail", contract_id=c.id, _anchor="acceptance"))
           for a, c in db.session.execute(
               select(Acceptance, Contract).join(Contract, Contract.id == Acceptance.contract_id)
               .join(AcceptanceMember, AcceptanceMember.acceptance_id == Acceptance.id)
               .where(AcceptanceMember.user_id == user.id, AcceptanceMember.signed_at.is_(None),
                      Acceptance.status == AcceptanceStatus.SIGNING)).all()]
    if user.has_role(Role.PURCHASER) and user.org_id is not None:
        started = select(Acceptance.contract_id)
        out += [Need(f"contracts.acceptance:{c.id}", gettext("组织履约验收"), service.describe(c).title,
                     url_for("contracts.detail", contract_id=c.id, _anchor="acceptance"))
                for c in db.session.scalars(select(Contract).where(
                    Contract.purchaser_org_id == user.org_id, Contract.status == ContractStatus.SIGNED,
                    Contract.id.not_in(started)).order_by(Contract.signed_at).limit(20))]
    return out


@needs_source
def acceptance_needs(user: User) -> list[Need]:
    return _acceptance_needs(user) if user.is_authenticated else []


@panel(Role.SUPERVISOR)
def overdue_payments(user: User) -> Panel:
    """Contracts of the supervisor's regions accepted and not paid in time (保障中小企业款项支付条例)."""
    from contracts import payments

    items = [{"title": service.describe(c, localized=True).title,
              "note": gettext("应于 %(due)s 前付款，尚欠 %(owed)s 元",
                              due=clock.format_local(c.payment_due_at, "%Y-%m-%d"),
                              owed=f"{payments.outstanding(c) / 100:,.2f}"),
              "url": url_for("contracts.detail", contract_id=c.id, _anchor="payments")}
             for c in payments.overdue_for(user)]
    return Panel(title=str(_l("逾期未付的合同款项")), empty=str(_l("本地区没有逾期未付的合同款项。")), items=items[:8],
                 link=url_for("contracts.index"), link_text=str(_l("全部合同")))


@overdue_source
def overdue_payments_source(regions: set[str], now) -> list[Item]:
    """The supervision page's overdue payments: accepted contracts of these regions not paid by their due day."""
    from sqlalchemy import select

    from contracts import payments
    from contracts.models import Contract
    from core.db import db

    rows = db.session.scalars(select(Contract).where(
        Contract.region_code.in_(sorted(regions)), Contract.payment_due_at < now,
        Contract.paid_fen < Contract.amount_fen).order_by(Contract.payment_due_at).limit(200))
    return [Item(f"contracts.payment:{c.id}", gettext("合同款项逾期未付"), service.describe(c, localized=True).title,
                 c.region_code, url_for("contracts.detail", contract_id=c.id, _anchor="payments"), c.payment_due_at,
                 note=gettext("尚欠 %(owed)s 元", owed=f"{payments.outstanding(c) / 100:,.2f}"))
            for c in rows]
