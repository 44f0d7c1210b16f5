"""The supplier pages in English show no Chinese of their own (data in ASCII, as tests/core/test_english_pages
builds its world; the import page may show the Chinese column names a file can use)."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from html.parser import HTMLParser

from tests_helpers import login

HAN = re.compile(r"[\u4e00-\u9fff]+")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
        for name, value in attrs:
            if value and name in ("title", "placeholder", "aria-label", "alt", "label"):
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip and data.strip():
            self.parts.append(data.strip())


def chinese(html: str, allowed=()) -> list[str]:
    parser = Visible()
    parser.feed(html)
    found = []
    for part in parser.parts:
        for text in ("中文", *allowed):
            part = part.replace(text, "")
        found += HAN.findall(part)
    return found


def test_supplier_pages_in_english(client, app_ctx, region, clock, reviewer, code_for):
    from accounts.models import Region
    from core.db import db
    from registry.suppliers import changes, importer, service

    for r in db.session.query(Region):
        r.name = {"330000": "Zhejiang", "330300": "Wenzhou", "330329": "Taishun"}[r.code]
    reviewer.org.name, reviewer.name = "Taishun Trading Centre", "Wang"
    supplier = service.register_supplier(service.Application(
        name="Acme Ltd", uscc=code_for("330329", "MA2E0001"), region_code="330329", legal_representative="Zhang",
        address="1 Main Road", size_class="small", contacts=[("Li", "13905770001")], bank_name="ICBC",
        bank_account_name="Acme Ltd", bank_account_number="201000123456789"),
        service.Administrator("acme", "Zhang", "13905770001", "correct-horse-9", "correct-horse-9"))
    user = supplier.admin_user
    user.name = "Zhang"
    db.session.commit()
    user.totp_seed = None
    login(client, user)
    client.get("/lang/en")
    problems = {}
    page = client.get("/suppliers/me").get_data(as_text=True)
    problems["me (draft)"] = chinese(page)
    service.add_qualification(user, supplier, "business_licence", "Licence", "", None, "l.pdf", io.BytesIO(PDF))
    service.add_qualification(user, supplier, "permit", "Permit", "P1", date(2026, 12, 10), "p.pdf", io.BytesIO(PDF))
    service.submit_application(user, supplier)
    service.admit_supplier(reviewer, supplier)
    changes.request_change(user, supplier, {"address": "2 Main Road"}, "moved")
    db.session.commit()
    problems["me (active)"] = chinese(client.get("/suppliers/me").get_data(as_text=True))
    client.post("/logout")
    client.get("/lang/en")
    problems["register"] = chinese(client.get("/suppliers/register").get_data(as_text=True))
    problems["public"] = chinese(client.get("/suppliers/public").get_data(as_text=True))
    clock.advance(timedelta(seconds=31))
    login(client, reviewer)
    client.get("/lang/en")
    problems["index"] = chinese(client.get("/suppliers/").get_data(as_text=True))
    problems["detail"] = chinese(client.get(f"/suppliers/{supplier.id}").get_data(as_text=True))
    problems["import"] = chinese(client.get("/suppliers/import").get_data(as_text=True),
                                 tuple(sorted(importer.COLUMNS.values(), key=len, reverse=True)))
    assert not {k: v for k, v in problems.items() if v}, problems


def test_dashboards_show_the_waiting_application_and_the_expiring_certificate(client, draft, reviewer, clock):
    from core.db import db
    from registry.suppliers import service

    supplier, user = draft
    service.add_qualification(user, supplier, "permit", "Permit", "", date(2026, 12, 10), "p.pdf", io.BytesIO(PDF))
    service.submit_application(user, supplier)
    db.session.commit()
    login(client, user)
    mine = client.get("/dashboard").get_data(as_text=True)
    assert "Permit" in mine and "即将到期" in mine
    client.post("/logout")
    clock.advance(timedelta(seconds=31))
    login(client, reviewer)
    board = client.get("/dashboard").get_data(as_text=True)
    assert "供应商注册审核" in board and supplier.name in board
    clock.set(supplier.review_due_at + timedelta(seconds=1))
    assert "审核已超期" in client.get("/dashboard").get_data(as_text=True)
