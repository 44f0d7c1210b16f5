"""Open data: every process of the demo (tenders in each stage, awards, a signed contract, its acceptance
and a payment; the e-mall's orders) as OCDS 1.1.5 releases and records, valid against the standard's schemas
(strictly: any field the schema does not know fails), paged through the API, and the same releases in the
bulk download."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from ocds_helpers import errors


@pytest.fixture
def demo(app, app_ctx, clock, tmp_path, monkeypatch):
    from argon2 import PasswordHasher

    from accounts import service as accounts
    from core.db import db
    from core.demo import SEEDERS

    monkeypatch.setattr(accounts, "password_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    monkeypatch.setitem(app.config, "TIME_VAULT_KEY_PATH", str(tmp_path / "vault.pem"))
    seeders = dict(SEEDERS)
    context: dict = {"logins": []}
    for name in ("accounts", "registry", "registry_suppliers", "catalogue", "products", "tender", "expert_draw",
                 "evaluation", "acceptance", "mall"):
        seeders[name](context)
    db.session.commit()
    return context


def _pages(client, url: str) -> list[dict]:
    out = []
    while url:
        package = client.get(url).get_json()
        out.append(package)
        url = package["links"].get("next")
        if url:
            parts = urlsplit(url)
            url = f"{parts.path}?{parts.query}"
    return out


def _published_projects():
    from sqlalchemy import select

    from core.db import db
    from tender.models import Project
    from tender.transitions import ProjectStatus

    return list(db.session.scalars(select(Project).where(Project.status != ProjectStatus.DRAFT).order_by(Project.id)))


def _confirmed_orders():
    from sqlalchemy import select

    from core.db import db
    from mall.models import Order

    return list(db.session.scalars(select(Order).where(Order.confirmed_at.is_not(None)).order_by(Order.id)))


def test_every_process_pages_as_valid_releases_from_tender_to_payment(demo, client):
    from contracts.models import Contract, ContractPayment
    from core.db import db

    pages = _pages(client, "/api/v1/ocds/releases?limit=2")
    for package in pages:
        assert errors(package) == []
    releases = [r for p in pages for r in p["releases"]]
    projects = _published_projects()
    orders = _confirmed_orders()
    assert len(pages) == (len(projects) + len(orders) + 1) // 2
    assert {r["ocid"] for r in releases} == ({f"ocds-biaoyu-{p.code}" for p in projects}
                                             | {f"ocds-biaoyu-DS-{o.number}" for o in orders})
    assert len({(r["ocid"], r["id"]) for r in releases}) == len(releases)  # a release id is never reused
    tags = {t for r in releases for t in r["tag"]}
    assert {"tender", "tenderUpdate", "award", "contract", "implementation"} <= tags

    paid = db.session.scalar(db.select(ContractPayment))
    contract = db.session.get(Contract, paid.contract_id)
    payments = [t for r in releases for c in r.get("contracts", []) if c["id"] == contract.number
                for t in c.get("implementation", {}).get("transactions", [])]
    assert payments[-1]["id"] == paid.voucher and payments[-1]["value"]["amount"] * 100 == paid.amount_fen
    assert payments[-1]["value"]["currency"] == "CNY"
    milestones = [m for r in releases for c in r.get("contracts", []) if c["id"] == contract.number
                  for m in c.get("implementation", {}).get("milestones", [])]
    assert milestones and milestones[-1]["status"] == "met"


def test_records_compile_each_process_and_the_catalogue_classifies_its_items(demo, client):
    from contracts.models import Contract
    from core.db import db
    from registry.catalogue.service import names_of

    pages = _pages(client, "/api/v1/ocds/records?limit=3")
    for package in pages:
        assert errors(package, "record") == []
    records = {r["ocid"]: r for p in pages for r in p["records"] if "-DS-" not in r["ocid"]}
    assert len(records) == len(_published_projects())
    for record in records.values():
        dates = [r["date"] for r in record["releases"]]
        assert dates == sorted(dates)  # records list their releases oldest first
        for item in record["compiledRelease"]["tender"]["items"]:
            code = item["classification"]["id"]
            assert item["classification"]["scheme"] == "CN-ZFCGPMML"
            assert item["classification"].get("description") == names_of([code]).get(code)

    from accounts.models import Org

    contract = db.session.scalar(db.select(Contract).where(Contract.accepted_at.is_not(None)))
    supplier, purchaser = db.session.get(Org, contract.supplier_org_id), db.session.get(Org, contract.purchaser_org_id)
    [compiled] = [r["compiledRelease"] for r in records.values()
                  if any(c["id"] == contract.number for c in r["compiledRelease"].get("contracts", []))]
    [award] = [a for a in compiled["awards"] if a["id"] == str(contract.source_id)]
    assert award["status"] == "active" and award["suppliers"][0]["name"] == supplier.name
    assert compiled["tender"]["status"] == "complete"
    [signed] = [c for c in compiled["contracts"] if c["id"] == contract.number]
    assert signed["awardID"] == award["id"] and signed["value"]["amount"] * 100 == contract.amount_fen
    roles = {p["name"]: set(p["roles"]) for p in compiled["parties"]}
    assert "supplier" in roles[supplier.name] and "buyer" in roles[purchaser.name]

    one = client.get(f"/api/v1/ocds/records/{compiled['ocid']}").get_json()
    assert errors(one, "record") == [] and one["records"][0]["ocid"] == compiled["ocid"]
    assert client.get("/api/v1/ocds/records/ocds-biaoyu-NO-SUCH-CODE").status_code == 404


def test_the_bulk_download_streams_every_release_in_batches(demo, client):
    from portal.ocds import views

    paged = [r for p in _pages(client, "/api/v1/ocds/releases?limit=100") for r in p["releases"]]
    response = client.get("/api/v1/ocds/releases.json")
    assert response.is_streamed and "ocds-releases.json" in response.headers["Content-Disposition"]
    bulk = json.loads(response.get_data(as_text=True))
    assert errors(bulk) == []
    assert [(r["ocid"], r["id"]) for r in bulk["releases"]] == [(r["ocid"], r["id"]) for r in paged]
    # batch by batch: a batch of one process gives the same document
    small = json.loads("".join(views.bulk_chunks(batch=1)))
    assert small["releases"] == bulk["releases"]


def test_the_validation_fails_on_any_invalid_field(demo, client):
    package = client.get("/api/v1/ocds/releases?limit=1").get_json()
    assert errors(package) == []
    release = package["releases"][0]
    for broken in ({**release, "tender": {**release["tender"], "status": "open-ish"}},  # not in the codelist
                   {**release, "tender": {**release["tender"], "budgetYuan": 1}},  # a field OCDS does not have
                   {**release, "date": "2026-12-01 10:00"},  # not RFC 3339
                   {**release, "tag": ["tender", "bidding"]}):
        assert errors({**package, "releases": [broken]}) != [], broken


def test_planning_from_the_intention_and_confirmation_a_project_came_from(demo, client, clock):
    """plan/: a project made from a confirmation (and its published intention) opens its process with
    planning releases; an intention no project has taken up yet is a planning process of its own."""
    from datetime import timedelta

    from core.db import db
    from plan.confirmations import issue_confirmation
    from plan.models import Intention, ProjectSource
    from plan.transitions import IntentionStatus

    [project, *_] = _published_projects()
    users = demo["users"]
    buyer = project.purchaser
    published = project.published_at - timedelta(days=40)
    intention = Intention(region_code=buyer.region_code, org_id=buyer.id, title=f"{project.title}（意向）",
                          needs="更新教室多媒体设备", budget_fen=project.budget_fen, expected_month="2026-11",
                          status=IntentionStatus.PUBLISHED, published_at=published, created_by_id=users["daili"].id,
                          created_at=published)
    waiting = Intention(region_code=buyer.region_code, org_id=buyer.id, title="泰顺县图书馆古籍修复服务",
                        needs="古籍修复 300 册", budget_fen=80_000_00, expected_month="2027-03",
                        status=IntentionStatus.PUBLISHED, published_at=published, created_by_id=users["daili"].id,
                        created_at=published)
    db.session.add_all([intention, waiting])
    db.session.flush()
    confirmation = issue_confirmation(org=buyer, title=project.title, catalogue_code=project.catalogue_code,
                                      method="public_tender", plan_type="goods", amount_fen=project.budget_fen,
                                      snapshot={}, source="file")
    db.session.add(ProjectSource(project_id=project.id, confirmation_id=confirmation.id, intention_id=intention.id,
                                 created_by_id=users["daili"].id, created_at=clock.now()))
    db.session.commit()

    package = client.get(f"/api/v1/ocds/records/ocds-biaoyu-{project.code}").get_json()
    assert errors(package, "record") == []
    [record] = package["records"]
    assert [r["tag"] for r in record["releases"]][:3] == [["planning"], ["planning"], ["tender"]]
    planning = record["compiledRelease"]["planning"]
    assert planning["budget"]["id"] == confirmation.number and planning["rationale"] == "更新教室多媒体设备"
    assert planning["budget"]["amount"]["amount"] * 100 == project.budget_fen

    own = client.get(f"/api/v1/ocds/records/ocds-biaoyu-YX-{waiting.id}").get_json()
    assert errors(own, "record") == [] and own["records"][0]["compiledRelease"]["tender"]["status"] == "planning"
    assert client.get(f"/api/v1/ocds/records/ocds-biaoyu-YX-{intention.id}").status_code == 404  # taken up
    everything = [r for p in _pages(client, "/api/v1/ocds/releases?limit=4") for r in p["releases"]]
    assert sum(r["ocid"] == f"ocds-biaoyu-YX-{waiting.id}" for r in everything) == 1


def test_each_confirmed_e_mall_order_is_a_direct_award_from_award_to_payment(demo, client):
    from mall.models import Order
    from mall.transitions import OrderStatus

    orders = _confirmed_orders()
    assert orders and any(o.paid_at for o in orders)
    for order in orders:
        package = client.get(f"/api/v1/ocds/records/ocds-biaoyu-DS-{order.number}").get_json()
        assert errors(package, "record") == []
        compiled = package["records"][0]["compiledRelease"]
        assert compiled["tender"]["procurementMethod"] == "direct"
        assert [i["quantity"] for i in compiled["tender"]["items"]] == [line.quantity for line in order.lines]
        [award] = compiled["awards"]
        assert award["value"]["amount"] * 100 == order.amount_fen
        assert award["suppliers"][0]["name"] == order.supplier.name
        transactions = compiled.get("contracts", [{}])[0].get("implementation", {}).get("transactions", [])
        assert bool(transactions) == (order.paid_at is not None)
    from core.db import db

    unconfirmed = db.session.scalar(db.select(Order).where(Order.status == OrderStatus.LAPSED))
    assert client.get(f"/api/v1/ocds/records/ocds-biaoyu-DS-{unconfirmed.number}").status_code == 404
