"""Pages of the reverse auction: the list with the publication form, the live auction page (the
`/auction` socket renders it; the form posts here when scripts are off), the HTTP bid (the same service
function as the socket), the winner's confirmation and the download of the verifiable log. Thin: each
POST calls one service function and commits once; a refused bid keeps its log entry (`settle_refusal`)."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from accounts.models import Role
from core import clock, files
from core.auth import roles_required
from core.db import db
from core.errors import Conflict, DomainError, ValidationError, settle_refusal, wants_json
from mall import auction as service
from mall import auction_log
from mall.models import Listing
from mall.supermarket import yuan_to_fen
from mall.transitions import ListingStatus

bp = Blueprint("mall_auction", __name__, url_prefix="/mall/auctions")
READERS = (Role.PURCHASER, Role.SUPPLIER, Role.ADMIN, Role.SUPERVISOR)


def _visible(auction_id: int):
    auction = service.get_auction(auction_id)
    if not service.can_see(current_user, auction):
        abort(404)
    return auction


@bp.get("/")
@roles_required(*READERS)
def index():
    products = []
    if current_user.has_role(Role.PURCHASER):
        products = db.session.execute(select(Listing.product_id, Listing.title).where(
            Listing.status == ListingStatus.LIVE).distinct().order_by(Listing.title)).all()
    return render_template("mall/auctions.html", rows=service.auctions_for(current_user), labels=service.STATUS_LABELS,
                           products=products, is_purchaser=current_user.has_role(Role.PURCHASER),
                           default_start=clock.format_local(clock.now(), "%Y-%m-%dT%H:%M"))


@bp.post("/")
@roles_required(Role.PURCHASER)
def publish():
    form = request.form
    try:
        data = service.AuctionData(
            product_id=int(form.get("product_id") or 0), quantity=form.get("quantity", ""),
            ceiling_fen=yuan_to_fen(form.get("ceiling", ""), "ceiling_fen", _("最高限价")),
            decrement_fen=yuan_to_fen(form.get("decrement", ""), "decrement_fen", _("降价幅度")),
            starts_at=_local_time(form.get("starts_at", "")), duration_minutes=form.get("duration", ""),
            delivery_address=form.get("delivery_address", ""), title=form.get("title", ""))
        auction = service.publish_auction(current_user, data)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("mall_auction.index"))
    db.session.commit()
    flash(_("竞价已发布。"), "success")
    return redirect(url_for("mall_auction.page", auction_id=auction.id))


def _local_time(text: str):
    try:
        return clock.parse_local(text.replace("T", " "))
    except (ValueError, TypeError):
        raise ValidationError(_("请填写开始时间。"), code="auction_invalid", details={"field": "starts_at"}) from None


@bp.get("/<int:auction_id>")
@roles_required(*READERS)
def page(auction_id: int):
    auction = _visible(auction_id)
    return render_template("mall/auction.html", auction=auction, state=service.state_for(current_user, auction),
                           is_supplier=current_user.has_role(Role.SUPPLIER))


@bp.get("/<int:auction_id>/state")
@roles_required(*READERS)
def state(auction_id: int):
    """The page's fallback when the socket is down (the same state the room pushes)."""
    return jsonify(service.state_for(current_user, _visible(auction_id)))


@bp.post("/<int:auction_id>/bids")
@roles_required(Role.SUPPLIER)
def bid(auction_id: int):
    """An HTTP bid: `amount_fen` (JSON) or `amount` in yuan (the form)."""
    body = request.get_json(silent=True) if request.is_json else None
    try:
        amount = body.get("amount_fen") if isinstance(body, dict) else \
            yuan_to_fen(request.form.get("amount", ""), "amount", _("报价"))
        bidder = service.place_bid(current_user, auction_id, amount)
    except DomainError as exc:
        if wants_json() or request.is_json:
            raise
        settle_refusal(exc)
        flash(exc.message, "danger")
        return redirect(url_for("mall_auction.page", auction_id=auction_id))
    db.session.commit()
    if wants_json() or request.is_json:
        return jsonify({"ok": True, "bidder": bidder.pseudonym, "best_fen": bidder.best_fen})
    flash(_("报价已接受。"), "success")
    return redirect(url_for("mall_auction.page", auction_id=auction_id))


@bp.post("/<int:auction_id>/confirm")
@roles_required(Role.SUPPLIER)
def confirm(auction_id: int):
    try:
        order = service.confirm_award(current_user, auction_id)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("mall_auction.page", auction_id=auction_id))
    db.session.commit()
    flash(_("已确认成交，订单已生成。"), "success")
    return redirect(url_for("mall.order", order_id=order.id))


@bp.get("/<int:auction_id>/log.json")
@roles_required(*READERS)
def log(auction_id: int):
    """The verifiable log (sealed once the auction closed): `python -m mall.verifier <file>` checks it."""
    auction = _visible(auction_id)
    if not auction.seal_note:
        raise Conflict("竞价结束、记录封存后才能下载竞价记录。", code="auction_log_not_sealed")
    body = json.dumps(auction_log.sealed_log(auction), ensure_ascii=False, indent=1)
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": files.content_disposition(f"{auction.number}-log.json")})
