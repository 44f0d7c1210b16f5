"""Demo expert library: a small specialty tree, and zj01…zj40 admitted with employers, relations,
leave, one suspended and one over the age limit; the two applications waiting for review carry their
evidence, one admitted expert has an employer change waiting, and two experts imported from a list
have no account yet (an activation link was sent to one)."""

from __future__ import annotations

import io
from datetime import date, timedelta

from sqlalchemy import select

from accounts.models import User
from core import clock
from core.db import db
from core.demo import seeder
from registry.experts import changes, onboarding, service
from registry.experts.models import Expert, ExpertSpecialty, ExpertStatus, RelationKind, Specialty

# 评审专业: two levels, experts hold the leaves.
SPECIALTIES = [
    ("A", "工程类", None),
    ("A01", "房屋建筑工程", "A"),
    ("A02", "市政工程", "A"),
    ("A03", "水利工程", "A"),
    ("B", "货物类", None),
    ("B01", "计算机及网络设备", "B"),
    ("B02", "办公设备", "B"),
    ("B03", "医疗设备", "B"),
    ("B04", "教学仪器设备", "B"),
    ("C", "服务类", None),
    ("C01", "信息技术服务", "C"),
    ("C02", "物业管理服务", "C"),
    ("C03", "工程造价咨询", "C"),
    ("D", "经济与法律类", None),
    ("D01", "财务审计", "D"),
    ("D02", "法律", "D"),
]
EMPLOYERS = [
    "温州大学",
    "温州医科大学附属第一医院",
    "温州职业技术学院",
    "浙江省建筑设计研究院温州分院",
    "泰顺县中医院",
    "温州市信息中心",
    "浙江瓯越律师事务所",
    "温州中衡会计师事务所",
]
# Specialties of zj01…zj40, cycling so each of B01, B03, C01, B04 has enough experts.
SPECIALTY_CYCLE = [
    ["B01", "C01"],
    ["B03"],
    ["B04", "B02"],
    ["C01"],
    ["B01"],
    ["B03", "D01"],
    ["A01", "C03"],
    ["C02", "D02"],
]
REGIONS = ["330329", "330329", "330329", "330300", "330329", "330000"]


def ensure_specialties() -> None:
    """Create the demo specialty tree where it is missing (tests use it too)."""
    have = set(db.session.scalars(select(Specialty.code)))
    for code, name, parent in SPECIALTIES:
        if code not in have:
            db.session.add(Specialty(code=code, name=name, parent_code=parent))
            db.session.flush()


def demo_id_number(n: int, birth: date, region: str = "330329") -> str:
    body = f"{region}{birth:%Y%m%d}{n:03d}"
    return body + service.id_check_char(body)


def _birth(i: int) -> date:
    if i == 40:
        return date(1954, 3, 1)  # over 70: shown as excluded by age
    return date(1966 + i % 25, 1 + i % 12, 1 + i % 27)


@seeder("registry")
def seed_experts(context: dict) -> None:
    ensure_specialties()
    orgs = context.get("orgs", {})
    users = {u.username: u for u in db.session.scalars(select(User).where(User.username.like("zj%")))}
    now = clock.now()
    experts = {}
    for i in range(1, 41):
        user = users.get(f"zj{i:02d}")
        if user is None:
            continue
        birth = _birth(i)
        expert = Expert(
            user_id=user.id,
            name=f"专家{i:02d}",
            id_number=demo_id_number(i, birth),
            birth_date=birth,
            phone=f"1380577{i:04d}",
            region_code=REGIONS[i % len(REGIONS)],
            employer_name=EMPLOYERS[i % len(EMPLOYERS)],
            title="高级工程师" if i % 2 else "副教授",
            status=ExpertStatus.ACTIVE,
            registered_at=now,
            admitted_at=now,
            specialty_rows=[ExpertSpecialty(specialty_code=c) for c in SPECIALTY_CYCLE[i % len(SPECIALTY_CYCLE)]],
        )
        db.session.add(expert)
        experts[i] = expert
    db.session.flush()
    _conflicts(experts, orgs)
    _onboarding(experts)
    context["experts"] = experts


def _conflicts(experts: dict[int, Expert], orgs: dict) -> None:
    """A few experts the avoidance rules must catch, so the demo shows every kind of reason."""
    today = clock.to_local(clock.now()).date()
    purchasers, suppliers = orgs.get("purchasers", []), orgs.get("suppliers", [])
    if len(purchasers) > 1 and 2 in experts:
        bureau = purchasers[0]  # 泰顺县教育局: excluded from its own teaching-equipment draw
        experts[2].employer_org_id, experts[2].employer_name = bureau.id, bureau.name
    if suppliers and 3 in experts:
        service.add_relation(
            experts[3],
            RelationKind.PAST_EMPLOYER,
            suppliers[0].name,
            suppliers[0].id,
            date(2018, 3, 1),
            today - timedelta(days=400),
        )
    if len(suppliers) > 4 and 9 in experts:
        service.add_relation(
            experts[9], RelationKind.RELATIVE_EMPLOYER, suppliers[4].name, suppliers[4].id, note="配偶任职"
        )
    if "agency" in orgs and 17 in experts:
        experts[17].employer_org_id, experts[17].employer_name = orgs["agency"].id, orgs["agency"].name
        experts[17].region_code = "330329"
    if "finance" in orgs and 25 in experts:
        experts[25].employer_org_id, experts[25].employer_name = orgs["finance"].id, orgs["finance"].name
    for i in (11, 19, 27):
        if i in experts:
            service.add_leave(experts[i], today, today + timedelta(days=20), "出差")
    if 33 in experts:
        service.suspend_expert(None, experts[33], "2026 年两次无故缺席评审", today + timedelta(days=120))
    for i in (38, 39):  # two applications waiting for finance's review
        if i in experts:
            experts[i].status, experts[i].admitted_at = ExpertStatus.PENDING, None
    db.session.flush()


def _scan(title: str, name: str) -> bytes:
    """A one-page PDF standing in for a scanned certificate."""
    from reportlab.lib.pagesizes import A5
    from reportlab.pdfgen import canvas

    from core.pdf import cjk_font

    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A5)
    page.setFont(cjk_font(), 16)
    page.drawString(40, 480, f"{title}（演示扫描件）")
    page.setFont(cjk_font(), 12)
    page.drawString(40, 450, f"持证人：{name}")
    page.save()
    return out.getvalue()


def _onboarding(experts: dict[int, Expert]) -> None:
    if not experts:  # no demo accounts seeded (a partial seed): no library to add to
        return
    for i in (38, 39):  # the applications waiting for review, with their evidence
        if i in experts:
            changes.add_document(experts[i], "id_card", "身份证.pdf", io.BytesIO(_scan("居民身份证", experts[i].name)))
            changes.add_document(experts[i], "title", "职称证书.pdf", io.BytesIO(_scan("职称证书", experts[i].name)))
    if 6 in experts:  # moved to another employer; finance has not decided yet
        change = changes.request_employer_change(experts[6], "温州市数据管理发展中心",
                                                 clock.to_local(clock.now()).date() - timedelta(days=10))
        changes.add_document(experts[6], "employment", "在职证明.pdf",
                             io.BytesIO(_scan("在职证明", experts[6].name)), change)
    now = clock.now()
    for n, name in ((41, "导入专家甲"), (42, "导入专家乙")):  # from the county's old list: no account
        birth = date(1972, 6, n - 30)
        expert = Expert(name=name, id_number=demo_id_number(n, birth), birth_date=birth, phone=f"1380577{n:04d}",
                        region_code="330329", employer_name="泰顺县水利局", title="高级工程师",
                        status=ExpertStatus.ACTIVE, registered_at=now, admitted_at=now,
                        specialty_rows=[ExpertSpecialty(specialty_code="A03")])
        db.session.add(expert)
        db.session.flush()
        if n == 41:
            onboarding.issue_activation(None, expert)
