"""The product library's timed step (the chronograph's `products-sweep`, hourly): a listed product whose
supplier has not re-confirmed it by its due time (the region rule `product_reconfirm_days` after the
last acceptance or confirmation) is hidden from search until confirmed."""

from __future__ import annotations

from core.chronograph import Sweep, TimedStep
from registry.products.models import Product, ProductStatus

SWEEP_SECONDS = 3600.0


def _hide(product: Product) -> bool:
    from registry.products.service import hide_unconfirmed

    return hide_unconfirmed(product)


HIDE_UNCONFIRMED = TimedStep("products.hide_unconfirmed", Product, _hide, ProductStatus.ACTIVE, ProductStatus.HIDDEN,
                             due=Product.confirm_due_at, key="hidden")
SWEEP = Sweep("products-sweep", SWEEP_SECONDS, (HIDE_UNCONFIRMED,), actor="system:products")
