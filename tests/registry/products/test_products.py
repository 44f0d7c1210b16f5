"""The product library: proposal → review → immutable snapshot, new versions, yearly re-confirmation as a
timed step, offers with their bad input, and the pages and API."""

from datetime import timedelta

import pytest


@pytest.fixture
def world(app_ctx, region, make_user, clock):
    from core.db import db
    from registry.catalogue.demo import import_extract

    import_extract()
    db.session.commit()
    supplier = make_user("supplier", org_kind="supplier")
    other = make_user("supplier", org_kind="supplier")
    reviewer = make_user("agency_staff", org_kind="central_agency", totp=True)
    return {"supplier": supplier, "other": other, "reviewer": reviewer}


def _propose(user, leaf="A02010105", model="启天 M455", product=None):
    from registry.products import service

    return service.propose_product(user, service.ProductData("联想", model, "i5/16GB/512GB", leaf), product)


def test_proposal_to_accepted_snapshot(world):
    from core.db import db
    from registry.products import service
    from registry.products.models import ProductStatus, ProposalStatus

    proposal = _propose(world["supplier"])
    assert service.review_queue() == [proposal]
    version = service.accept_proposal(world["reviewer"], proposal)
    db.session.commit()
    product = version.product
    assert proposal.status == ProposalStatus.ACCEPTED and product.status == ProductStatus.ACTIVE
    assert product.current_version_id == version.id and version.number == 1
    assert version.catalogue_name == "台式计算机" and product.title == "联想 启天 M455"
    assert version.sha256 == service.content_digest(service.version_content(version))
    assert service.review_queue() == []


def test_a_new_version_leaves_the_old_snapshot_and_offers_alone(world):
    from core.db import db
    from registry.products import service

    first = service.accept_proposal(world["reviewer"], _propose(world["supplier"]))
    product = first.product
    offer = service.make_offer(world["other"], product, service.OfferData(5_000_00, ["330329"]))
    with pytest.raises(Exception) as exc:  # the queue holds one change per product at a time
        _propose(world["supplier"], model="启天 M455 新", product=product)
        _propose(world["supplier"], model="启天 M455 再", product=product)
    assert getattr(exc.value, "code", "") == "proposal_pending"
    pending = service.review_queue()[0]
    second = service.accept_proposal(world["reviewer"], pending)
    db.session.commit()
    assert [v.number for v in product.versions] == [1, 2] and product.current_version_id == second.id
    assert first.model == "启天 M455" and second.model == "启天 M455 新"
    assert offer.product_version_id == first.id  # the offer keeps the snapshot it was made on
    service.update_offer(world["other"], offer, service.OfferData(4_900_00, ["330329"]), to_current_version=True)
    assert offer.product_version_id == second.id


def test_snapshots_never_change(world):
    from core.db import db
    from registry.products import service

    version = service.accept_proposal(world["reviewer"], _propose(world["supplier"]))
    db.session.commit()
    version.spec = "篡改"
    with pytest.raises(ValueError, match="snapshot"):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize(("leaf", "code"), [("A020101", "catalogue_not_leaf"), ("A02019999", "catalogue_code_unknown"),
                                            ("", "catalogue_code_required")])
def test_a_product_needs_a_leaf(world, leaf, code):
    from core.errors import ValidationError

    with pytest.raises(ValidationError) as exc:
        _propose(world["supplier"], leaf=leaf)
    assert exc.value.code == code and exc.value.details["field"] == "catalogue_code"


def test_who_may_propose_and_review(world, make_user):
    from core.errors import Forbidden
    from registry.products import service

    purchaser = make_user("purchaser", org_kind="purchaser")
    with pytest.raises(Forbidden):
        _propose(purchaser)
    proposal = _propose(world["supplier"])
    private_agency = make_user("agency_staff", org_kind="agency", totp=True)
    for user in (world["supplier"], private_agency):
        with pytest.raises(Forbidden) as exc:
            service.accept_proposal(user, proposal)
        assert exc.value.code == "not_product_reviewer"
    product = service.accept_proposal(world["reviewer"], proposal).product
    with pytest.raises(Forbidden):
        _propose(world["other"], product=product)  # only the product's own supplier proposes its versions


def test_rejection_needs_a_reason(world):
    from core.errors import ValidationError
    from registry.products import service
    from registry.products.models import ProposalStatus

    proposal = _propose(world["supplier"])
    with pytest.raises(ValidationError):
        service.reject_proposal(world["reviewer"], proposal, " ")
    service.reject_proposal(world["reviewer"], proposal, "参数不全")
    assert proposal.status == ProposalStatus.REJECTED and proposal.product_id is None


def test_unconfirmed_products_are_hidden_by_the_chronograph(world, clock):
    from core import chronograph
    from core.db import db
    from registry.products import search, service
    from registry.products.models import ProductStatus

    product = service.accept_proposal(world["reviewer"], _propose(world["supplier"])).product
    db.session.commit()
    assert product.confirm_due_at == product.confirmed_at + timedelta(days=365)
    clock.advance(timedelta(days=364))
    assert chronograph.run_all()["products-sweep"] == {"hidden": []}
    clock.advance(timedelta(days=2))
    assert chronograph.run_all()["products-sweep"] == {"hidden": [product.id]}
    db.session.refresh(product)
    assert product.status == ProductStatus.HIDDEN and search.search_products("联想") == []
    service.confirm_product(world["supplier"], product)
    db.session.commit()
    assert product.status == ProductStatus.ACTIVE and [h.product_id for h in search.search_products("联想")] == \
        [product.id]


def test_the_period_is_a_region_rule(world, clock):
    from core.db import db
    from registry.products import service
    from tender.rules import set_rule

    set_rule("330329", "product_reconfirm_days", 90, "县里每季度确认")
    db.session.commit()
    clock.advance(timedelta(seconds=1))
    product = service.accept_proposal(world["reviewer"], _propose(world["supplier"])).product
    assert product.confirm_due_at - product.confirmed_at == timedelta(days=90)


@pytest.mark.parametrize(("data", "code", "field"), [
    ({"price_fen": -100}, "price_not_positive", "price_fen"),
    ({"price_fen": 0}, "price_not_positive", "price_fen"),
    ({"price_fen": "十元"}, "price_invalid", "price_fen"),
    ({"min_order_qty": 0}, "min_order_invalid", "min_order_qty"),
    ({"region_codes": []}, "regions_required", "region_codes"),
    ({"region_codes": ["999999"]}, "region_invalid", "region_codes"),
])
def test_bad_offers_are_refused_and_nothing_is_stored(world, data, code, field):
    from sqlalchemy import func, select

    from core.db import db
    from core.errors import ValidationError
    from registry.products import service
    from registry.products.models import Offer

    product = service.accept_proposal(world["reviewer"], _propose(world["supplier"])).product
    db.session.commit()
    values = {"price_fen": 100_00, "region_codes": ["330329"], "min_order_qty": 1} | data
    with pytest.raises(ValidationError) as exc:
        service.make_offer(world["other"], product, service.OfferData(**values))
    assert exc.value.code == code and exc.value.details["field"] == field
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Offer)) == 0


def test_one_offer_per_supplier_and_withdrawal(world):
    from core.errors import Conflict
    from registry.products import search, service

    product = service.accept_proposal(world["reviewer"], _propose(world["supplier"])).product
    offer = service.make_offer(world["other"], product, service.OfferData(100_00, ["330000"]))
    with pytest.raises(Conflict) as exc:
        service.make_offer(world["other"], product, service.OfferData(90_00, ["330000"]))
    assert exc.value.code == "offer_exists"
    assert search.offers_of(product.id, region_code="330329") == [offer]  # the province's offer serves the county
    service.withdraw_offer(world["other"], offer)
    assert search.offers_of(product.id) == []


# ---------------------------------------------------------------- pages and API


def test_the_whole_path_through_the_api(world, client):
    from tests_helpers import login

    assert login(client, world["supplier"]).status_code == 302
    response = client.post("/api/v1/products/proposals", json={
        "brand": "华为", "model": "擎云 B730E", "spec": "i5-12400/16GB/512GB", "catalogue_code": "A02010105"})
    assert response.status_code == 201, response.get_json()
    proposal_id = response.get_json()["id"]
    bad = client.post("/api/v1/products/proposals", json={
        "brand": "华为", "model": "X", "spec": "x", "catalogue_code": "A020101"})
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "catalogue_not_leaf"
    client.post("/logout")
    assert login(client, world["reviewer"]).status_code == 302
    assert [p["id"] for p in client.get("/api/v1/products/proposals").get_json()] == [proposal_id]
    accepted = client.post(f"/api/v1/products/proposals/{proposal_id}/review", json={"decision": "accept"})
    assert accepted.status_code == 200, accepted.get_json()
    product_id = accepted.get_json()["version"]["product_id"]
    client.post("/logout")
    assert login(client, world["other"]).status_code == 302
    negative = client.post(f"/api/v1/products/{product_id}/offers", json={"price_fen": -1, "region_codes": ["330329"]})
    assert negative.status_code == 422 and negative.get_json()["error"]["details"]["field"] == "price_fen"
    made = client.post(f"/api/v1/products/{product_id}/offers", json={"price_fen": 5_990_00,
                                                                     "region_codes": ["330329"], "min_order_qty": 2})
    assert made.status_code == 201
    hits = client.get("/api/v1/products/search?q=华为台式计算机").get_json()
    assert hits == [{"product_id": product_id, "title": "华为 擎云 B730E", "catalogue_code": "A02010105",
                     "offers": 1, "lowest_price_fen": 5_990_00}]
    assert client.get("/api/v1/products/search?code=A0201").get_json()[0]["product_id"] == product_id
    assert client.get("/api/v1/products/search?code=A05").get_json() == []
    assert client.get(f"/api/v1/products/{product_id}/offers").get_json()[0]["min_order_qty"] == 2


def test_pages(world, client):
    from tests_helpers import login

    from registry.products import service

    product = service.accept_proposal(world["reviewer"], _propose(world["supplier"])).product
    _propose(world["supplier"], model="启天 M455 新", product=product)
    from core.db import db

    db.session.commit()
    assert login(client, world["other"]).status_code == 302
    page = client.get("/products/?q=联想").get_data(as_text=True)
    assert "联想 启天 M455" in page
    response = client.post(f"/products/{product.id}/offers", data={"price": "-5", "region_codes": ["330329"]})
    assert response.status_code == 302
    assert "价格请填写不小于零的金额" in client.get(f"/products/{product.id}").get_data(as_text=True)
    client.post(f"/products/{product.id}/offers", data={"price": "4,999.00", "region_codes": ["330329"]})
    assert "4,999.00" in client.get(f"/products/{product.id}").get_data(as_text=True)
    assert client.get("/products/mine").status_code == 200
    assert client.get("/products/queue").status_code == 403
    client.post("/logout")
    assert login(client, world["reviewer"]).status_code == 302
    queue = client.get("/products/queue").get_data(as_text=True)
    assert "启天 M455 新" in queue


def test_withdrawing_a_product_withdraws_its_offers(world, client):
    from tests_helpers import login

    from core.db import db
    from registry.products import search, service
    from registry.products.models import OfferStatus, ProductStatus

    product = service.accept_proposal(world["reviewer"], _propose(world["supplier"])).product
    offer = service.make_offer(world["other"], product, service.OfferData(100_00, ["330329"]))
    db.session.commit()
    assert login(client, world["other"]).status_code == 302
    refused = client.post(f"/api/v1/products/{product.id}/withdraw", json={"reason": "停产"})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "not_own_product"
    client.post("/logout")
    assert login(client, world["supplier"]).status_code == 302
    done = client.post(f"/api/v1/products/{product.id}/withdraw", json={"reason": "停产"})
    assert done.status_code == 200 and done.get_json()["status"] == "withdrawn"
    db.session.expire_all()
    assert product.status == ProductStatus.WITHDRAWN and offer.status == OfferStatus.WITHDRAWN
    assert search.search_products("联想") == []


def test_dashboard_cards(world, client, clock, make_user):
    from tests_helpers import login

    from core.db import db
    from registry.products import service

    product = service.accept_proposal(world["reviewer"], _propose(world["supplier"])).product
    _propose(world["supplier"], model="启天 M455 新", product=product)
    db.session.commit()
    assert login(client, world["reviewer"]).status_code == 302
    assert "启天 M455 新" in client.get("/dashboard").get_data(as_text=True)
    client.post("/logout")
    assert login(client, world["supplier"]).status_code == 302
    assert "联想 启天 M455" not in client.get("/dashboard").get_data(as_text=True)  # due in a year
    clock.advance(timedelta(days=336))
    assert login(client, world["supplier"]).status_code == 302
    page = client.get("/dashboard").get_data(as_text=True)
    assert "联想 启天 M455" in page and "请于" in page
    private = make_user("agency_staff", org_kind="agency", totp=True)
    client.post("/logout")
    assert login(client, private).status_code == 302
    assert "商品待审" not in client.get("/dashboard").get_data(as_text=True)
