"""Ratings of an agency after a finished project: who may rate (the purchaser's people, the bidders, the
committee's experts), once each, 1–5 per dimension, within the region's working days of the end; the
average on the public list. The project ends through tender's own settle_lot."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from tests_helpers import login

GOOD = {"competence": 5, "service": 4, "compliance": 5, "efficiency": 4}


@pytest.fixture
def project(app_ctx, region, make_user, clock):
    """A project in evaluation with one lot, run by an agency on the list, for a purchaser; one supplier
    registered for it."""
    from accounts import service
    from accounts.models import OrgKind
    from core.db import db
    from registry.agencies.models import AgencyListing, ListingStatus
    from tender.models import Lot, Project, Registration
    from tender.transitions import LotStatus, ProjectStatus

    purchaser = make_user("purchaser", org_kind="purchaser")
    supplier = make_user("supplier", org_kind="supplier")
    agency = service.create_org("温州正信招标代理有限公司", OrgKind.AGENCY, region)
    now = clock.now()
    db.session.add(AgencyListing(org_id=agency.id, region_code=region, status=ListingStatus.LISTED, registered_at=now,
                                 listed_at=now, updated_at=now))
    p = Project(code="TS-2026-001", title="泰顺县教育局课桌椅采购", region_code=region,
                purchaser_org_id=purchaser.org_id, agency_org_id=agency.id, created_by_id=purchaser.id,
                catalogue_code="A05010000", category="goods", method="public_tender", eval_method="lowest_price",
                notice_at=now - timedelta(days=30), doc_start_at=now - timedelta(days=30),
                doc_end_at=now - timedelta(days=25), clarify_deadline=now - timedelta(days=20),
                deadline=now - timedelta(days=10), opening_mode="custodian", status=ProjectStatus.EVALUATING,
                created_at=now - timedelta(days=31), published_at=now - timedelta(days=30),
                opened_at=now - timedelta(days=10))
    p.lots = [Lot(number=1, name="课桌椅", budget_fen=100_000_00, max_price_fen=100_000_00, status=LotStatus.OPENED)]
    db.session.add(p)
    db.session.flush()
    db.session.add(Registration(project_id=p.id, org_id=supplier.org_id, user_id=supplier.id, registered_at=now))
    db.session.commit()
    p.purchaser_user, p.supplier_user = purchaser, supplier
    return p


def finish(project):
    from core.db import db
    from tender.service import settle_lot
    from tender.transitions import LotStatus

    settle_lot(project.lots[0], LotStatus.CONTRACTED)
    db.session.commit()


def rate(client, project, scores=GOOD, comment="服务专业"):
    return client.post(f"/api/v1/agencies/ratings/{project.id}", json={"scores": scores, "comment": comment})


def test_no_rating_before_the_project_ends(project, client):
    login(client, project.purchaser_user)
    response = rate(client, project)
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "rating_not_open"


def test_the_purchaser_and_the_supplier_rate_once_each_and_the_list_averages(project, client):
    finish(project)
    login(client, project.purchaser_user)
    page = client.get("/agencies/ratings").get_data(as_text=True)
    assert "泰顺县教育局课桌椅采购" in page and "提交评价" in page
    form = {**{k: str(v) for k, v in GOOD.items()}, "comment": "进度把控到位"}
    assert client.post(f"/agencies/ratings/{project.id}", data=form).status_code == 302
    assert "已评价" in client.get("/agencies/ratings").get_data(as_text=True)
    again = rate(client, project)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_rated"
    client.post("/logout")

    login(client, project.supplier_user)
    low = {"competence": 3, "service": 3, "compliance": 3, "efficiency": 3}
    body = rate(client, project, low).get_json()
    assert body["rater_kind"] == "supplier" and body["average"] == 3.0
    client.post("/logout")

    entry = client.get("/api/v1/agencies").get_json()[0]
    assert (entry["rating"], entry["ratings"]) == (3.75, 2)  # (4.5 + 3) / 2
    assert entry["by_dimension"] == {"competence": 4.0, "service": 3.5, "compliance": 4.0, "efficiency": 3.5}
    page = client.get("/agencies").get_data(as_text=True)
    assert "3.75" in page and "服务质量 3.5" in page


@pytest.mark.parametrize(("scores", "field"), [
    ({**GOOD, "service": 6}, "service"),
    ({**GOOD, "service": 0}, "service"),
    ({k: v for k, v in GOOD.items() if k != "efficiency"}, "efficiency"),
    ({**GOOD, "price": 5}, "price"),
])
def test_bad_scores_are_refused_and_nothing_is_stored(project, client, scores, field):
    from core.db import db
    from registry.agencies.models import AgencyRating

    finish(project)
    login(client, project.purchaser_user)
    response = rate(client, project, scores)
    error = response.get_json()["error"]
    assert response.status_code == 422 and error["code"] == "bad_rating" and error["details"]["field"] == field
    assert db.session.scalar(select(func.count()).select_from(AgencyRating)) == 0


def test_someone_who_took_no_part_may_not_rate(project, client, make_user):
    finish(project)
    login(client, make_user("purchaser", org_kind="purchaser"))  # another unit
    response = rate(client, project)
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "not_project_party"


def test_the_rating_period_is_the_regions_working_days(project, client, clock):
    """Ended Friday 2026-11-27: five working days end Friday 2026-12-04."""
    finish(project)
    login(client, project.purchaser_user)
    clock.set(clock.now().replace(month=12, day=4, hour=15))  # 23:00 Beijing on the last day
    assert rate(client, project).status_code == 201
    client.post("/logout")
    login(client, project.supplier_user)
    clock.advance(timedelta(hours=2))
    response = rate(client, project)
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "rating_period_over"
    assert "评价期限已过" in client.get("/agencies/ratings").get_data(as_text=True)


def test_the_api_lists_what_i_may_rate(project, client):
    finish(project)
    login(client, project.supplier_user)
    [row] = client.get("/api/v1/agencies/ratings").get_json()
    assert (row["title"], row["kind"], row["open"], row["rating"], row["due"]) == (
        "泰顺县教育局课桌椅采购", "supplier", True, None, "2026-12-04")
    rate(client, project)
    assert client.get("/api/v1/agencies/ratings").get_json()[0]["rating"]["scores"] == GOOD
