"""Dashboard cards: a supplier's orders waiting for its confirmation (the window lapses them), and the
reviewers' queue of listing changes."""

from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from accounts.models import Role, User
from core import clock
from core.db import db
from mall import supermarket
from mall.models import Order
from mall.transitions import OrderStatus
from portal.dashboard import Panel, panel


@panel(Role.SUPPLIER)
def to_confirm(user: User) -> Panel | None:
    if user.org_id is None:
        return None
    rows = db.session.scalars(select(Order).where(Order.supplier_org_id == user.org_id,
                                                  Order.status == OrderStatus.PLACED)
                              .order_by(Order.confirm_due_at).limit(6))
    items = [{"title": o.number, "url": url_for("mall.order", order_id=o.id),
              "note": str(_l("请于 %(at)s 前确认", at=clock.format_local(o.confirm_due_at)))} for o in rows]
    return Panel(title=str(_l("电子卖场订单待确认")), items=items,
                 empty=str(_l("采购单位下的订单会列在这里，须在期限内确认。")),
                 link=url_for("mall.order_list"), link_text=str(_l("电子卖场订单")))


@panel(Role.AGENCY_STAFF, Role.ADMIN)
def listing_changes(user: User) -> Panel | None:
    if not supermarket.is_reviewer_user(user):
        return None
    items = [{"title": c.listing.title, "url": url_for("mall.review"),
              "note": clock.format_local(c.proposed_at)} for c in supermarket.review_queue()[:6]]
    return Panel(title=str(_l("挂牌变更待审")), items=items, empty=str(_l("供应商对在售商品的变更会列在这里。")),
                 link=url_for("mall.review"), link_text=str(_l("挂牌变更审核")))
