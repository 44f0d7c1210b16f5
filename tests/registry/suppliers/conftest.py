"""Fixtures of the supplier library tests: a central agency reviewer, a registered supplier, scans."""

from __future__ import annotations

import io

import pytest

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def make_code(region: str, body8: str) -> str:
    from registry.suppliers.uscc import org_code_check_char, uscc_check_char

    first17 = f"91{region}{body8}{org_code_check_char(body8)}"
    return first17 + uscc_check_char(first17)


def application(**overrides):
    from registry.suppliers.service import Application

    values = dict(name="温州测试科技有限公司", uscc=make_code("330329", "MA2T0001"), region_code="330329",
                  legal_representative="张三", address="浙江省温州市泰顺县罗阳镇1号", size_class="small",
                  contacts=[("李四", "13905770001")], bank_name="泰顺农商银行",
                  bank_account_name="温州测试科技有限公司",
                  bank_account_number="201000123456789")
    values.update(overrides)
    return Application(**values)


def admin(username: str = "newsupplier"):
    from registry.suppliers.service import Administrator

    return Administrator(username=username, name="张三", phone="13905770001", password="correct-horse-9",
                         password2="correct-horse-9")


@pytest.fixture
def reviewer(make_user):
    return make_user("agency_staff", org_kind="central_agency", totp=True)


@pytest.fixture
def draft(app_ctx, region, clock):
    """A registered supplier in draft with its business licence; returns (supplier, its administrator)."""
    from core.db import db
    from registry.suppliers import service

    supplier = service.register_supplier(application(), admin())
    user = supplier.admin_user
    user.totp_seed = None  # no TOTP for a supplier (tests_helpers.login)
    service.add_qualification(user, supplier, "business_licence", "营业执照", "", None, "licence.pdf", io.BytesIO(PDF))
    db.session.commit()
    return supplier, user


@pytest.fixture
def active(draft, reviewer):
    from core.db import db
    from registry.suppliers import service

    supplier, user = draft
    service.submit_application(user, supplier)
    service.admit_supplier(reviewer, supplier)
    db.session.commit()
    return supplier, user


@pytest.fixture
def sent(monkeypatch):
    """The in-browser messages sent (title, org ids)."""
    from core import tasks

    out: list[tuple[str, list[int]]] = []
    monkeypatch.setattr(tasks, "emit_message", lambda m, users, orgs, **_: out.append((m["title"], sorted(orgs))))
    return out


@pytest.fixture
def new_application():
    """new_application(**overrides) -> a complete Application."""
    return application


@pytest.fixture
def code_for():
    """code_for(region, body8) -> a USCC passing both checks."""
    return make_code


@pytest.fixture
def administrator():
    return admin
