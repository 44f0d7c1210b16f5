"""A small world for draws: regions, specialty tree, purchaser/agency/finance/suppliers, experts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import pytest


@dataclass
class World:
    orgs: dict
    users: dict
    experts: list = field(default_factory=list)
    counter: int = 0


@pytest.fixture(autouse=True)
def _cheap_password_hashes(monkeypatch):
    """Argon2 at its cheapest: these tests make dozens of accounts and test no passwords."""
    from argon2 import PasswordHasher

    from accounts import service

    monkeypatch.setattr(service, "password_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
def world(app_ctx, region, clock, make_user):
    from accounts import service as accounts
    from accounts.models import OrgKind
    from core.db import db
    from registry.experts.demo import ensure_specialties

    ensure_specialties()
    from accounts.models import Region, RegionLevel

    db.session.add(Region(code="330326", name="平阳县", level=RegionLevel.COUNTY, parent_code="330300"))
    orgs = {
        "finance": accounts.create_org("泰顺县财政局", OrgKind.FINANCE, region),
        "agency": accounts.create_org("温州正信招标代理有限公司", OrgKind.AGENCY, region),
        "purchaser": accounts.create_org("泰顺县人民医院", OrgKind.PURCHASER, region),
        "other_purchaser": accounts.create_org("泰顺县教育局", OrgKind.PURCHASER, region),
        "s1": accounts.create_org("浙江云帆信息技术有限公司", OrgKind.SUPPLIER, region),
        "s2": accounts.create_org("温州新锐医疗器械有限公司", OrgKind.SUPPLIER, region),
        "outsider": accounts.create_org("杭州博远教学装备有限公司", OrgKind.SUPPLIER, region),
    }
    db.session.commit()
    users = {}
    for key, role, org in (
        ("agency", "agency_staff", "agency"),
        ("supervisor", "supervisor", "finance"),
        ("reviewer", "finance_reviewer", "finance"),
        ("purchaser", "purchaser", "purchaser"),
        ("supplier", "supplier", "s1"),
        ("outsider", "supplier", "outsider"),
        ("other_agency", "agency_staff", None),
        ("other_supervisor", "supervisor", None),  # a neighbouring county's (平阳县)
        ("city_supervisor", "supervisor", None),  # the city's (温州市), above the county
    ):
        user = make_user(role, username=f"w_{key}")
        user.org_id = orgs[org].id if org else None
        user.region_code = {"other_supervisor": "330326", "city_supervisor": "330300"}.get(key, user.region_code)
        users[key] = user
    db.session.commit()
    return World(orgs=orgs, users=users)


@pytest.fixture
def make_expert(world, make_user):
    """make_expert(specialties=["B01"], region="330329", **columns) -> an admitted expert with a user."""
    from core import clock
    from core.db import db
    from registry.experts.demo import demo_id_number
    from registry.experts.models import Expert, ExpertSpecialty, ExpertStatus

    def make(specialties=("B01",), region_code="330329", birth=date(1975, 5, 5), user=True, **columns):
        world.counter += 1
        n = world.counter
        account = make_user("expert", username=f"e{n:03d}", totp=True) if user else None
        values = {
            "name": f"专家{n:03d}",
            "id_number": demo_id_number(n, birth),
            "birth_date": birth,
            "phone": f"1390000{n:04d}",
            "region_code": region_code,
            "employer_name": f"某大学{n}",
            "status": ExpertStatus.ACTIVE,
            "registered_at": clock.now(),
            "admitted_at": clock.now(),
        }
        values.update(columns)
        expert = Expert(
            user_id=account.id if account else None,
            **values,
            specialty_rows=[ExpertSpecialty(specialty_code=c) for c in specialties],
        )
        db.session.add(expert)
        db.session.commit()
        expert.account = account
        world.experts.append(expert)
        return expert

    return make


MONDAY_9AM = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # Monday 09:00 Beijing; the clock is Friday 27th


@pytest.fixture
def subject(world):
    from expert_draw.subject import DrawSubject

    return DrawSubject(
        title="泰顺县人民医院医疗设备采购",
        purchaser_org_id=world.orgs["purchaser"].id,
        agency_org_id=world.orgs["agency"].id,
        method="public_tender",
        budget_fen=300_000_00,
        region_code="330329",
        supplier_org_ids={world.orgs["s1"].id, world.orgs["s2"].id},
    )


@pytest.fixture
def make_request(world, subject):
    from core.db import db
    from expert_draw import service
    from expert_draw.service import SpecialtyCount

    def make(counts=(("B01", 3, 1), ("C01", 2, 1)), start=MONDAY_9AM, reps=0, **kwargs):
        req = service.create_request(
            world.users["agency"],
            kwargs.pop("subject", subject),
            [SpecialtyCount(*c) for c in counts],
            start,
            None,
            "泰顺县公共资源交易中心 3 楼评标室",
            purchaser_reps=reps,
            **kwargs,
        )
        db.session.commit()
        return req

    return make
