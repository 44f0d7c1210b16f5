"""Demo product library: computers, printers and office furniture proposed by the demo suppliers and
accepted by the central agency (交易中心), offers on them from several suppliers, one product with a
second version, and one proposal waiting in the review queue."""

from __future__ import annotations

from core.demo import seeder
from registry.products import service

# (supplier index, brand, model, spec, leaf)
PRODUCTS = [
    (0, "联想", "启天 M455", "处理器 Intel 酷睿 i5-12500；内存 16GB DDR4；固态硬盘 512GB；23.8 英寸显示器",
     "A02010105"),
    (0, "华为", "擎云 B730E", "处理器 Intel 酷睿 i5-12400；内存 16GB；固态硬盘 512GB；23.8 英寸显示器", "A02010105"),
    (0, "联想", "昭阳 K4e", "14 英寸便携式计算机；处理器 Intel 酷睿 i5-1235U；内存 16GB；固态硬盘 512GB", "A02010108"),
    (1, "惠普", "LaserJet Pro 4004dn", "A4 黑白激光打印机；自动双面；有线网络；打印速度 40 页/分钟", "A02021003"),
    (1, "奔图", "P3305DN", "A4 黑白激光打印机；国产主控芯片；自动双面；打印速度 33 页/分钟", "A02021003"),
    (1, "震旦", "AD-1605 办公椅", "网布靠背；五星铝合金脚；可调扶手与高度", "A05010301"),
    (1, "震旦", "钢制文件柜 1850", "冷轧钢板 0.8mm；上玻璃门下铁门；1850×900×400mm", "A05010502"),
]
# supplier index -> (product index, price in fen, minimum order)
OFFERS = [
    (0, 0, 5_680_00, 1), (0, 1, 5_990_00, 1), (0, 2, 6_250_00, 1),
    (1, 0, 5_590_00, 2), (1, 3, 2_899_00, 1), (1, 4, 1_980_00, 1), (1, 5, 1_150_00, 5), (1, 6, 1_380_00, 2),
    (3, 0, 5_720_00, 1), (3, 3, 2_950_00, 1), (3, 5, 1_120_00, 10),
]


@seeder("products")
def seed_products(context: dict) -> None:
    users = context.get("users", {})
    reviewer = users.get("zhongxin")
    suppliers = [users.get(f"gys{i}") for i in range(1, 7)]
    if reviewer is None or None in suppliers or context.get("catalogue_version") is None:
        return  # a partial seed without the demo accounts or the catalogue
    products = []
    for who, brand, model, spec, leaf in PRODUCTS:
        proposal = service.propose_product(suppliers[who], service.ProductData(brand, model, spec, leaf))
        products.append(service.accept_proposal(reviewer, proposal, "资料齐全").product)
    for who, index, price, qty in OFFERS:
        service.make_offer(suppliers[who], products[index], service.OfferData(price, ["330000"], qty))
    # a second version of the first desktop: the offers already made keep version 1
    change = service.propose_product(suppliers[0], service.ProductData(
        "联想", "启天 M455", PRODUCTS[0][3].replace("16GB", "32GB"), "A02010105"), products[0])
    service.accept_proposal(reviewer, change, "内存升级，同意变更")
    # waiting in the queue
    service.propose_product(suppliers[0], service.ProductData(
        "华为", "MateBook B5-440", "14 英寸便携式计算机；处理器 Intel 酷睿 i7-1165G7；内存 16GB；固态硬盘 512GB",
        "A02010108"))
    context["products"] = products
