"""Product search: Chinese words through jieba, every word required, code prefixes, listed products only,
offers by delivery region."""

import pytest


@pytest.fixture
def products(app_ctx, region, make_user, clock):
    from core.db import db
    from registry.catalogue.demo import import_extract
    from registry.products import service

    import_extract()
    supplier = make_user("supplier", org_kind="supplier")
    reviewer = make_user("admin", totp=True)
    made = {}
    for key, brand, model, spec, leaf in [
        ("desktop", "联想", "启天 M455", "处理器 酷睿 i5；内存 16GB；固态硬盘 512GB", "A02010105"),
        ("laptop", "华为", "MateBook B5-440", "14 英寸；内存 16GB", "A02010108"),
        ("printer", "奔图", "P3305DN", "A4 黑白激光打印机；国产主控芯片", "A02021003"),
        ("chair", "震旦", "AD-1605", "网布靠背；人体工学", "A05010301"),
    ]:
        proposal = service.propose_product(supplier, service.ProductData(brand, model, spec, leaf))
        made[key] = service.accept_proposal(reviewer, proposal).product
    db.session.commit()
    made["supplier"] = supplier
    return made


def _titles(hits):
    return sorted(h.title for h in hits)


@pytest.mark.parametrize(("words", "expected"), [
    ("台式计算机", ["联想 启天 M455"]),          # the catalogue leaf's name is searchable
    ("计算机", ["联想 启天 M455", "华为 MateBook B5-440"]),  # a word inside 台式计算机 / 便携式计算机
    ("联想台式机", []),                            # 台式机 is not in the text
    ("内存 16GB", ["联想 启天 M455", "华为 MateBook B5-440"]),
    ("华为 16gb", ["华为 MateBook B5-440"]),        # every word, any case
    ("国产主控芯片的打印机", ["奔图 P3305DN"]),
    ("M455", ["联想 启天 M455"]),
    ("人体工学椅", []),
    ("，。！", []),                                 # only punctuation: nothing, not everything
])
def test_words(products, words, expected):
    from registry.products import search

    assert _titles(search.search_products(words)) == sorted(expected)


@pytest.mark.parametrize(("code", "expected"), [
    ("A0201", ["联想 启天 M455", "华为 MateBook B5-440"]),
    ("A02010000", ["联想 启天 M455", "华为 MateBook B5-440"]),  # padded form
    ("A02", ["联想 启天 M455", "华为 MateBook B5-440", "奔图 P3305DN"]),
    ("A05010301", ["震旦 AD-1605"]),
    ("B", []),
])
def test_codes(products, code, expected):
    from registry.products import search

    assert _titles(search.search_products("", code)) == sorted(expected)


def test_words_and_code_together_and_hidden_products(products):
    from core.db import db
    from core.transitions import move
    from registry.products import search
    from registry.products.models import ProductStatus

    assert _titles(search.search_products("16GB", "A02010108")) == ["华为 MateBook B5-440"]
    move(products["laptop"], ProductStatus.HIDDEN)
    db.session.commit()
    assert _titles(search.search_products("16GB")) == ["联想 启天 M455"]


def test_a_new_version_is_found_by_its_new_words_only(products, make_user):
    from core.db import db
    from registry.products import search, service

    reviewer = make_user("admin", totp=True)
    change = service.propose_product(products["supplier"], service.ProductData(
        "联想", "启天 M455", "处理器 酷睿 i7；内存 32GB", "A02010105"), products["desktop"])
    assert _titles(search.search_products("i7")) == []  # not before it is accepted
    service.accept_proposal(reviewer, change)
    db.session.commit()
    assert _titles(search.search_products("i7 32GB")) == ["联想 启天 M455"]
    assert _titles(search.search_products("i5")) == []


def test_offers_by_region_and_price(products, make_user):
    from registry.products import search, service

    a = make_user("supplier", org_kind="supplier")
    b = make_user("supplier", org_kind="supplier")
    service.make_offer(a, products["printer"], service.OfferData(2_100_00, ["330000"]))
    service.make_offer(b, products["printer"], service.OfferData(1_980_00, ["330300"], 2))
    hit = search.search_products("打印机", region_code="330329")[0]
    assert (hit.offers, hit.lowest_price_fen) == (2, 1_980_00)
    offers = search.search_offers("打印机", region_code="330000")  # the province: only the province-wide offer
    assert [o.price_fen for o in offers] == [2_100_00]
    assert [o.price_fen for o in search.offers_of(products["printer"].id)] == [1_980_00, 2_100_00]


def test_a_broad_code_walks_the_newest_products(products, monkeypatch):
    from registry.products import search

    narrow = [h.product_id for h in search.search_products("", "A02")]
    monkeypatch.setattr(search, "BROAD", 2)  # three products under A02: broad now
    assert search.is_broad("A02") and not search.is_broad("A05")
    assert [h.product_id for h in search.search_products("", "A02")] == narrow == sorted(narrow, reverse=True)
    assert [h.title for h in search.search_products("", "A05", limit=1)] == ["震旦 AD-1605"]


@pytest.mark.parametrize(("words", "code", "expected"), [
    ("16GB", "A02010108", ["华为 MateBook B5-440"]),   # one product under the code: checked by code
    ("16GB", "A02", ["联想 启天 M455", "华为 MateBook B5-440"]),
    ("内存", "A05", []),
    ("网布", "A05010301", ["震旦 AD-1605"]),
])
def test_words_and_code_by_either_driver(products, monkeypatch, words, code, expected):
    from registry.products import search

    monkeypatch.setattr(search, "FEW", 0)  # count the code's products even for a rare word
    by_rarity = _titles(search.search_products(words, code))
    monkeypatch.setattr(search, "code_count", lambda _code, cap=0: 10**9)  # never drive by the code
    assert _titles(search.search_products(words, code)) == by_rarity == sorted(expected)
