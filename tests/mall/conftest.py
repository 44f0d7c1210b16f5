"""The e-mall's world: the catalogue, two admitted suppliers with stores and offers on three products, a
central-agency reviewer (the price-monitoring body), a purchaser and a supervisor."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from mall_helpers import admit, listing_data


@pytest.fixture(autouse=True)
def _cheap_password_hashes(monkeypatch):
    from argon2 import PasswordHasher

    from accounts import service

    monkeypatch.setattr(service, "password_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@dataclass
class World:
    reviewer: object
    buyer: object
    supervisor: object
    suppliers: list
    products: list
    stores: list = field(default_factory=list)


PRODUCTS = [("联想", "启天 M455", "台式计算机 处理器 i5 内存 16GB 固态硬盘 512GB", "A02010105"),
            ("奔图", "P3305DN", "A4 黑白激光打印机 自动双面", "A02021003"),
            ("华为", "擎云 B730E", "台式计算机 处理器 i5 内存 16GB", "A02010105")]


@pytest.fixture
def world(app_ctx, region, make_user, clock) -> World:
    from core.db import db
    from registry.catalogue.demo import import_extract
    from registry.products import service as products

    import_extract()
    db.session.commit()
    reviewer = make_user("agency_staff", org_kind="central_agency")
    buyer = make_user("purchaser", org_kind="purchaser", totp=False)
    supervisor = make_user("supervisor", org_kind="finance")
    suppliers = [make_user("supplier", org_kind="supplier", totp=False) for _ in range(3)]
    for user in suppliers:
        admit(user)
    items = []
    for brand, model, spec, leaf in PRODUCTS:
        proposal = products.propose_product(suppliers[0], products.ProductData(brand, model, spec, leaf))
        items.append(products.accept_proposal(reviewer, proposal).product)
    for user in suppliers:
        for product in items:
            products.make_offer(user, product, products.OfferData(5_000_00, ["330000"]))
    db.session.commit()
    return World(reviewer, buyer, supervisor, suppliers, items)


@pytest.fixture
def stocked(world) -> World:
    """Each supplier's store lists the first product (5,000, 5,100, 5,200 yuan) and the second."""
    from core.db import db
    from mall import supermarket

    for n, user in enumerate(world.suppliers):
        world.stores.append(supermarket.open_store(user))
        supermarket.list_product(user, world.products[0].id, listing_data(5_000_00 + n * 100_00, install_fee_fen=50_00))
        supermarket.list_product(user, world.products[1].id, listing_data(1_900_00 + n * 50_00, unit="台"))
    db.session.commit()
    return world
