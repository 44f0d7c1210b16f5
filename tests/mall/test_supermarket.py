"""Stores, listings and their rules, the review queue with the old snapshot kept, search and compare, and
the kinds registry's shape."""

from __future__ import annotations

import pytest
from mall_helpers import listing_data


def _code(exc) -> str:
    return getattr(exc.value, "code", "")


def test_store_needs_an_admitted_supplier(world, make_user):
    from mall import supermarket

    outsider = make_user("supplier", org_kind="supplier", totp=False)
    with pytest.raises(Exception) as exc:
        supermarket.open_store(outsider)
    assert _code(exc) == "supplier_not_admitted"
    store = supermarket.open_store(world.suppliers[0])
    assert store.name.endswith("旗舰店")
    with pytest.raises(Exception) as exc:
        supermarket.open_store(world.suppliers[0])
    assert _code(exc) == "store_exists"


def test_listing_rules(world, make_user):
    from core.db import db
    from mall import prices, supermarket
    from mall.models import Listing
    from registry.products import service as products

    supplier = world.suppliers[0]
    supermarket.open_store(supplier)
    prices.enter_reference_price(world.reviewer, world.products[0].id, "official", "联想官网", 5_200_00,
                                 prices.clock.now(), "https://example.invalid/m455 2026-11-27 截图 sha256:ab12")
    prices.enter_reference_price(world.reviewer, world.products[0].id, "platform", "京东自营", 5_100_00,
                                 prices.clock.now(), "https://example.invalid/jd 截图")
    with pytest.raises(Exception) as exc:  # above the maker's official price
        supermarket.list_product(supplier, world.products[0].id, listing_data(5_300_00))
    assert _code(exc) == "listing_above_official"
    with pytest.raises(Exception) as exc:  # above the platform's self-operated price
        supermarket.list_product(supplier, world.products[0].id, listing_data(5_150_00))
    assert _code(exc) == "listing_above_platform"
    listing = supermarket.list_product(supplier, world.products[0].id, listing_data(5_090_00))
    with pytest.raises(Exception) as exc:
        supermarket.list_product(supplier, world.products[0].id, listing_data(5_000_00))
    assert _code(exc) == "listing_duplicate"
    # a product not in the store: the supplier has no offer on it
    lonely = products.accept_proposal(world.reviewer, products.propose_product(
        world.suppliers[1], products.ProductData("惠普", "LaserJet 4004dn", "A4 黑白激光", "A02021003"))).product
    before = db.session.query(Listing).count()
    with pytest.raises(Exception) as exc:
        supermarket.list_product(supplier, lonely.id, listing_data(2_000_00))
    assert _code(exc) == "product_not_in_store" and db.session.query(Listing).count() == before
    assert listing.status.value == "live"


def test_bait_price_and_listing_cap(stocked, make_user):
    from core.db import db
    from mall import supermarket
    from region_rules import store

    newcomer = make_user("supplier", org_kind="supplier", totp=False)
    from mall_helpers import admit

    admit(newcomer)
    from registry.products import service as products

    products.make_offer(newcomer, stocked.products[0], products.OfferData(5_000_00, ["330000"]))
    products.make_offer(newcomer, stocked.products[1], products.OfferData(1_900_00, ["330000"]))
    supermarket.open_store(newcomer)
    with pytest.raises(Exception) as exc:  # less than half the median of 5,100
        supermarket.list_product(newcomer, stocked.products[0].id, listing_data(2_000_00))
    assert _code(exc) == "listing_bait_price"
    store.set_values(None, None, {"mall.store_listing_cap": 1})
    db.session.commit()
    supermarket.list_product(newcomer, stocked.products[0].id, listing_data(4_900_00))
    with pytest.raises(Exception) as exc:
        supermarket.list_product(newcomer, stocked.products[1].id, listing_data(1_900_00))
    assert _code(exc) == "store_listing_cap"


def test_change_to_a_live_listing_goes_through_review_keeping_the_old_snapshot(stocked):
    from core.db import db
    from mall import supermarket
    from mall.models import ListingPrice

    supplier = stocked.suppliers[0]
    listing = supermarket.listings_of_store(stocked.stores[0])[0]
    change = supermarket.propose_change(supplier, listing, listing_data(4_950_00, install_fee_fen=150_00))
    db.session.commit()
    assert listing.price_fen == 5_000_00  # not applied before review
    assert change.before["price_fen"] == 5_000_00 and change.fee_shift  # base cut, install fee up
    with pytest.raises(Exception) as exc:
        supermarket.propose_change(supplier, listing, listing_data(4_900_00))
    assert _code(exc) == "listing_change_pending"
    with pytest.raises(Exception) as exc:
        supermarket.accept_change(supplier, change.id)
    assert _code(exc) == "not_listing_reviewer"
    supermarket.accept_change(stocked.reviewer, change.id, "同意")
    db.session.commit()
    assert listing.price_fen == 4_950_00 and listing.install_fee_fen == 150_00
    assert change.before["install_fee_fen"] == 50_00  # the old snapshot stays on the change
    history = db.session.query(ListingPrice).filter_by(listing_id=listing.id).order_by(ListingPrice.id).all()
    assert [(h.price_fen, h.install_fee_fen, h.fee_shift) for h in history] == [
        (5_000_00, 50_00, False), (4_950_00, 150_00, True)]
    second = supermarket.propose_change(supplier, listing, listing_data(4_900_00, install_fee_fen=150_00))
    with pytest.raises(Exception) as exc:
        supermarket.reject_change(stocked.reviewer, second.id, "")
    assert _code(exc) == "review_note_required"
    supermarket.reject_change(stocked.reviewer, second.id, "无降价依据")
    assert listing.price_fen == 4_950_00


def test_search_by_chinese_words_brand_price_region_and_compare(stocked):
    from mall import supermarket
    from mall.supermarket import Filters

    hits = supermarket.search_listings(Filters(words="台式计算机"))
    assert {h.product_id for h in hits} == {stocked.products[0].id}  # the only listed desktop
    assert [h.price_fen for h in hits] == [5_000_00, 5_100_00, 5_200_00]  # cheapest first
    assert supermarket.search_listings(Filters(words="打印机", brand="奔图"))[0].product_id == stocked.products[1].id
    assert supermarket.search_listings(Filters(words="打印机", brand="联想")) == []
    assert [h.price_fen for h in supermarket.search_listings(Filters(code="A02010105", price_max_fen=5_100_00))] == [
        5_000_00, 5_100_00]
    assert len(supermarket.search_listings(Filters(words="计算机", region_code="330329"))) == 3  # province-wide
    assert supermarket.search_listings(Filters(words="不存在的商品")) == []
    rows = supermarket.compare([h.id for h in hits])
    assert [r.listing.price_fen for r in rows] == [5_000_00, 5_100_00, 5_200_00]
    assert rows[0].median_fen == 5_100_00 and rows[0].version.brand == "联想"
    with pytest.raises(Exception) as exc:
        supermarket.compare([hits[0].id])
    assert _code(exc) == "compare_count"


def test_price_in_yuan_with_three_decimals_is_refused_on_the_page(stocked, client):
    from tests_helpers import login

    from core.db import db
    from mall.models import Listing

    supplier = stocked.suppliers[0]
    listing = db.session.query(Listing).filter_by(supplier_org_id=supplier.org_id).first()
    login(client, supplier)
    r = client.post(f"/mall/listings/{listing.id}/change", data={"price": "4999.995", "unit": "台",
                                                                  "region_codes": ["330000"]},
                    follow_redirects=True)
    assert "最多两位小数" in r.get_data(as_text=True)
    from mall.models import ListingChange

    assert db.session.query(ListingChange).count() == 0


def test_kinds_registry_shape():
    from mall import kinds, methods  # noqa: F401  (registers the kinds)

    assert {k.code for k in kinds.all_kinds()} >= {"supermarket", "designated"}
    supermarket = kinds.get("supermarket")
    assert supermarket.steps == ("open", "quote", "order", "contract", "accept", "rate")
    with pytest.raises(Exception) as exc:
        supermarket.close(None)
    assert _code(exc) == "kind_step_not_supported"
    with pytest.raises(Exception) as exc:
        kinds.get("no_such_kind")  # "auction" is the reverse auction (mall.auction) since issue 18
    assert _code(exc) == "kind_unknown"

    class Broken(kinds.PurchaseKind):
        code = "broken"
        steps = ("award",)

    with pytest.raises(ValueError):
        kinds.register(Broken())
