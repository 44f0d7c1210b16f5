"""The e-mall's access module: what other packages and the pages call, re-exported from the stage modules
(`supermarket`, `prices`, `orders`, `services`, `contracts`) and the kinds registry."""

from __future__ import annotations

from mall.contracts import contract_of, draft_contract
from mall.kinds import all_kinds, get
from mall.orders import (
    Line,
    accept_order,
    add_to_cart,
    cancel_order,
    cart_of,
    confirm_order,
    decide_dispute,
    dispatch_order,
    exchange_order,
    get_order,
    orders_for,
    place_cart,
    place_order,
    raise_dispute,
    receive_order,
    record_payment,
    return_order,
)
from mall.prices import check_prices, enter_reference_price, median_live_quote, order_quartiles, reference_of
from mall.services import confirm_service_payment, enter_bill, file_agreement, place_service_order
from mall.supermarket import (
    Filters,
    ListingData,
    accept_change,
    compare,
    list_product,
    open_store,
    propose_change,
    reject_change,
    search_listings,
    store_of,
)

__all__ = [
    "Filters", "Line", "ListingData", "accept_change", "accept_order", "add_to_cart", "all_kinds", "cancel_order",
    "cart_of", "check_prices", "compare", "confirm_order", "confirm_service_payment", "contract_of",
    "decide_dispute", "dispatch_order", "draft_contract", "enter_bill", "enter_reference_price", "exchange_order",
    "file_agreement", "get", "get_order", "list_product", "median_live_quote", "open_store", "order_quartiles",
    "orders_for", "place_cart", "place_order", "place_service_order", "propose_change", "raise_dispute",
    "receive_order", "record_payment", "reference_of", "reject_change", "return_order", "search_listings",
    "store_of",
]
