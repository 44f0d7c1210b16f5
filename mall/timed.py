"""The e-mall's timed steps (the chronograph's `mall-sweep`, every minute): an order its supplier did not
confirm in time is cancelled, an accepted order unpaid past its due time warns finance, and the nightly
price check runs once its watch row is due (then sets the next night)."""

from __future__ import annotations

from core.chronograph import Sweep, TimedStep
from mall.models import Order, PriceWatch
from mall.transitions import OrderStatus


def _lapse(order: Order) -> bool:
    from mall.orders import lapse_order

    return lapse_order(order)


def _warn(order: Order) -> bool:
    from mall.orders import warn_overdue_payment

    return warn_overdue_payment(order)


def _check(watch: PriceWatch) -> int:
    from mall.prices import check_prices

    return check_prices(watch).id


LAPSE_ORDER = TimedStep("mall.lapse_order", Order, _lapse, OrderStatus.PLACED, OrderStatus.LAPSED,
                        due=Order.confirm_due_at, key="lapsed")
WARN_UNPAID = TimedStep("mall.warn_unpaid", Order, _warn, OrderStatus.ACCEPTED, due=Order.pay_due_at,
                        where=lambda _now: Order.overdue_warned_at.is_(None), key="unpaid")
CHECK_PRICES = TimedStep("mall.check_prices", PriceWatch, _check, due=PriceWatch.due_at, key="price_check")

SWEEP = Sweep("mall-sweep", 60.0, (LAPSE_ORDER, WARN_UNPAID, CHECK_PRICES), actor="system:mall-sweep")
