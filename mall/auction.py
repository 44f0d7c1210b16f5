"""The reverse auction (反向竞价), live: the e-mall's third purchase kind.

A purchaser publishes an auction for one catalogue product with a quantity, a unit-price ceiling, a
decrement, a start and a duration (`publish_auction`). Only suppliers selling the product — a live
listing in their store delivering to the purchaser's region — may bid. Free bidding: each bid is a
unit price a whole number of decrements below the ceiling and at least one decrement below the current
lowest (so a tie keeps the earlier bid); a valid bid in the last `mall.auction_window_seconds` restarts
the window (anti-sniping), never past the hard stop (`mall.auction_max_extension_minutes` after the
scheduled end). A bidder sees its rank and the lowest price, never the others' names.

`place_bid` is the one service function behind the page's HTTP form, the API and the `/auction` socket:
it locks the auction's row, reads the server clock and judges the bid with `mall.verifier.judge`; a
refused bid is written to the log alone (`BidRefused` keeps that change and nothing else). At the end
(`close_auction`, a timed step, due at `ends_at`) fewer valid bidders than `mall.auction_min_bidders`
fail the auction, otherwise the first place is offered the award and must confirm within
`mall.auction_confirm_hours` (`confirm_award`), else the next place is offered (`pass_award`, timed);
the confirmation places the mall order with the winner's listing at its bid price, confirmed by the
winner at once, and publishes the result notice; the contract follows through `mall.contracts`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from accounts.models import Role, User
from audit.service import record
from core import clock, money
from core.after_commit import after_commit
from core.db import db, lock_row
from core.errors import Conflict, Forbidden, NotFound, ValidationError
from core.i18n import N_
from core.transitions import move
from mall import auction_log, contracts, kinds, orders, prices, rules
from mall.auction_models import Auction, AuctionBidder
from mall.auction_transitions import AuctionStatus
from mall.models import Listing, ListingRegion, Order, OrderLine
from mall.transitions import ListingStatus, OrderStatus
from mall.verifier import Params, extension, iso, judge, outcome, ranking
from notices import kinds as notice_kinds
from notices.service import publish_notice
from region_rules.keys import RuleKey, RuleType, declare

NAMESPACE = "/auction"
CENTRAL = "中央国家机关政府采购电子卖场管理办法"
MIN_BIDDERS_SOURCE = "政府采购货物和服务招标投标管理办法第四十三条（有效供应商不足三家的处理）"

AUCTION_RULES = declare("mall", "电子卖场", [
    RuleKey("mall.auction_min_bidders", RuleType.INT, 3, "反向竞价有效报价供应商少于此数的，竞价失败",
            MIN_BIDDERS_SOURCE, 2, 10),
    RuleKey("mall.auction_window_seconds", RuleType.INT, 300,
            "反向竞价限时窗口（秒）：结束前此时间内出现有效报价的，结束时间顺延至报价后此时间", CENTRAL, 30, 3600),
    RuleKey("mall.auction_max_extension_minutes", RuleType.INT, 60, "反向竞价因顺延最多延长的分钟数（硬截止）",
            CENTRAL, 0, 1440),
    RuleKey("mall.auction_confirm_hours", RuleType.INT, 72, "反向竞价成交供应商确认成交的最长小时数，逾期由下一名递补",
            CENTRAL, 1, 240),
    RuleKey("mall.auction_min_minutes", RuleType.INT, 10, "反向竞价持续时间下限（分钟）", CENTRAL, 1, 1440),
    RuleKey("mall.auction_max_minutes", RuleType.INT, 1440, "反向竞价持续时间上限（分钟）", CENTRAL, 10, 10080),
])

REASONS = {
    "not_started": "竞价尚未开始。",
    "closed": "竞价已结束（以服务器时间为准），本次报价无效。",
    "amount_invalid": "报价须为大于零的金额。",
    "above_ceiling": "报价高于最高限价，无效。",
    "not_multiple": "报价须比最高限价低降价幅度的整数倍。",
    "not_below_lowest": "报价须比当前最低价至少低一个降价幅度。",
}


class BidRefused(ValidationError):
    """A bid the rules refuse: the refusal's log entry is the one change kept (`keep_changes`)."""

    keep_changes = True


# ---------------------------------------------------------------- who


def sells(org_id: int | None, auction: Auction) -> Listing | None:
    """The supplier's live listing of the auction's product that delivers to the purchaser's region."""
    if org_id is None:
        return None
    chain = prices.region_chain(auction.region_code)
    return db.session.scalars(
        select(Listing).join(ListingRegion, ListingRegion.listing_id == Listing.id)
        .where(Listing.product_id == auction.product_id, Listing.supplier_org_id == org_id,
               Listing.status == ListingStatus.LIVE, ListingRegion.region_code.in_(chain))
        .order_by(Listing.id).limit(1)).first()


def is_buyer(user: User, auction: Auction) -> bool:
    return bool(user.has_role(Role.PURCHASER) and user.org_id == auction.purchaser_org_id)


def bidder_of(user: User, auction: Auction) -> AuctionBidder | None:
    if not user.has_role(Role.SUPPLIER) or user.org_id is None:
        return None
    return db.session.scalar(select(AuctionBidder).where(AuctionBidder.auction_id == auction.id,
                                                         AuctionBidder.supplier_org_id == user.org_id))


def can_see(user: User, auction: Auction) -> bool:
    """The purchaser, the supervisors, and the suppliers that sell the product (or have bid)."""
    if user.has_role(Role.SUPERVISOR, Role.ADMIN) or is_buyer(user, auction):
        return True
    return user.has_role(Role.SUPPLIER) and (bidder_of(user, auction) is not None
                                             or sells(user.org_id, auction) is not None)


# ---------------------------------------------------------------- publishing


@dataclass
class AuctionData:
    product_id: int
    quantity: Any
    ceiling_fen: int
    decrement_fen: int
    starts_at: datetime
    duration_minutes: Any
    delivery_address: str
    title: str = ""


def _whole(value: Any, field: str, label: str, low: int, high: int) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(f"{label}须为 {low} 至 {high} 之间的整数。",
                              code="auction_invalid", details={"field": field})
    return value


def publish_auction(user: User, data: AuctionData) -> Auction:
    """Publish a reverse auction; every check passes before anything is written."""
    from registry.products.models import Product

    orders.require_purchaser(user)
    region = user.org.region_code
    product = db.session.get(Product, data.product_id)
    if product is None:
        raise NotFound("没有这件商品。", code="product_not_found")
    qty = orders.check_quantity(data.quantity)
    ceiling, step = data.ceiling_fen, data.decrement_fen
    if not isinstance(ceiling, int) or ceiling <= 0:
        raise ValidationError("请填写最高限价。", code="auction_invalid", details={"field": "ceiling_fen"})
    if not isinstance(step, int) or not 0 < step < ceiling:
        raise ValidationError("降价幅度须大于零且小于最高限价。", code="auction_invalid",
                              details={"field": "decrement_fen"})
    minutes = _whole(data.duration_minutes, "duration_minutes", "竞价时长（分钟）",
                     rules.value(region, "mall.auction_min_minutes"), rules.value(region, "mall.auction_max_minutes"))
    now = clock.now()
    starts_at = clock.as_utc(data.starts_at, "starts_at")
    if starts_at < now - timedelta(minutes=1):
        raise ValidationError("开始时间不能早于现在。", code="auction_invalid", details={"field": "starts_at"})
    starts_at = max(starts_at, now)
    address = (data.delivery_address or "").strip()
    if not address or len(address) > 200:
        raise ValidationError("请填写收货地址（200 字以内）。", code="address_required",
                              details={"field": "delivery_address"})
    day = clock.to_local(now).date()
    from plan.rules import category_of
    from plan.service import decentralised_limit

    limit = decentralised_limit(region, category_of(product.catalogue_code), day)
    total = orders.yearly_total(user.org_id, product.catalogue_code, day) + ceiling * qty
    if total > limit:
        raise Conflict(f"按最高限价计，本单位今年在品目 {product.catalogue_code} 的电子卖场采购累计 "
                       f"{money.format_yuan(total)} 元，超过分散采购限额 {money.format_yuan(limit)} 元。",
                       code="order_above_threshold", details={"total_fen": total, "limit_fen": limit})
    unit = db.session.scalar(select(Listing.unit).where(Listing.product_id == product.id).limit(1)) or "件"
    end = starts_at + timedelta(minutes=minutes)
    auction = Auction(number=f"JJ{clock.format_local(now, '%Y%m%d')}{secrets.token_hex(3).upper()}",
                      region_code=region, purchaser_org_id=user.org_id, created_by_id=user.id,
                      title=(data.title or "").strip()[:200] or product.title, product_id=product.id,
                      catalogue_code=product.catalogue_code, unit=unit, quantity=qty, ceiling_fen=ceiling,
                      decrement_fen=step, delivery_address=address, status=AuctionStatus.SCHEDULED,
                      rules_version=rules.version(region), min_bidders=rules.value(region, "mall.auction_min_bidders"),
                      window_s=rules.value(region, "mall.auction_window_seconds"),
                      confirm_hours=rules.value(region, "mall.auction_confirm_hours"), starts_at=starts_at,
                      scheduled_end_at=end, ends_at=end,
                      hard_stop_at=end + timedelta(minutes=rules.value(region, "mall.auction_max_extension_minutes")),
                      log_head="", published_at=now)
    db.session.add(auction)
    db.session.flush()
    auction_log.append(auction, "open", now, data=params_of(auction).to_open())
    record("mall.auction_published", auction, {"number": auction.number, "product": product.id, "quantity": qty,
                                               "ceiling_fen": ceiling, "decrement_fen": step,
                                               "starts_at": iso(starts_at), "ends_at": iso(end),
                                               "rules_version": auction.rules_version})
    return auction


def params_of(auction: Auction) -> Params:
    return Params(number=auction.number, quantity=auction.quantity, ceiling_fen=auction.ceiling_fen,
                  decrement_fen=auction.decrement_fen, starts_at=auction.starts_at,
                  ends_at=auction.scheduled_end_at, hard_stop_at=auction.hard_stop_at, window_s=auction.window_s,
                  min_bidders=auction.min_bidders)


def get_auction(auction_id: int | None, lock: bool = False) -> Auction:
    """The auction; `lock` serialises its bids and steps (core.db.lock_row, SQLite included) before it is read."""
    stmt = select(Auction).where(Auction.id == auction_id)
    if lock and auction_id is not None:
        lock_row(Auction, auction_id)
        stmt = stmt.execution_options(populate_existing=True)  # what the lock's holder before us wrote
    auction = db.session.scalar(stmt) if auction_id is not None else None
    if auction is None:
        raise NotFound("没有这场竞价。", code="auction_not_found")
    return auction


def announce_later(auction: Auction, what: str) -> None:
    from core import rooms

    after_commit(rooms.announce, NAMESPACE, auction.id, what)


# ---------------------------------------------------------------- bidding


def _pseudonym(auction: Auction, org_id: int) -> AuctionBidder:
    bidder = db.session.scalar(select(AuctionBidder).where(AuctionBidder.auction_id == auction.id,
                                                           AuctionBidder.supplier_org_id == org_id))
    if bidder is None:
        count = db.session.scalar(select(func.count()).select_from(AuctionBidder)
                                  .where(AuctionBidder.auction_id == auction.id)) or 0
        bidder = AuctionBidder(auction_id=auction.id, supplier_org_id=org_id, pseudonym=f"B{count + 1:02d}",
                               joined_at=clock.now())
        db.session.add(bidder)
        db.session.flush()
    return bidder


def _refusal_message(auction: Auction, reason: str) -> str:
    text = REASONS[reason]
    if reason == "above_ceiling":
        text += f"最高限价 {money.format_yuan(auction.ceiling_fen)} 元。"
    elif reason == "not_multiple":
        text += f"降价幅度 {money.format_yuan(auction.decrement_fen)} 元。"
    elif reason == "not_below_lowest" and auction.lowest_fen is not None:
        text += (f"当前最低价 {money.format_yuan(auction.lowest_fen)} 元，"
                 f"降价幅度 {money.format_yuan(auction.decrement_fen)} 元。")
    return text


def place_bid(user: User, auction_id: int, amount_fen: Any) -> AuctionBidder:
    """One unit-price bid, judged under the auction's row lock by the server clock (see the module)."""
    if not user.has_role(Role.SUPPLIER) or user.org_id is None:
        raise Forbidden("只有供应商可以报价。", code="not_supplier")
    auction = get_auction(auction_id, lock=True)
    if auction.status not in (AuctionStatus.SCHEDULED, AuctionStatus.LIVE):
        raise Conflict("竞价已结束，不再接受报价。", code="auction_closed")
    if sells(user.org_id, auction) is None:
        raise Forbidden("只有在电子卖场销售本商品并向采购单位所在地区供货的供应商可以参与竞价。",
                        code="not_auction_seller")
    now = clock.now()
    if auction.status is AuctionStatus.SCHEDULED and now >= auction.starts_at:
        start_auction(auction)
    bidder = _pseudonym(auction, user.org_id)
    reason = judge(params_of(auction), auction.lowest_fen, auction.ends_at, now, amount_fen)
    amount = amount_fen if isinstance(amount_fen, int) and not isinstance(amount_fen, bool) else None
    if reason is not None:
        auction_log.append(auction, "refused", now, bidder=bidder.pseudonym, amount_fen=amount, reason=reason)
        auction.refused_bids += 1
        db.session.flush()
        raise BidRefused(_refusal_message(auction, reason), code=f"bid_{reason}",
                         status=409 if reason in ("not_started", "closed") else 422,
                         details={"reason": reason, "lowest_fen": auction.lowest_fen})
    entry = auction_log.append(auction, "bid", now, bidder=bidder.pseudonym, amount_fen=amount)
    bidder.best_fen, bidder.best_seq = amount, entry.seq
    auction.lowest_fen = amount
    auction.accepted_bids += 1
    new_end = extension(params_of(auction), auction.ends_at, now)
    if new_end is not None:
        auction.ends_at = new_end
        auction.extensions += 1
        auction_log.append(auction, "extend", now, data={"ends_at": iso(new_end)})
    db.session.flush()
    record("mall.auction_bid", auction, {"seq": entry.seq, "bidder": bidder.pseudonym, "amount_fen": amount,
                                         "ends_at": iso(auction.ends_at)})
    announce_later(auction, "extended" if new_end is not None else "bid")
    return bidder


# ---------------------------------------------------------------- the timed steps and the award


def start_auction(auction: Auction) -> bool:
    """The start (a timed step, or the first bid after it): scheduled → live."""
    if auction.status is not AuctionStatus.SCHEDULED or auction.starts_at > clock.now():
        return False
    move(auction, AuctionStatus.LIVE)
    announce_later(auction, "started")
    return True


def _ranked(auction: Auction) -> list[tuple[str, int, int]]:
    rows = db.session.execute(select(AuctionBidder.pseudonym, AuctionBidder.best_fen, AuctionBidder.best_seq)
                              .where(AuctionBidder.auction_id == auction.id, AuctionBidder.best_fen.is_not(None)))
    return ranking({p: (amount, seq) for p, amount, seq in rows})


def close_auction(auction: Auction) -> bool:
    """The end (a timed step due at `ends_at`): the close entry, the seal, then the offer or the failure."""
    now = clock.now()
    if auction.status not in (AuctionStatus.SCHEDULED, AuctionStatus.LIVE) or auction.ends_at > now:
        return False
    ranked = _ranked(auction)
    result = outcome(params_of(auction), ranked)
    winner = ranked[0][0] if result == "offered" else None
    auction_log.append(auction, "close", now, data={"ranking": [list(r) for r in ranked], "outcome": result,
                                                    "winner": winner})
    auction.closed_at, auction.ranking = now, [list(r) for r in ranked]
    db.session.flush()
    auction_log.seal(auction)
    if result == "failed":
        _fail(auction, f"有效报价供应商 {len(ranked)} 家，少于 {auction.min_bidders} 家，竞价失败。")
    else:
        _offer(auction, 0)
    announce_later(auction, "closed")
    return True


def _bidder_by_pseudonym(auction: Auction, pseudonym: str) -> AuctionBidder:
    return db.session.scalars(select(AuctionBidder).where(AuctionBidder.auction_id == auction.id,
                                                          AuctionBidder.pseudonym == pseudonym)).one()


def _offer(auction: Auction, rank: int) -> None:
    pseudonym, amount, _seq = auction.ranking[rank]
    bidder = _bidder_by_pseudonym(auction, pseudonym)
    move(auction, AuctionStatus.OFFERED, payload={"rank": rank + 1, "bidder": pseudonym, "amount_fen": amount})
    auction.offer_rank = rank
    auction.offer_due_at = clock.now() + timedelta(hours=auction.confirm_hours)
    _tell(auction, "竞价成交待确认", f"竞价 {auction.number}：贵单位报价 {money.format_yuan(amount)} 元排名第 "
                                    f"{rank + 1}，请在 {clock.format_local(auction.offer_due_at)} 前确认成交。",
          [bidder.supplier_org_id])


def _fail(auction: Auction, reason: str) -> None:
    move(auction, AuctionStatus.FAILED, payload={"reason": reason})
    auction.end_reason = reason[:300]
    auction.offer_due_at = None
    notice = publish_notice(auction, notice_kinds.FAILURE, f"{auction.title} 反向竞价失败公告",
                            f"竞价编号：{auction.number}\n采购单位：{auction.purchaser.name}\n"
                            f"商品：{auction.title}，数量 {auction.quantity} {auction.unit}\n原因：{reason}",
                            rule_version=auction.rules_version)
    record("mall.auction_failed", auction, {"reason": reason, "notice": notice.id})
    _tell(auction, "竞价失败", f"竞价 {auction.number}：{reason}", [auction.purchaser_org_id])


def pass_award(auction: Auction) -> bool:
    """The offered bidder did not confirm in time (a timed step): the next place is offered, or none is left."""
    if auction.status is not AuctionStatus.OFFERED or auction.offer_due_at is None \
            or auction.offer_due_at > clock.now():
        return False
    nxt = (auction.offer_rank or 0) + 1
    record("mall.auction_offer_lapsed", auction, {"rank": nxt, "bidder": auction.ranking[nxt - 1][0]})
    if nxt < len(auction.ranking):
        _offer(auction, nxt)
    else:
        _fail(auction, "成交供应商及递补供应商均未在期限内确认成交。")
    announce_later(auction, "offer")
    return True


def confirm_award(user: User, auction_id: int) -> Order:
    """The offered bidder confirms: the mall order at its bid price, confirmed at once, and the result notice."""
    auction = get_auction(auction_id, lock=True)
    if auction.status is not AuctionStatus.OFFERED or auction.offer_rank is None:
        raise Conflict("本竞价当前没有待确认的成交。", code="auction_not_offered")
    pseudonym, amount, _seq = auction.ranking[auction.offer_rank]
    bidder = _bidder_by_pseudonym(auction, pseudonym)
    if not user.has_role(Role.SUPPLIER) or user.org_id != bidder.supplier_org_id:
        raise Forbidden("只有被确定为成交候选的供应商可以确认成交。", code="not_offered_bidder")
    if clock.now() > auction.offer_due_at:
        raise Conflict("确认成交的期限已过。", code="auction_confirm_late")
    listing = sells(bidder.supplier_org_id, auction)
    if listing is None:
        raise Conflict("贵单位已不再销售本商品，不能确认成交。", code="listing_not_live")
    now = clock.now()
    total = amount * auction.quantity
    order = Order(number=f"JJ{clock.format_local(now, '%Y%m%d')}{secrets.token_hex(3).upper()}", kind=AUCTION.code,
                  region_code=auction.region_code, purchaser_org_id=auction.purchaser_org_id,
                  placed_by_id=auction.created_by_id, supplier_org_id=bidder.supplier_org_id,
                  store_id=listing.store_id, status=OrderStatus.PLACED, amount_fen=total,
                  rules_version=auction.rules_version, delivery_address=auction.delivery_address, placed_at=now,
                  confirm_due_at=now + timedelta(hours=rules.value(auction.region_code, "mall.order_confirm_hours")),
                  lines=[OrderLine(listing_id=listing.id, product_id=listing.product_id,
                                   product_version_id=listing.product_version_id,
                                   catalogue_code=listing.catalogue_code, title=listing.title, unit=listing.unit,
                                   quantity=auction.quantity, unit_price_fen=amount, install_fee_fen=0,
                                   service_fee_fen=0, total_fen=total, at=now)])
    db.session.add(order)
    db.session.flush()
    record("mall.order_placed", order, {"number": order.number, "amount_fen": total, "store": listing.store_id,
                                        "lines": [[listing.id, auction.quantity, amount]], "auction": auction.number,
                                        "rules_version": order.rules_version, "confirmation": None})
    orders.confirm_order(user, order.id)  # the winner's confirmation of the award is its confirmation of the order
    move(auction, AuctionStatus.ORDERED, payload={"order": order.id, "bidder": pseudonym})
    auction.order_id, auction.offer_due_at = order.id, None
    notice = publish_notice(auction, notice_kinds.RESULT, f"{auction.title} 反向竞价成交公告",
                            f"竞价编号：{auction.number}\n采购单位：{auction.purchaser.name}\n"
                            f"商品：{auction.title}，数量 {auction.quantity} {auction.unit}\n"
                            f"成交供应商：{bidder.supplier.name}\n成交单价：{money.format_yuan(amount)} 元，"
                            f"成交总价：{money.format_yuan(total)} 元\n有效报价供应商 {len(auction.ranking)} 家，"
                            f"竞价记录（哈希链，签名头 {auction.log_head[:16]}…）可下载，"
                            "并用 python -m mall.verifier 独立验证。",
                            rule_version=auction.rules_version)
    record("mall.auction_result_published", auction, {"notice": notice.id, "order": order.id})
    _tell(auction, "竞价已成交", f"竞价 {auction.number} 已成交，订单 {order.number}。", [auction.purchaser_org_id])
    announce_later(auction, "ordered")
    return order


def _tell(auction: Auction, title: str, body: str, org_ids: list[int]) -> None:
    from core.tasks import send_message

    after_commit(send_message.delay, {"title": title, "body": body, "level": "info",
                                      "url": f"/mall/auctions/{auction.id}"}, org_ids=org_ids)


# ---------------------------------------------------------------- what a viewer sees


def state_for(user: User, auction: Auction) -> dict[str, Any]:
    """Everything the auction page shows this viewer: the lowest price and the clock for all; its own
    pseudonym, best bid and rank for a bidder; pseudonyms only in the ranking, the winner's name for the
    purchaser and supervisors once it is offered."""
    now = clock.now()
    bidder = bidder_of(user, auction)
    ranked = _ranked(auction) if auction.closed_at is None else [tuple(r) for r in auction.ranking]
    me: dict[str, Any] = {"bidder": False}
    if user.has_role(Role.SUPPLIER):
        live = auction.status in (AuctionStatus.SCHEDULED, AuctionStatus.LIVE)
        me = {"bidder": True, "can_bid": live and sells(user.org_id, auction) is not None,
              "pseudonym": bidder.pseudonym if bidder else None,
              "best": money.format_yuan(bidder.best_fen) if bidder and bidder.best_fen is not None else None,
              "rank": next((n for n, r in enumerate(ranked, 1) if bidder and r[0] == bidder.pseudonym), None),
              "offered": bool(bidder and auction.status is AuctionStatus.OFFERED and auction.offer_rank is not None
                              and auction.ranking[auction.offer_rank][0] == bidder.pseudonym)}
    closed = auction.closed_at is not None
    insider = is_buyer(user, auction) or user.has_role(Role.SUPERVISOR, Role.ADMIN)
    offered_name = None
    if insider and auction.offer_rank is not None and auction.ranking:
        offered_name = _bidder_by_pseudonym(auction, auction.ranking[auction.offer_rank][0]).supplier.name
    return {
        "id": auction.id, "number": auction.number, "title": auction.title, "status": auction.status.value,
        "status_label": _(STATUS_LABELS[auction.status.value]), "unit": auction.unit, "quantity": auction.quantity,
        "ceiling": money.format_yuan(auction.ceiling_fen), "decrement": money.format_yuan(auction.decrement_fen),
        "ceiling_fen": auction.ceiling_fen, "decrement_fen": auction.decrement_fen,
        "lowest": money.format_yuan(auction.lowest_fen) if auction.lowest_fen is not None else None,
        "lowest_fen": auction.lowest_fen, "accepted_bids": auction.accepted_bids,
        "bidders": sum(1 for _r in ranked), "extensions": auction.extensions,
        "starts_at": iso(auction.starts_at), "ends_at": iso(auction.ends_at), "hard_stop_at": iso(auction.hard_stop_at),
        "starts_local": clock.format_local(auction.starts_at), "ends_local": clock.format_local(auction.ends_at),
        "server_now": iso(now), "me": me,
        "ranking": [{"rank": n, "bidder": p, "price": money.format_yuan(a)} for n, (p, a, _s) in enumerate(ranked, 1)]
        if closed else [],
        "offered_to": offered_name, "offer_due": clock.format_local(auction.offer_due_at)
        if auction.offer_due_at else None, "end_reason": auction.end_reason, "sealed": bool(auction.seal_note),
        "order_id": auction.order_id,
    }


STATUS_LABELS = {"scheduled": N_("即将开始"), "live": N_("竞价中"), "offered": N_("待成交确认"),
                 "ordered": N_("已成交"), "failed": N_("竞价失败")}


def auctions_for(user: User, limit: int = 100) -> list[Auction]:
    query = select(Auction)
    if user.has_role(Role.SUPERVISOR, Role.ADMIN):
        pass
    elif user.has_role(Role.SUPPLIER):
        sold = select(Listing.product_id).where(Listing.supplier_org_id == user.org_id,
                                                Listing.status == ListingStatus.LIVE)
        mine = select(AuctionBidder.auction_id).where(AuctionBidder.supplier_org_id == user.org_id)
        query = query.where(Auction.product_id.in_(sold) | Auction.id.in_(mine))
    else:
        query = query.where(Auction.purchaser_org_id == user.org_id)
    return list(db.session.scalars(query.order_by(Auction.id.desc()).limit(limit)))


# ---------------------------------------------------------------- the kind


class ReverseAuction(kinds.PurchaseKind):
    code = "auction"
    label = N_("反向竞价")
    contract_kind = contracts.KIND
    steps = ("open", "quote", "close", "award", "order", "contract", "accept", "rate")

    def open(self, user: Any, **data: Any) -> Any:
        return publish_auction(user, data["auction"])

    def quote(self, user: Any, subject: Any, **data: Any) -> Any:
        """`subject` is the auction id; `data["amount_fen"]` the unit-price bid."""
        return place_bid(user, subject, data.get("amount_fen"))

    def close(self, subject: Any, **data: Any) -> Any:
        return close_auction(get_auction(subject, lock=True))

    def award(self, user: Any, subject: Any, **data: Any) -> Any:
        """The winner's confirmation is the award: it places the order."""
        return confirm_award(user, subject)

    def order(self, user: Any, subject: Any, **data: Any) -> Any:
        """The order is placed by the award's confirmation; this returns it."""
        auction = get_auction(subject)
        if auction.order_id is None:
            raise Conflict("竞价尚未成交。", code="auction_not_ordered")
        return orders.get_order(auction.order_id)

    def contract(self, user: Any, order: Any, **data: Any) -> Any:
        return contracts.draft_contract(user, order.id, data.get("terms"))

    def accept(self, user: Any, order: Any, **data: Any) -> Any:
        return orders.accept_order(user, order.id, data.get("rating"), data.get("note", ""))

    def rate(self, user: Any, order: Any, **data: Any) -> Any:
        return self.accept(user, order, **data)


AUCTION = kinds.register(ReverseAuction())
