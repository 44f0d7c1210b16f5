"""Orders: cart → order → confirm within the window (else lapsed by the timed step) → dispatch → receipt →
acceptance with a rating → payment (overdue warns finance) → done; cancel, return, exchange; bad input with
nothing written; the contract through the kit signed by both parties; ratings and disputes in credit."""

from __future__ import annotations

from datetime import timedelta

import pytest

ADDRESS = "泰顺县罗阳镇政府大院"


def _desktop(world, n=0):
    from mall import supermarket
    from mall.supermarket import Filters

    return supermarket.search_listings(Filters(code="A02010105"))[n]


def _place(world, listing, qty=2):
    from mall import orders

    return orders.place_order(world.buyer, [orders.Line(listing.id, qty)], ADDRESS)


def test_the_whole_path_to_done(stocked, clock):
    from core.db import db
    from mall import orders
    from mall.transitions import OrderStatus

    listing = _desktop(stocked)
    orders.add_to_cart(stocked.buyer, listing.id, "2")
    [order] = orders.place_cart(stocked.buyer, ADDRESS)
    db.session.commit()
    assert order.amount_fen == (5_000_00 + 50_00) * 2 and orders.cart_of(stocked.buyer) == []
    assert order.confirm_due_at == clock.now() + timedelta(hours=48)
    seller = stocked.suppliers[0]
    with pytest.raises(Exception) as exc:
        orders.confirm_order(stocked.suppliers[1], order.id)
    assert exc.value.code == "not_order_supplier"
    for step in (lambda: orders.confirm_order(seller, order.id), lambda: orders.dispatch_order(seller, order.id),
                 lambda: orders.receive_order(stocked.buyer, order.id)):
        step()
        db.session.commit()
    with pytest.raises(Exception) as exc:
        orders.accept_order(stocked.buyer, order.id, 6)
    assert exc.value.code == "rating_invalid"
    orders.accept_order(stocked.buyer, order.id, 5, "送货及时")
    db.session.commit()
    assert order.status is OrderStatus.ACCEPTED and order.pay_due_at > clock.now() + timedelta(days=29)
    with pytest.raises(Exception) as exc:
        orders.record_payment(stocked.buyer, order.id, order.amount_fen + 1, clock.now().date(), "PZ-1")
    assert exc.value.code == "payment_invalid"
    orders.record_payment(stocked.buyer, order.id, 5_000_00, clock.now().date(), "PZ-1")
    assert order.status is OrderStatus.ACCEPTED
    orders.record_payment(stocked.buyer, order.id, order.amount_fen - 5_000_00, clock.now().date(), "PZ-2")
    db.session.commit()
    assert order.status is OrderStatus.DONE


def test_unconfirmed_order_lapses_by_the_timed_step(stocked, clock):
    from core import chronograph
    from core.db import db
    from mall import orders
    from mall.transitions import OrderStatus

    order = _place(stocked, _desktop(stocked))
    db.session.commit()
    clock.advance(timedelta(hours=47))
    assert chronograph.run_all()["mall-sweep"]["lapsed"] == []
    clock.advance(timedelta(hours=2))
    with pytest.raises(Exception) as exc:
        orders.confirm_order(stocked.suppliers[0], order.id)
    assert exc.value.code == "order_confirm_late"
    db.session.rollback()
    assert chronograph.run_all()["mall-sweep"]["lapsed"] == [order.id]
    db.session.refresh(order)
    assert order.status is OrderStatus.LAPSED and not any(line.counted for line in order.lines)


def test_cancel_return_and_exchange(stocked, clock):
    from core.db import db
    from mall import orders
    from mall.transitions import OrderStatus

    seller = stocked.suppliers[0]
    first = _place(stocked, _desktop(stocked))
    with pytest.raises(Exception) as exc:
        orders.cancel_order(stocked.buyer, first.id, " ")
    assert exc.value.code == "reason_required"
    orders.cancel_order(stocked.buyer, first.id, "预算调整")
    assert first.status is OrderStatus.CANCELLED
    second = _place(stocked, _desktop(stocked))
    orders.confirm_order(seller, second.id)
    orders.dispatch_order(seller, second.id)
    orders.receive_order(stocked.buyer, second.id)
    orders.exchange_order(stocked.buyer, second.id, "显示器有坏点")
    assert second.status is OrderStatus.DISPATCHED and second.exchanges == 1
    orders.receive_order(stocked.buyer, second.id)
    orders.exchange_order(stocked.buyer, second.id, "仍有坏点")
    orders.receive_order(stocked.buyer, second.id)
    with pytest.raises(Exception) as exc:
        orders.exchange_order(stocked.buyer, second.id, "第三次")
    assert exc.value.code == "order_exchange_limit"
    clock.advance(timedelta(days=8))
    with pytest.raises(Exception) as exc:
        orders.return_order(stocked.buyer, second.id, "不想要了")
    assert exc.value.code == "order_return_late"
    third = _place(stocked, _desktop(stocked, 1))
    for step in (orders.confirm_order, orders.dispatch_order):
        step(stocked.suppliers[1], third.id)
    orders.receive_order(stocked.buyer, third.id)
    orders.return_order(stocked.buyer, third.id, "型号不符")
    db.session.commit()
    assert third.status is OrderStatus.RETURNED and third.end_reason == "型号不符"


@pytest.mark.parametrize("quantity", ["-1", "0", "1.5", "两台", -3, 0, True, None])
def test_bad_quantity_writes_nothing(stocked, quantity):
    from core.db import db
    from mall import orders
    from mall.models import Order

    with pytest.raises(Exception) as exc:
        orders.place_order(stocked.buyer, [orders.Line(_desktop(stocked).id, quantity)], ADDRESS)
    assert exc.value.code == "quantity_invalid"
    db.session.rollback()
    assert db.session.query(Order).count() == 0


def test_yearly_total_per_catalogue_item_above_the_threshold_is_refused(stocked):
    from core.db import db
    from mall.models import Order, OrderLine
    from region_rules import store

    store.set_values(None, None, {"plan.decentralised_limit_fen.goods": 15_000_00})
    db.session.commit()
    _place(stocked, _desktop(stocked), 2)  # 10,100
    db.session.commit()
    with pytest.raises(Exception) as exc:  # 10,100 + 5,050 > 15,000
        _place(stocked, _desktop(stocked), 1)
    assert exc.value.code == "order_above_threshold" and exc.value.details["total_fen"] == 15_150_00
    db.session.rollback()
    assert db.session.query(Order).count() == 1 and db.session.query(OrderLine).count() == 1


def test_unpaid_order_warns_finance_once(stocked, clock, make_user):
    from core import chronograph
    from core.db import db
    from mall import orders

    seller = stocked.suppliers[0]
    order = _place(stocked, _desktop(stocked))
    orders.confirm_order(seller, order.id)
    orders.dispatch_order(seller, order.id)
    orders.receive_order(stocked.buyer, order.id)
    orders.accept_order(stocked.buyer, order.id, 4)
    db.session.commit()
    clock.advance(timedelta(days=29))
    assert chronograph.run_all()["mall-sweep"]["unpaid"] == []
    clock.advance(timedelta(days=2))
    assert chronograph.run_all()["mall-sweep"]["unpaid"] == [order.id]
    assert chronograph.run_all()["mall-sweep"]["unpaid"] == []
    from audit.service import payloads_of

    db.session.refresh(order)
    [warning] = payloads_of("mall.payment_overdue", order)
    assert warning["unpaid_fen"] == order.amount_fen


def test_contract_through_the_kit_signed_by_both(stocked, client):
    from contract_helpers import sign_by_api

    from core.db import db
    from mall import contracts, orders

    order = _place(stocked, _desktop(stocked))
    db.session.commit()
    with pytest.raises(Exception) as exc:
        contracts.draft_contract(stocked.buyer, order.id)
    assert exc.value.code == "order_not_contractable"
    db.session.rollback()
    orders.confirm_order(stocked.suppliers[0], order.id)
    contract = contracts.draft_contract(stocked.buyer, order.id)
    db.session.commit()
    assert contract.amount_fen == order.amount_fen and contract.number == f"HT-{order.number}"
    sign_by_api(client, stocked.buyer, f"/api/v1/contracts/{contract.id}/signatures", contract.sha256)
    sign_by_api(client, stocked.suppliers[0], f"/api/v1/contracts/{contract.id}/signatures", contract.sha256)
    db.session.expire_all()
    assert contract.status.value == "signed" and contract.notice_id is not None
    assert order.contract_signed_at is not None
    page = client.get(f"/notices/{contract.notice_id}")  # the e-mall's contract notice, public
    assert page.status_code == 200 and order.number in page.get_data(as_text=True)


def test_poor_rating_and_upheld_dispute_feed_credit(stocked):
    from core.db import db
    from mall import orders
    from registry.credit.service import assess_org

    seller = stocked.suppliers[0]
    before = assess_org(seller.org).score
    order = _place(stocked, _desktop(stocked))
    orders.confirm_order(seller, order.id)
    orders.dispatch_order(seller, order.id)
    orders.receive_order(stocked.buyer, order.id)
    orders.accept_order(stocked.buyer, order.id, 2, "迟到一周")
    dispute = orders.raise_dispute(stocked.buyer, order.id, "安装人员未按约上门")
    with pytest.raises(Exception) as exc:
        orders.decide_dispute(stocked.buyer, dispute.id, True, "成立")
    assert exc.value.code == "not_supervisor"
    orders.decide_dispute(stocked.supervisor, dispute.id, True, "经核实，供应商未按约安装")
    db.session.commit()
    found = assess_org(seller.org)
    assert found.score == before - 10  # two marks × credit.deduct.poor_performance (5)
    assert {"mall_order": order.id, "rating": 2, "points": 5, "party": seller.org.name} in found.deductions


def _confirmation(world, amount_fen, code="A0201"):
    from plan.confirmations import issue_confirmation

    return issue_confirmation(org=world.buyer.org, title="2026 年办公设备", catalogue_code=code, method="emall",
                              plan_type="goods", amount_fen=amount_fen, snapshot={}, source="workflow")


def test_order_draws_on_a_confirmation_and_gives_it_back_when_cancelled(stocked):
    from core.db import db
    from mall import orders
    from mall.models import Order
    from plan.service import remaining_fen

    confirmation = _confirmation(stocked, 12_000_00)
    db.session.commit()
    listing = _desktop(stocked)
    order = orders.place_order(stocked.buyer, [orders.Line(listing.id, 2)], ADDRESS, confirmation_id=confirmation.id)
    db.session.commit()
    assert remaining_fen(confirmation) == 12_000_00 - order.amount_fen and order.budget_draw_id is not None
    with pytest.raises(Exception) as exc:  # 1,900 left, the order needs 5,050
        orders.place_order(stocked.buyer, [orders.Line(listing.id, 1)], ADDRESS, confirmation_id=confirmation.id)
    assert exc.value.code == "confirmation_overdrawn"
    db.session.rollback()
    db.session.refresh(confirmation)
    assert db.session.query(Order).count() == 1 and remaining_fen(confirmation) == 12_000_00 - order.amount_fen
    orders.cancel_order(stocked.buyer, order.id, "改期采购")
    db.session.commit()
    db.session.refresh(confirmation)
    assert remaining_fen(confirmation) == 12_000_00


def test_confirmation_required_and_its_catalogue_item(stocked):
    from core.db import db
    from mall import orders
    from region_rules import store

    store.set_values(None, None, {"mall.require_budget_confirmation": True})
    printers = _confirmation(stocked, 50_000_00, code="A0202")
    db.session.commit()
    with pytest.raises(Exception) as exc:
        _place(stocked, _desktop(stocked))
    assert exc.value.code == "confirmation_required"
    with pytest.raises(Exception) as exc:
        orders.place_order(stocked.buyer, [orders.Line(_desktop(stocked).id, 1)], ADDRESS,
                           confirmation_id=printers.id)
    assert exc.value.code == "confirmation_catalogue_mismatch"


def test_split_purchase_check_is_plans_and_counts_the_e_mall(stocked):
    from core.db import db
    from plan.service import check_split_purchase
    from region_rules import store

    store.set_values(None, None, {"plan.public_tender_threshold_fen.goods": 12_000_00})
    db.session.commit()
    order = _place(stocked, _desktop(stocked), 2)  # 10,100: above the 80 % warning line, below the threshold
    db.session.commit()
    day = order.placed_at.date()
    assert check_split_purchase(stocked.buyer.org_id, "A02010105", 0, on_day=day).before_fen == order.amount_fen
    with pytest.raises(Exception) as exc:
        _place(stocked, _desktop(stocked), 1)
    assert exc.value.code == "order_split_purchase" and "化整为零" in exc.value.message
