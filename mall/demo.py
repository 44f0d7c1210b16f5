"""Demo e-mall: a stocked supermarket (three stores listing the product library's computers, printers and
furniture, reference prices with their evidence), one over-priced printer frozen with its reason, a
pending change that cuts the base price while raising the installation fee, orders in every state (one with
its contract signed by both parties), the nightly price check's report, and the designated services: a
hotel and a vehicle-repair agreement whose bills each carry a line above the filed price list, caught
before payment."""

from __future__ import annotations

from datetime import date, timedelta

from accounts.models import OrgKind, Role
from core import clock
from core.db import db
from core.demo import seeder

ADDRESS = "泰顺县罗阳镇新城大道 1 号"
# (supplier index in gys1…, product index of the products demo, price, install fee, service fee, unit)
LISTINGS = [
    (0, 0, 5_680_00, 0, 0, "台"), (0, 1, 5_960_00, 0, 0, "台"), (0, 2, 6_250_00, 0, 0, "台"),
    (1, 0, 5_590_00, 80_00, 0, "台"), (1, 3, 2_899_00, 0, 0, "台"), (1, 4, 1_980_00, 0, 0, "台"),
    (1, 5, 1_150_00, 30_00, 0, "把"), (1, 6, 1_380_00, 60_00, 0, "组"),
    (3, 0, 5_720_00, 0, 100_00, "台"), (3, 3, 2_950_00, 0, 0, "台"), (3, 5, 1_120_00, 0, 0, "把"),
]
# (product index, kind, source, price, evidence)
REFERENCES = [
    (0, "official", "联想官方商城", 5_799_00, "https://shop.lenovo.com.cn 启天 M455 官方指导价，截图 SHA-256 3f9a…"),
    (0, "platform", "京东自营", 5_749_00, "https://item.jd.com 联想启天 M455 自营页面截图，2026 年 11 月"),
    (1, "platform", "京东自营", 5_999_00, "https://item.jd.com 华为擎云 B730E 自营页面截图"),
    (5, "market", "温州市办公家具市场调查", 1_200_00, "价格监测机构 2026 年第四季度市场调查表第 12 行"),
]


def _sign_contract(user, contract) -> None:
    import crypto
    from contracts.service import sign_contract
    from crypto.encoding import b64u_encode
    from tender.demo import demo_keys

    signature = crypto.sign_document(demo_keys(user, "signer").signing, bytes.fromhex(contract.sha256))
    sign_contract(user, contract.id, contract.sha256, b64u_encode(signature))


@seeder("mall")
def seed_mall(context: dict) -> None:
    from mall import contracts, orders, prices, supermarket
    from mall.supermarket import ListingData

    users = context.get("users", {})
    products = context.get("products")
    reviewer, buyers = users.get("zhongxin"), [users.get(f"caigou{i}") for i in (1, 2, 3)]
    suppliers = [users.get(f"gys{i}") for i in range(1, 7)]
    if not products or reviewer is None or None in buyers or None in suppliers:
        return  # a partial seed without the product library or the demo accounts
    real_now = clock.now()
    with clock.clock.frozen(real_now - timedelta(days=6)):
        for n, kind, source, price, evidence in REFERENCES:
            prices.enter_reference_price(reviewer, products[n].id, kind, source, price,
                                         clock.now() - timedelta(hours=2), evidence)
        for who in sorted({s for s, *_ in LISTINGS}):
            supermarket.open_store(suppliers[who])
        listings = {}
        for who, n, price, install, service, unit in LISTINGS:
            listings[(who, n)] = supermarket.list_product(suppliers[who], products[n].id, ListingData(
                price, ["330000"], unit, install, service))
        # a lower official price for the HP printer arrives: 2,780 × 1.05 = 2,919, so gys4's 2,950 is frozen
        prices.enter_reference_price(reviewer, products[3].id, "official", "惠普官方商城", 2_780_00,
                                     clock.now() - timedelta(hours=1),
                                     "https://www.hp.com/cn LaserJet Pro 4004dn 官方价，截图 SHA-256 9c01…")
    # orders in every state, placed over the last days
    made = {}

    def place(label, buyer, key, qty, days_ago):
        with clock.clock.frozen(real_now - timedelta(days=days_ago)):
            made[label] = orders.place_order(buyer, [orders.Line(listings[key].id, qty)], ADDRESS)
        return made[label]

    place("placed", buyers[0], (1, 5), 10, 0)
    lapsed = place("lapsed", buyers[1], (3, 5), 4, 5)
    orders.lapse_order(lapsed)
    cancelled = place("cancelled", buyers[2], (1, 4), 2, 4)
    orders.cancel_order(buyers[2], cancelled.id, "预算调整，改为下季度采购")
    steps = {"confirmed": 1, "dispatched": 2, "received": 3, "accepted": 4, "done": 5, "returned": 3}
    for label, key, qty, days_ago in (("confirmed", (0, 0), 2, 1), ("dispatched", (1, 0), 3, 2),
                                      ("received", (1, 6), 2, 3), ("accepted", (0, 1), 1, 4),
                                      ("done", (1, 3), 1, 5), ("returned", (3, 0), 1, 3)):
        order = place(label, buyers[0] if label != "returned" else buyers[1], key, qty, days_ago)
        seller = next(u for u in suppliers if u.org_id == order.supplier_org_id)
        buyer = next(u for u in buyers if u.org_id == order.purchaser_org_id)
        with clock.clock.frozen(real_now - timedelta(days=days_ago) + timedelta(hours=3)):
            orders.confirm_order(seller, order.id)
            if steps[label] >= 2:
                orders.dispatch_order(seller, order.id)
            if steps[label] >= 3:
                orders.receive_order(buyer, order.id)
        if label == "returned":
            orders.return_order(buyer, order.id, "型号与订单不符")
        if steps[label] >= 4 and label != "returned":
            orders.accept_order(buyer, order.id, 5 if label == "done" else 4, "送货及时，安装规范")
        if label == "done":
            orders.record_payment(buyer, order.id, order.amount_fen, clock.to_local(real_now).date(), "TSCZ-2026-0412")
    contract = contracts.draft_contract(buyers[0], made["confirmed"].id)
    _sign_contract(buyers[0], contract)
    _sign_contract(suppliers[0], contract)
    # a change waiting for review: the base price cut while the installation fee rises
    supermarket.propose_change(suppliers[1], listings[(1, 0)], ListingData(5_550_00, ["330000"], "台", 180_00, 0))
    prices.check_prices(prices.ensure_watch())
    _seed_services(context, real_now)


def _seed_services(context: dict, real_now) -> None:
    from accounts import service as accounts
    from accounts.demo import add_user
    from mall import services
    from mall.services import BillEntry, PriceItem

    users = context["users"]
    filer, buyer, other = users["zhongxin"], users["caigou1"], users["caigou3"]
    county = buyer.region_code
    hotel_org = accounts.create_org("泰顺县廊桥宾馆有限公司", OrgKind.SUPPLIER, county)
    garage_org = accounts.create_org("泰顺县顺达汽车维修有限公司", OrgKind.SUPPLIER, county)
    hotel_user = add_user(context, "binguan", "廊桥宾馆 前台经理", [Role.SUPPLIER], hotel_org, totp=False)
    garage_user = add_user(context, "xiuche", "顺达汽修 业务员", [Role.SUPPLIER], garage_org, totp=False)
    year = clock.to_local(real_now).year
    hotel = services.file_agreement(filer, hotel_org.id, "hotel", f"{year} 年度会议定点服务协议（廊桥宾馆）", 10,
                                    date(year, 1, 1), date(year, 12, 31), [
                                        PriceItem("ROOM-STD", "标准间", "间·晚", 420_00, 380_00),
                                        PriceItem("HALL-M", "中会议室（60 人）", "半天", 1_600_00, 1_500_00),
                                        PriceItem("MEAL", "工作餐", "人·餐", 60_00, 50_00)])
    garage = services.file_agreement(filer, garage_org.id, "vehicle_repair",
                                     f"{year} 年度公务车辆维修定点协议（顺达汽修）", 15, date(year, 1, 1),
                                     date(year, 12, 31), [
                                         PriceItem("LAB", "维修工时", "小时", 130_00, 110_00),
                                         PriceItem("PAD-F", "前刹车片（原厂）", "套", 460_00, 400_00),
                                         PriceItem("OIL", "机油（5W-30，4L）", "桶", 380_00, 320_00)])
    meeting = services.place_service_order(buyer, hotel.id, "meeting", "全县教育系统年度工作会议", 15_000_00, days=1,
                                           persons=40)
    services.enter_bill(hotel_user, meeting.id, [
        BillEntry("ROOM-STD", "标准间", "间·晚", 20, 378_00),
        BillEntry("HALL-M", "中会议室（60 人）", "半天", 2, 1_680_00),  # above the filed 1,440
        BillEntry("MEAL", "工作餐", "人·餐", 80, 50_00)])
    repair = services.place_service_order(other, garage.id, "repair", "更换前刹车片并保养", 2_000_00,
                                          vehicle_plate="浙C·T0321")
    services.enter_bill(garage_user, repair.id, [
        BillEntry("LAB", "维修工时", "小时", 3, 110_00),
        BillEntry("PAD-F", "前刹车片（原厂）", "套", 1, 520_00),  # above the filed 391
        BillEntry("OIL", "机油（5W-30，4L）", "桶", 1, 320_00)])
    db.session.flush()
