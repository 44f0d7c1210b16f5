"""Socket.IO namespace `/auction`: a room per auction on the kit's `core.rooms.Room`.

Watchers join with the auction's id; a bid (`bid` with `amount` in yuan or `amount_fen`, and the page's
CSRF token) goes through `mall.auction.place_bid`, the same service function as the HTTP form, and the
service announces the new state after the commit (each new lowest price, the extended end, the close).
The state carries the server's time so each page counts down by the server clock, not its own.
Audiences: each bidder sees its own rank, so a supplier organisation is its own audience; the
purchaser's people share one (they see the offered winner's name); every other watcher shares one.
"""

from __future__ import annotations

from flask_login import current_user

from core import rooms
from core.errors import ValidationError
from core.extensions import socketio
from mall.auction import NAMESPACE


class AuctionRoom(rooms.Room):
    prefix, subject_field = "auction", "auction_id"
    refusal = ("auction_forbidden", "您无权进入这场竞价。")

    def load(self, subject_id: int):
        from mall.auction import get_auction

        return get_auction(subject_id)

    def can_enter(self, user, subject) -> bool:
        from mall.auction import can_see

        return can_see(user, subject)

    def state_for(self, user, subject) -> dict:
        from mall.auction import state_for

        return state_for(user, subject)

    def audience(self, user, subject) -> str:
        from accounts.models import Role
        from mall.auction import is_buyer

        if user.has_role(Role.SUPPLIER):
            return f"supplier:{user.org_id}"
        if is_buyer(user, subject) or user.has_role(Role.SUPERVISOR, Role.ADMIN):
            return "insider"
        return "watcher"

    def on_bid(self, data):
        from mall.auction import place_bid
        from mall.supermarket import yuan_to_fen

        def action() -> None:
            payload = data if isinstance(data, dict) else {}
            if "amount_fen" in payload:
                amount = payload["amount_fen"]
            else:
                amount = yuan_to_fen(str(payload.get("amount", "")), "amount", "报价")
            aid = self.subject_id(payload)
            if aid is None:
                raise ValidationError("缺少竞价编号。", code="bad_request")
            place_bid(current_user, aid, amount)
            return None  # the service announces after the commit

        return self.act(data, action, "bid")


def register_handlers() -> None:
    # Called by every create_app(): each app's Socket.IO server needs its own namespace object.
    socketio.on_namespace(AuctionRoom(NAMESPACE))
