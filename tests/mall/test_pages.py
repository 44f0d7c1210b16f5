"""The pages: each role reaches its e-mall pages, and a purchaser goes from a Chinese search through
compare, cart and order to acceptance with the supplier confirming and dispatching, all through forms."""

from __future__ import annotations

import re

from tests_helpers import login


def _ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-listing="(\d+)"', page)]


def test_each_role_reaches_its_pages(stocked, client):
    pages = {stocked.buyer: ["/mall/", "/mall/cart", "/mall/orders", "/mall/services",
                             "/mall/?q=台式计算机&brand=联想"],
             stocked.suppliers[0]: ["/mall/store", "/mall/orders", "/mall/services"],
             stocked.reviewer: ["/mall/review", "/mall/prices", "/mall/services"],
             stocked.supervisor: ["/mall/prices", "/mall/orders"]}
    for user, paths in pages.items():
        login(client, user)
        for path in paths:
            r = client.get(path)
            assert r.status_code == 200, (user.username, path, r.status_code)
        client.post("/logout")
    login(client, stocked.suppliers[0])
    assert client.get("/mall/review").status_code == 403
    assert client.get("/mall/cart").status_code == 403


def test_a_purchaser_finds_compares_orders_and_accepts(stocked, client):
    from core.db import db
    from mall.models import Order

    login(client, stocked.buyer)
    home = client.get("/mall/").get_data(as_text=True)
    tree = home[home.index('id="catalogue-tree"'):home.index("</nav>", home.index('id="catalogue-tree"'))]
    assert "/mall/?code=A02010105" in tree and "台式计算机" in tree and "/mall/?code=A02" in tree
    page = client.get("/mall/?q=台式计算机").get_data(as_text=True)
    ids = _ids(page)
    assert len(ids) == 3
    compared = client.get("/mall/compare?" + "&".join(f"ids={i}" for i in ids)).get_data(as_text=True)
    assert compared.count("加入购物车") == 3 and "5,100.00" in compared  # the median live quote
    assert client.post("/mall/cart", data={"listing_id": ids[0], "quantity": "-2"},
                       follow_redirects=True).get_data(as_text=True).count("数量须为") == 1
    client.post("/mall/cart", data={"listing_id": ids[0], "quantity": "2"})
    r = client.post("/mall/cart/order", data={"delivery_address": "泰顺县罗阳镇政府大院"})
    order = db.session.query(Order).one()
    assert r.headers["Location"].endswith(f"/mall/orders/{order.id}")
    client.post("/logout")
    login(client, stocked.suppliers[0])
    for action in ("confirm", "dispatch"):
        assert client.post(f"/mall/orders/{order.id}/{action}").status_code == 302
    client.post("/logout")
    login(client, stocked.buyer)
    client.post(f"/mall/orders/{order.id}/receive")
    client.post(f"/mall/orders/{order.id}/accept", data={"rating": "5", "rating_note": "很好"})
    db.session.refresh(order)
    assert order.status.value == "accepted" and order.rating == 5
    assert "登记付款" in client.get(f"/mall/orders/{order.id}").get_data(as_text=True)
