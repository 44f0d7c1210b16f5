"""The demo seed: the catalogue extract active, accepted products with offers, one proposal waiting."""

from __future__ import annotations


def test_demo_seed_shows_the_product_library(app, app_ctx, clock):
    from sqlalchemy import select

    from core.db import db
    from core.demo import SEEDERS
    from registry.catalogue import service as catalogue
    from registry.products import search, service
    from registry.products.models import Product

    names = [n for n, _ in SEEDERS]
    assert names.index("accounts") < names.index("catalogue") < names.index("products")
    context: dict = {"logins": []}
    for name, fn in SEEDERS:
        if name in ("accounts", "catalogue", "products"):
            fn(context)
    db.session.commit()
    assert catalogue.active_version().rows == 48
    assert catalogue.is_central("330329", "A02010105")  # the province's list reaches the county
    products = db.session.scalars(select(Product).order_by(Product.id)).all()
    assert len(products) == 7 and [v.number for v in products[0].versions] == [1, 2]
    desktops = search.search_products("台式计算机")
    assert {h.title for h in desktops} == {"联想 启天 M455", "华为 擎云 B730E"}
    lenovo = next(h for h in desktops if h.title.startswith("联想"))
    assert lenovo.offers == 3 and lenovo.lowest_price_fen == 5_590_00
    queue = service.review_queue()
    assert [(p.brand, p.model) for p in queue] == [("华为", "MateBook B5-440")]
