"""The catalogue and product pages in English show no Chinese but the data (names, specifications)."""

import re
from html.parser import HTMLParser

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._script = False

    def handle_starttag(self, tag, attrs):
        self._script = tag in ("script", "style")
        self.parts += [v for k, v in attrs if k in ("title", "placeholder", "aria-label") and v]

    def handle_endtag(self, tag):
        self._script = False

    def handle_data(self, data):
        if not self._script:
            self.parts.append(data)


def chinese(html: str, allowed: list[str]) -> list[str]:
    parser = _Text()
    parser.feed(html)
    found = []
    for part in parser.parts:
        for text in sorted(allowed, key=len, reverse=True):
            part = part.replace(text, "")
        found += CJK.findall(part)
    return found


def test_pages_in_english(app_ctx, region, make_user, client, clock):
    from sqlalchemy import select
    from tests_helpers import login

    from accounts.models import Org, Region, User
    from core.db import db
    from registry.catalogue.demo import import_extract
    from registry.catalogue.models import CatalogueItem, CatalogueVersion
    from registry.products import service

    import_extract()
    supplier = make_user("supplier", org_kind="supplier")
    admin = make_user("admin", totp=True)
    product = service.accept_proposal(admin, service.propose_product(supplier, service.ProductData(
        "联想", "启天 M455", "内存 16GB", "A02010105"))).product
    service.make_offer(supplier, product, service.OfferData(5_000_00, ["330329"]))
    service.propose_product(supplier, service.ProductData("华为", "擎云 B730E", "内存 16GB", "A02010105"))
    db.session.commit()
    data = [*db.session.scalars(select(CatalogueItem.name)), *db.session.scalars(select(Region.name)),
            *db.session.scalars(select(Org.name)), *db.session.scalars(select(User.name)),
            *db.session.scalars(select(CatalogueVersion.label)), "联想", "启天 M455", "内存 16GB", "华为", "擎云 B730E",
            "中文"]  # the language switch
    pages = {supplier: ["/products/", "/products/?q=联想", f"/products/{product.id}", "/products/propose",
                        f"/products/{product.id}/propose", "/products/mine", "/catalogue/",
                        "/catalogue/?parent=A020101"],
             admin: ["/products/queue", "/catalogue/", "/catalogue/import", "/catalogue/central"]}
    problems = {}
    for user, urls in pages.items():
        client.post("/logout")
        assert login(client, user).status_code == 302
        client.get("/lang/en")
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            allowed = data + (["品目编码", "品目名称", "说明"] if url == "/catalogue/import" else [])
            if (found := chinese(response.get_data(as_text=True), allowed)):
                problems[url] = found
    assert not problems, problems
