"""The e-mall's status enums and their transition tables (one per lifecycle, `core.transitions`).

Listings: live ⇄ frozen (price monitoring freezes, an accepted change or a passing re-check lifts it),
either → withdrawn. Listing changes wait in the review queue: pending → accepted / rejected / withdrawn.
Orders: placed → confirmed (the supplier, within the region's window) → dispatched → received → accepted
(with a rating) → done (payment recorded); placed → lapsed (the window passed, a timed step); placed or
confirmed → cancelled; received → returned (within the return period); received → dispatched again is an
exchange. Service orders: placed → billed → paid, a bill re-entered while billed; placed → cancelled.
"""

from __future__ import annotations

import enum

from core.transitions import lifecycle


class StoreStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


STORE = lifecycle(StoreStatus, {(StoreStatus.OPEN, StoreStatus.CLOSED), (StoreStatus.CLOSED, StoreStatus.OPEN)},
                  code="store_transition_refused", event="mall.store_status")


class ListingStatus(enum.StrEnum):
    LIVE = "live"
    FROZEN = "frozen"  # above the reference price × (1 + r): out of search, not orderable, reason kept
    WITHDRAWN = "withdrawn"


LISTING = lifecycle(ListingStatus, {
    (ListingStatus.LIVE, ListingStatus.FROZEN), (ListingStatus.FROZEN, ListingStatus.LIVE),
    (ListingStatus.LIVE, ListingStatus.WITHDRAWN), (ListingStatus.FROZEN, ListingStatus.WITHDRAWN),
}, code="listing_transition_refused", event="mall.listing_status")


class ChangeStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


CHANGE = lifecycle(ChangeStatus, {
    (ChangeStatus.PENDING, ChangeStatus.ACCEPTED), (ChangeStatus.PENDING, ChangeStatus.REJECTED),
    (ChangeStatus.PENDING, ChangeStatus.WITHDRAWN),
}, code="listing_change_transition_refused", event="mall.listing_change_status")


class OrderStatus(enum.StrEnum):
    PLACED = "placed"
    CONFIRMED = "confirmed"
    DISPATCHED = "dispatched"
    RECEIVED = "received"
    ACCEPTED = "accepted"
    DONE = "done"
    LAPSED = "lapsed"
    CANCELLED = "cancelled"
    RETURNED = "returned"


ORDER = lifecycle(OrderStatus, {
    (OrderStatus.PLACED, OrderStatus.CONFIRMED),
    (OrderStatus.PLACED, OrderStatus.LAPSED),
    (OrderStatus.PLACED, OrderStatus.CANCELLED),
    (OrderStatus.CONFIRMED, OrderStatus.CANCELLED),
    (OrderStatus.CONFIRMED, OrderStatus.DISPATCHED),
    (OrderStatus.DISPATCHED, OrderStatus.RECEIVED),
    (OrderStatus.RECEIVED, OrderStatus.DISPATCHED),  # an exchange: the supplier sends the goods again
    (OrderStatus.RECEIVED, OrderStatus.RETURNED),
    (OrderStatus.RECEIVED, OrderStatus.ACCEPTED),
    (OrderStatus.ACCEPTED, OrderStatus.DONE),
}, code="order_transition_refused", event="mall.order_status")

OPEN_ORDER = (OrderStatus.PLACED, OrderStatus.CONFIRMED, OrderStatus.DISPATCHED, OrderStatus.RECEIVED,
              OrderStatus.ACCEPTED)
ENDED_WITHOUT_PURCHASE = (OrderStatus.LAPSED, OrderStatus.CANCELLED, OrderStatus.RETURNED)


class DisputeStatus(enum.StrEnum):
    OPEN = "open"
    UPHELD = "upheld"  # the supplier was at fault: counts against its credit
    DISMISSED = "dismissed"


DISPUTE = lifecycle(DisputeStatus, {(DisputeStatus.OPEN, DisputeStatus.UPHELD),
                                    (DisputeStatus.OPEN, DisputeStatus.DISMISSED)},
                    code="dispute_transition_refused", event="mall.dispute_status")


class ServiceOrderStatus(enum.StrEnum):
    PLACED = "placed"
    BILLED = "billed"  # the bill entered and checked line by line
    PAID = "paid"  # payment confirmed: only with every line within the filed price list
    CANCELLED = "cancelled"


SERVICE_ORDER = lifecycle(ServiceOrderStatus, {
    (ServiceOrderStatus.PLACED, ServiceOrderStatus.BILLED),
    (ServiceOrderStatus.BILLED, ServiceOrderStatus.BILLED),  # the supplier corrects the bill
    (ServiceOrderStatus.BILLED, ServiceOrderStatus.PAID),
    (ServiceOrderStatus.PLACED, ServiceOrderStatus.CANCELLED),
}, code="service_order_transition_refused", event="mall.service_order_status")
