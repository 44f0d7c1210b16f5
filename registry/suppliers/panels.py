"""Dashboard panels of the supplier library: the central agency's applications and changes waiting (the
overdue ones first), and a supplier's own record when something needs doing (a return, an expiring
certificate)."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from accounts.models import Role, User
from accounts.service import regions_under
from core import clock
from portal.dashboard import Panel, panel
from registry.suppliers import changes, service
from registry.suppliers.models import SupplierStatus


@panel(Role.AGENCY_STAFF, Role.ADMIN)
def applications(user: User) -> Panel | None:
    if not (user.has_role(Role.ADMIN) or service.is_central_agency_staff(user)):
        return None
    mine = regions_under(user.org.region_code) if user.org is not None and not user.has_role(Role.ADMIN) else None
    waiting = [s for s in service.list_suppliers(user, service.Filters(status=SupplierStatus.SUBMITTED.value))
               if mine is None or s.region_code in mine]
    waiting.sort(key=lambda s: s.review_due_at)
    now = clock.now()
    items = [{"title": s.name, "url": url_for("registry_suppliers.detail", supplier_id=s.id),
              "note": (gettext("审核已超期") if s.review_due_at <= now else gettext("待审核")) + " · "
              + clock.format_local(s.review_due_at, "%Y-%m-%d")} for s in waiting[:6]]
    items += [{"title": c.supplier.name, "note": gettext("关键信息变更待审核"),
               "url": url_for("registry_suppliers.detail", supplier_id=c.supplier_id)}
              for c in changes.pending_changes()[:4] if mine is None or c.supplier.region_code in mine]
    return Panel(title=str(_l("供应商注册审核")), empty=str(_l("供应商提交的注册申请和关键信息变更会显示在这里。")),
                 items=items, link=url_for("registry_suppliers.index"), link_text=str(_l("供应商库")))


@panel(Role.SUPPLIER)
def my_record(user: User) -> Panel | None:
    supplier = service.supplier_of_org(user.org_id)
    if supplier is None:
        return None
    items = []
    if supplier.status is SupplierStatus.DRAFT:
        items.append({"title": gettext("注册申请尚未提交"), "note": supplier.status_reason,
                      "url": url_for("registry_suppliers.me")})
    for q in supplier.live_qualifications:
        state = service.qualification_state(q)
        if state in ("expired", "expiring"):
            items.append({"title": q.name, "url": url_for("registry_suppliers.me"),
                          "note": (gettext("已过期") if state == "expired" else gettext("即将到期")) + " · "
                          + q.expires_on.isoformat()})
    if not items:
        return None
    return Panel(title=str(_l("供应商信息")), empty="", items=items, link=url_for("registry_suppliers.me"),
                 link_text=str(_l("查看")))
