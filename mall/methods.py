"""The first two purchase kinds of the e-mall registry (`mall.kinds`): the online supermarket and the
designated services. The auction, inquiry and framework-agreement kinds register beside them later.

网上超市 (`supermarket`): a store opens (`open`), its listing is the supplier's standing quote (`quote`),
the purchaser's choice of listing and order are one step (`order`: no close or award), the contract goes
through the kit (`contract`), the purchaser accepts with a rating (`accept`, which is also `rate`).
定点服务 (`designated`): the agreement is filed (`open`), the purchaser orders at a negotiated price within
the ceiling (`order`), the bill is checked line by line (`quote`: the supplier's bill) and the payment
confirmed only when it passes (`accept`).
"""

from __future__ import annotations

from typing import Any

from core.i18n import N_
from mall import contracts, kinds, orders, services, supermarket


class Supermarket(kinds.PurchaseKind):
    code = "supermarket"
    label = N_("网上超市")
    contract_kind = contracts.KIND
    steps = ("open", "quote", "order", "contract", "accept", "rate")

    def open(self, user: Any, **data: Any) -> Any:
        return supermarket.open_store(user, data.get("name", ""))

    def quote(self, user: Any, subject: Any, **data: Any) -> Any:
        """`subject` is a product id; `data["listing"]` a `ListingData`."""
        return supermarket.list_product(user, subject, data["listing"])

    def order(self, user: Any, subject: Any, **data: Any) -> Any:
        """`subject` is a list of `orders.Line`."""
        return orders.place_order(user, subject, data.get("delivery_address", ""),
                                  confirmation_id=data.get("confirmation_id"))

    def contract(self, user: Any, order: Any, **data: Any) -> Any:
        return contracts.draft_contract(user, order.id, data.get("terms"))

    def accept(self, user: Any, order: Any, **data: Any) -> Any:
        return orders.accept_order(user, order.id, data.get("rating"), data.get("note", ""))

    def rate(self, user: Any, order: Any, **data: Any) -> Any:
        """The supermarket rates at acceptance: rating an accepted order is the same step."""
        return self.accept(user, order, **data)


class Designated(kinds.PurchaseKind):
    code = "designated"
    label = N_("定点服务")
    contract_kind = ""  # the filed framework agreement is the contract; call-off orders need none
    steps = ("open", "quote", "order", "accept")

    def open(self, user: Any, **data: Any) -> Any:
        return services.file_agreement(user, **data)

    def quote(self, user: Any, subject: Any, **data: Any) -> Any:
        """The supplier's bill for the service order `subject` (an id), checked line by line."""
        return services.enter_bill(user, subject, data["lines"])

    def order(self, user: Any, subject: Any, **data: Any) -> Any:
        """`subject` is the agreement id."""
        return services.place_service_order(user, subject, **data)

    def accept(self, user: Any, order: Any, **data: Any) -> Any:
        return services.confirm_service_payment(user, order.id)


SUPERMARKET = kinds.register(Supermarket())
DESIGNATED = kinds.register(Designated())
