"""Price monitoring: the quantile method, the rolling quartiles from real orders, the automatic freeze above
reference × (1 + r) with its reason, the order block above the median live quote, the nightly timed check
and its report."""

from __future__ import annotations

import statistics
from datetime import timedelta

import pytest


def test_quantile_method_is_type_7():
    from mall.prices import quantile, weighted_quantile

    for values in ([1], [1, 2], [3, 1, 4, 1, 5, 9, 2, 6], list(range(0, 1000, 7))):
        data = sorted(values)
        if len(data) > 1:
            q1, q2, q3 = statistics.quantiles(data, n=4, method="inclusive")
            assert (quantile(data, 0.25), quantile(data, 0.5), quantile(data, 0.75)) == pytest.approx((q1, q2, q3))
        pairs = [(v, data.count(v)) for v in sorted(set(data))]
        assert weighted_quantile(pairs, 0.5) == pytest.approx(quantile(data, 0.5))
    assert quantile([100, 200, 300, 400], 0.25) == 175  # h = 0.75: 100 + 0.75 × 100


def _order(world, listing, qty):
    from mall import orders

    return orders.place_order(world.buyer, [orders.Line(listing.id, qty)], "泰顺县罗阳镇政府大院")


def test_rolling_quartiles_from_real_orders(stocked, clock):
    from core.db import db
    from mall import orders, prices, supermarket
    from mall.supermarket import Filters

    desktops = supermarket.search_listings(Filters(code="A02010105"))  # 5,000 / 5,100 / 5,200
    _order(stocked, desktops[0], 3)
    _order(stocked, desktops[2], 1)
    cancelled = _order(stocked, desktops[1], 5)
    orders.cancel_order(stocked.buyer, cancelled.id, "预算调整")
    db.session.commit()
    [row] = prices.order_quartiles(stocked.products[0].id)
    # units bought: 5,000 ×3, 5,200 ×1 (the cancelled order is left out)
    assert (row.count, row.q1_fen, row.median_fen, row.q3_fen) == (4, 5_000_00, 5_000_00, 5_050_00)
    clock.advance(timedelta(days=8))
    assert prices.order_quartiles(stocked.products[0].id) == []  # out of the 7-day window


def test_reference_price_freezes_a_listing_and_the_order_is_blocked(stocked, client):
    from tests_helpers import login

    from core.db import db
    from mall import prices, supermarket
    from mall.supermarket import Filters

    desktops = supermarket.search_listings(Filters(code="A02010105"))
    with pytest.raises(Exception) as exc:
        prices.enter_reference_price(stocked.suppliers[0], stocked.products[0].id, "market", "调查", 4_000_00,
                                     prices.clock.now(), "x")
    assert exc.value.code == "not_price_monitor"
    prices.enter_reference_price(stocked.reviewer, stocked.products[0].id, "platform", "京东自营", 4_900_00,
                                 prices.clock.now(), "https://example.invalid/jd 截图")
    db.session.commit()
    # limit 4,900 × 1.05 = 5,145: the 5,200 listing is frozen with its reason, the others stay live
    assert [d.status.value for d in desktops] == ["live", "live", "frozen"]
    assert "5,145.00" in desktops[2].frozen_reason and "京东自营" in desktops[2].frozen_reason
    assert desktops[2] not in supermarket.search_listings(Filters(code="A02010105"))
    with pytest.raises(Exception) as exc:
        _order(stocked, desktops[2], 1)
    assert exc.value.code == "listing_not_live"
    login(client, stocked.buyer)
    page = client.get(f"/mall/listings/{desktops[2].id}").get_data(as_text=True)
    assert "冻结原因" in page and "京东自营" in page


def test_order_more_than_20_percent_above_the_median_is_blocked(stocked, make_user):
    from mall_helpers import admit, listing_data

    from core.db import db
    from mall import supermarket
    from mall.models import Order
    from registry.products import service as products

    dear = make_user("supplier", org_kind="supplier", totp=False)
    admit(dear)
    products.make_offer(dear, stocked.products[1], products.OfferData(2_500_00, ["330000"]))
    supermarket.open_store(dear)
    listing = supermarket.list_product(dear, stocked.products[1].id, listing_data(2_500_00))
    db.session.commit()
    # live quotes 1,900 / 1,950 / 2,000 / 2,500: median 1,975; 2,500 is 26.6 % above
    with pytest.raises(Exception) as exc:
        _order(stocked, listing, 1)
    assert exc.value.code == "order_above_median" and exc.value.details["median_fen"] == 1_975_00
    db.session.rollback()
    assert db.session.query(Order).count() == 0


def test_nightly_check_is_a_timed_step_with_a_report(stocked, clock):
    from core import chronograph
    from core.db import db
    from mall import prices
    from mall.models import Listing, PriceCheckReport, ReferencePrice

    watch = prices.ensure_watch()
    db.session.commit()
    from core.clock import format_local

    assert format_local(watch.due_at, "%H:%M") == "02:00"
    # a reference imported straight into the table (no freeze at entry): only the nightly check sees it
    db.session.add(ReferencePrice(product_id=stocked.products[1].id, source_kind="official", source="奔图官网",
                                  captured_at=clock.now(), price_fen=1_850_00, evidence="价格表 2026-11",
                                  imported=True, entered_at=clock.now()))
    db.session.commit()
    assert chronograph.run_all()["mall-sweep"]["price_check"] == []  # not due yet
    clock.advance(timedelta(hours=17))
    chronograph.run_all()
    report = db.session.query(PriceCheckReport).one()
    frozen = db.session.query(Listing).filter_by(status="frozen").order_by(Listing.id).all()
    # limit 1,850 × 1.05 = 1,942.50 → 1,942: the 1,950 and 2,000 printers are frozen
    assert sorted(f.price_fen for f in frozen) == [1_950_00, 2_000_00]
    assert report.checked == 6 and report.frozen == 2 and sorted(report.details["frozen"]) == [f.id for f in frozen]
    db.session.refresh(watch)
    assert watch.due_at > clock.now()
    assert chronograph.run_all()["mall-sweep"]["price_check"] == []  # once a night


def test_reference_prices_imported_from_a_file_all_or_none(stocked):
    from core.db import db
    from mall import prices
    from mall.models import ReferencePrice

    pid = stocked.products[0].id
    header = "商品编号,来源类型,来源,参考价（元）,采集时间,取证依据\n"
    bad = (header + f"{pid},电商平台自营价,京东自营,4900.00,2026-11-26 10:00,截图\n"
           f"{pid},platform,苏宁,4899.999,2026-11-26 10:00,x\n")
    report = prices.import_reference_prices(stocked.reviewer, bad.encode(), "refs.csv")
    assert not report.ok and [(p.row, p.column) for p in report.problems] == [(3, "参考价（元）")]
    assert db.session.query(ReferencePrice).count() == 0
    good = header + f"{pid},电商平台自营价,京东自营,4900.00,2026-11-26 10:00,截图 sha256:01\n"
    report = prices.import_reference_prices(stocked.reviewer, good.encode(), "refs.csv")
    db.session.commit()
    assert report.ok and report.created == 1
    row = db.session.query(ReferencePrice).one()
    assert row.imported and row.price_fen == 4_900_00
    frozen = [f.price_fen for f in prices.db.session.query(prices.Listing).filter_by(status="frozen")]
    assert frozen == [5_200_00]  # above 4,900 × 1.05 = 5,145
