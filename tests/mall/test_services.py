"""Designated services: agreements with their price lists (a missing unit refused, nothing written), orders
within the ceiling and the per-unit caps, and the bill checked line by line before payment."""

from __future__ import annotations

from datetime import date

import pytest


@pytest.fixture
def hotel(world):
    from core.db import db
    from mall import services
    from mall.services import PriceItem

    agreement = services.file_agreement(world.reviewer, world.suppliers[0].org_id, "hotel", "泰顺宾馆会议定点协议", 10,
                                        date(2026, 1, 1), date(2026, 12, 31), [
                                            PriceItem("ROOM", "标准间", "间·晚", 400_00, 380_00),
                                            PriceItem("HALL", "中会议室", "半天", 1_500_00, 1_500_00),
                                            PriceItem("MEAL", "工作餐", "人·餐", 60_00, 50_00)])
    db.session.commit()
    return agreement


def test_filed_price_is_the_lower_of_ceiling_and_discounted_list_price(hotel):
    from mall.services import filed_price

    room, hall, meal = hotel.items
    assert filed_price(hotel, room) == 360_00  # 400 × 90 % below the 380 ceiling
    assert filed_price(hotel, hall) == 1_350_00
    assert filed_price(hotel, meal) == 50_00  # the ceiling is lower than 54


def test_price_list_with_a_missing_unit_is_refused_and_nothing_written(world):
    from core.db import db
    from mall import services
    from mall.models import PriceListItem, ServiceAgreement
    from mall.services import PriceItem

    with pytest.raises(Exception) as exc:
        services.file_agreement(world.reviewer, world.suppliers[1].org_id, "vehicle_repair", "维修定点", 5,
                                date(2026, 1, 1), date(2026, 12, 31),
                                [PriceItem("LAB", "工时", "小时", 120_00, 120_00),
                                 PriceItem("PAD", "刹车片", " ", 300_00, 280_00)])
    assert exc.value.code == "price_list_invalid" and "第 2 项（刹车片）缺少计量单位" in exc.value.message
    db.session.rollback()
    assert db.session.query(ServiceAgreement).count() == 0 and db.session.query(PriceListItem).count() == 0
    with pytest.raises(Exception) as exc:
        services.file_agreement(world.buyer, world.suppliers[1].org_id, "hotel", "x", 5, date(2026, 1, 1),
                                date(2026, 12, 31), [PriceItem("A", "B", "C", 1, 1)])
    assert exc.value.code == "not_agreement_filer"


def test_meeting_order_within_the_per_day_cap(hotel, world):
    from mall import services

    with pytest.raises(Exception) as exc:  # 550 × 20 persons × 2 days = 22,000
        services.place_service_order(world.buyer, hotel.id, "meeting", "年度工作会议", 22_000_01, days=2, persons=20)
    assert exc.value.code == "service_above_cap" and exc.value.details["cap_fen"] == 22_000_00
    order = services.place_service_order(world.buyer, hotel.id, "meeting", "年度工作会议", 20_000_00, days=2,
                                         persons=20)
    assert order.cap_fen == 22_000_00
    with pytest.raises(Exception) as exc:
        services.place_service_order(world.buyer, hotel.id, "repair", "修车", 100_00)
    assert exc.value.code == "service_purpose_invalid"


def test_bill_above_the_price_list_is_blocked_with_the_lines_named(hotel, world):
    from core.db import db
    from mall import services
    from mall.services import BillEntry
    from mall.transitions import ServiceOrderStatus

    order = services.place_service_order(world.buyer, hotel.id, "meeting", "年度工作会议", 20_000_00, days=2,
                                         persons=20)
    db.session.commit()
    services.enter_bill(world.suppliers[0], order.id, [
        BillEntry("ROOM", "标准间", "间·晚", 20, 360_00),
        BillEntry("HALL", "中会议室", "半天", 2, 1_500_00),  # above 1,350
        BillEntry("MEAL", "工作餐", "人·餐", 60, 50_00),
        BillEntry("FRUIT", "水果拼盘", "份", 4, 80_00)])  # not on the list
    db.session.commit()
    assert order.status is ServiceOrderStatus.BILLED and order.bill_blocked_lines == [2, 4]
    with pytest.raises(Exception) as exc:
        services.confirm_service_payment(world.buyer, order.id)
    assert exc.value.code == "bill_above_price_list" and exc.value.details["lines"] == [2, 4]
    assert "第 2 行 中会议室：单价 1,500.00 元高于备案价 1,350.00 元" in exc.value.message
    assert "第 4 行 水果拼盘：不在备案价格清单内" in exc.value.message
    db.session.rollback()
    services.enter_bill(world.suppliers[0], order.id, [
        BillEntry("ROOM", "标准间", "间·晚", 20, 360_00), BillEntry("HALL", "中会议室", "半天", 2, 1_350_00),
        BillEntry("MEAL", "工作餐", "人·餐", 60, 50_00)])
    services.confirm_service_payment(world.buyer, order.id)
    db.session.commit()
    assert order.status is ServiceOrderStatus.PAID and [line.number for line in order.lines] == [1, 2, 3]


def test_vehicle_repair_yearly_cap_and_unit_mismatch(world):
    from core.db import db
    from mall import services
    from mall.services import BillEntry, PriceItem
    from region_rules import store

    store.set_values(None, None, {"mall.cap.vehicle_year_fen": 5_000_00})
    garage = services.file_agreement(world.reviewer, world.suppliers[1].org_id, "vehicle_repair", "公务车维修定点",
                                     15, date(2026, 1, 1), date(2026, 12, 31),
                                     [PriceItem("LAB", "维修工时", "小时", 120_00, 110_00),
                                      PriceItem("PAD", "前刹车片", "套", 400_00, 360_00)])
    first = services.place_service_order(world.buyer, garage.id, "repair", "更换刹车片", 3_000_00,
                                         vehicle_plate="浙C·A1234")
    with pytest.raises(Exception) as exc:  # 3,000 already this year: 2,000 left for the vehicle
        services.place_service_order(world.buyer, garage.id, "repair", "保养", 2_500_00, vehicle_plate="浙C·A1234")
    assert exc.value.code == "service_above_cap" and exc.value.details["cap_fen"] == 2_000_00
    services.enter_bill(world.suppliers[1], first.id, [BillEntry("LAB", "工时", "工时", 3, 100_00)])
    db.session.commit()
    assert first.lines[0].blocked and "计量单位" in first.lines[0].reason
    with pytest.raises(Exception) as exc:
        services.enter_bill(world.suppliers[1], first.id, [BillEntry("LAB", "工时", "小时", -2, 100_00)])
    assert exc.value.code == "bill_invalid"
