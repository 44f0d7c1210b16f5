"""Dashboard cards: the review queue for the central agency and the administrator, and for a supplier
its products to re-confirm (due within the region's reminder period, or already hidden)."""

from __future__ import annotations

from datetime import timedelta

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from accounts.models import Role, User
from core import clock
from core.db import db
from portal.dashboard import Panel, panel
from registry.products import service
from registry.products.models import Product, ProductStatus
from registry.products.rules import remind_days


@panel(Role.AGENCY_STAFF, Role.ADMIN)
def review_queue(user: User) -> Panel | None:
    if not service.is_reviewer(user):
        return None
    items = [{"title": f"{p.brand} {p.model}", "url": url_for("registry_products.queue"),
              "note": f"{p.supplier.name} · {clock.format_local(p.submitted_at)}"}
             for p in service.review_queue()[:6]]
    return Panel(title=str(_l("商品待审")), items=items, empty=str(_l("供应商提交的新商品和商品变更会列在这里。")),
                 link=url_for("registry_products.queue"), link_text=str(_l("商品审核")))


@panel(Role.SUPPLIER)
def to_confirm(user: User) -> Panel | None:
    if user.org_id is None:
        return None
    soon = clock.now() + timedelta(days=remind_days(user.region_code))
    rows = db.session.scalars(select(Product).where(
        Product.supplier_org_id == user.org_id, Product.status != ProductStatus.WITHDRAWN,
        Product.confirm_due_at <= soon).order_by(Product.confirm_due_at).limit(6))
    items = [{"title": p.title, "url": url_for("registry_products.mine"),
              "note": (str(_l("已隐藏，确认后恢复")) if p.status == ProductStatus.HIDDEN
                       else str(_l("请于 %(day)s 前确认", day=clock.format_local(p.confirm_due_at, "%Y-%m-%d"))))}
             for p in rows]
    return Panel(title=str(_l("商品待确认")), items=items,
                 empty=str(_l("商品每年须确认一次；临近确认期限的商品会列在这里。")),
                 link=url_for("registry_products.mine"), link_text=str(_l("本单位商品与报价")))
