"""Editing a draft project (service, page, API) and removing a draft's documents: the same checks as
creation, lots and custodians replaced as given, an audit event naming what changed, and every
refusal (published, another agency, invalid input) changing nothing."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from tender_helpers import project_data
from tests_helpers import login

from core.errors import Conflict, Forbidden, NotFound, ValidationError


def _events(action: str) -> list[dict]:
    from audit.models import AuditEvent

    return [json.loads(e.payload) for e in AuditEvent.query.filter_by(action=action).order_by(AuditEvent.seq)]


def _state(project_id: int) -> dict:
    """The project's input as stored (read fresh from the database)."""
    from core.db import db
    from tender import service

    db.session.expire_all()
    return service.project_input(service.get_project(project_id))


def _edited(world, now, **overrides) -> dict:
    """Another valid input: other title, method, criteria, one lot, custodians swapped, no vault."""
    keeper0, keeper1 = (u for u, _ in world.custodians)
    data = {"title": "泰顺县教育局教学设备采购项目（修改）", "method": "competitive_consultation",
            "criteria": [{"name": "价格", "weight": 30, "price": True}, {"name": "技术，服务|方案", "weight": 70}],
            "lots": [{"name": "交互式智能平板, 86英寸", "budget_fen": 150_000_50, "max_price_fen": 150_000_50}],
            "deadline": (now + timedelta(days=12, seconds=37)).isoformat(),
            "custodian_user_ids": [keeper1.id, keeper0.id], "include_vault": False, "k": 2}
    data.update(overrides)
    return project_data(world, now, **data)


# ---------------------------------------------------------------- service

def test_update_replaces_everything_and_audits_what_changed(world, make_project, clock):
    from audit.canonical import canonical_json
    from core.db import db
    from tender import service

    project = make_project(publish=False)
    lot_ids = [lot.id for lot in project.lots]
    before = _state(project.id)
    data = _edited(world, clock.now())
    service.update_project(world.agency, project.id, data)
    db.session.commit()
    after = _state(project.id)
    assert after["title"] == data["title"] and after["method"] == "competitive_consultation"
    assert after["lots"] == data["lots"] and after["criteria"] == [{**c, "price": bool(c.get("price"))}
                                                                   for c in data["criteria"]]
    assert after["custodian_user_ids"] == data["custodian_user_ids"] and after["include_vault"] is False
    assert after["deadline"] == data["deadline"]
    project = service.get_project(project.id)
    assert [lot.id for lot in project.lots] == lot_ids[:1]  # lot 1 kept in place, lot 2 gone
    assert [(c.custodian_id, c.position) for c in project.custodians] == [
        (f"u{data['custodian_user_ids'][0]}", 0), (f"u{data['custodian_user_ids'][1]}", 1)]
    assert project.status.value == "draft" and len(project.documents) == 1
    [event] = _events("tender.project_updated")
    assert event["changed"] == ["criteria", "custodian_user_ids", "deadline", "include_vault", "lots", "method",
                                "title"]
    assert event["before_sha256"] == hashlib.sha256(canonical_json(before)).hexdigest()
    assert event["after_sha256"] == hashlib.sha256(canonical_json(after)).hexdigest()
    assert event["n"] == 2 and event["budget_fen"] == 150_000_50

    # and back: two lots again (a new lot 2), the vault again, three custodians
    service.update_project(world.agency, project.id, project_data(world, clock.now()))
    db.session.commit()
    assert _state(project.id) == before
    assert [c.custodian_id for c in service.get_project(project.id).custodians][-1] == "vault"
    assert len(_events("tender.project_updated")) == 2


def test_an_unchanged_save_writes_no_event(world, make_project):
    from tender import service

    project = make_project(publish=False)
    service.update_project(world.agency, project.id, service.project_input(project))
    assert _events("tender.project_updated") == []


def test_edited_draft_publishes_with_the_new_custody(world, make_project, clock):
    from core.db import db
    from tender import service

    project = make_project(publish=False)
    service.update_project(world.agency, project.id, _edited(world, clock.now()))
    db.session.commit()
    service.publish_project(world.agency, project.id)
    db.session.commit()
    [lot] = project.lots
    assert lot.policy["k"] == 2 and [c["id"] for c in lot.policy["custodians"]] == [
        c.custodian_id for c in project.custodians]


@pytest.mark.parametrize("change, field", [
    ({"criteria": [{"name": "价格", "weight": 40, "price": True}, {"name": "技术", "weight": 50}]}, "criteria"),
    ({"lots": []}, "lots"),
    ({"lots": [{"name": "甲", "budget_fen": 100, "max_price_fen": 200}]}, "lots"),
    ({"k": 5}, "k"),
    ({"custodian_user_ids": [], "include_vault": False}, "custodians"),
    ({"custodian_user_ids": [999999]}, "custodians"),
    ({"opening_mode": "magic"}, "opening_mode"),
    ({"title": "  "}, "title"),
    ("deadline_too_soon", "deadline"),  # public tender: 20 days from the notice
    ("inquiry_ok_then_public", "deadline"),
])
def test_invalid_edit_changes_nothing(world, make_project, clock, change, field):
    from core.db import db
    from tender import service

    project = make_project(publish=False)
    before = _state(project.id)
    now = clock.now()
    if change == "deadline_too_soon":
        change = {"deadline": (now + timedelta(days=19)).isoformat()}
    elif change == "inquiry_ok_then_public":  # 6 days are enough for an inquiry, not for a public tender
        service.update_project(world.agency, project.id, project_data(
            world, now, method="inquiry", doc_end_at=(now + timedelta(days=5)).isoformat(),
            clarify_deadline=(now + timedelta(days=5)).isoformat(), deadline=(now + timedelta(days=6)).isoformat()))
        db.session.commit()
        before = _state(project.id)
        change = {"method": "public_tender"}
    with pytest.raises(ValidationError) as exc:
        service.update_project(world.agency, project.id, {**before, **change})
    assert exc.value.code == "project_invalid" and field in exc.value.details["fields"]
    assert service.project_input(project) == before  # nothing touched before the refusal
    db.session.rollback()
    assert _state(project.id) == before
    assert len(_events("tender.project_updated")) == (1 if before["method"] == "inquiry" else 0)


def test_create_and_update_share_one_validation(world, make_project, clock):
    """What creation refuses, an edit refuses with the same field messages."""
    from core.db import db
    from tender import service

    project = make_project(publish=False)
    bad = project_data(world, clock.now(), k=0, catalogue_code="Z1", lots=[])
    with pytest.raises(ValidationError) as created:
        service.create_project(world.agency, bad)
    db.session.rollback()
    with pytest.raises(ValidationError) as updated:
        service.update_project(world.agency, project.id, bad)
    assert created.value.details == updated.value.details
    assert set(created.value.details["fields"]) == {"k", "catalogue_code", "lots"}


@pytest.mark.parametrize("who", ["other_agency", "supplier", "custodian"])
def test_only_the_projects_agency_edits(world, make_project, make_user, clock, who):
    from tender import service

    project = make_project(publish=False)
    before = _state(project.id)
    user = {"other_agency": lambda: make_user("agency_staff", org_kind="agency"),
            "supplier": lambda: world.suppliers[0].user, "custodian": lambda: world.custodians[0][0]}[who]()
    with pytest.raises(Forbidden) as exc:
        service.update_project(user, project.id, _edited(world, clock.now()))
    assert exc.value.code == "not_project_staff" and _state(project.id) == before


@pytest.mark.parametrize("status", ["bidding", "cancelled"])
def test_a_published_or_cancelled_project_cannot_be_edited(world, make_project, clock, status):
    from core.db import db
    from tender import service

    project = make_project(publish=status == "bidding")
    if status == "cancelled":
        service.cancel_project(world.agency, project.id, "采购需求变更")
        db.session.commit()
    before = _state(project.id)
    with pytest.raises(Conflict) as exc:
        service.update_project(world.agency, project.id, _edited(world, clock.now()))
    assert exc.value.code == "project_not_draft" and exc.value.status == 409
    db.session.rollback()
    assert _state(project.id) == before and _events("tender.project_updated") == []


def test_missing_project(world):
    from tender import service

    with pytest.raises(NotFound):
        service.update_project(world.agency, 424242, {})


# ---------------------------------------------------------------- page

class _Form(HTMLParser):
    """The values a browser would send for the form with id `project-form`, untouched."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._in_form = False
        self._textarea: str | None = None
        self._select: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id") == "project-form":
            self._in_form = True
        if not self._in_form:
            return
        if tag == "input" and a.get("name"):
            if a.get("type") != "checkbox" or "checked" in a:
                self.fields.append((a["name"], a.get("value") or ""))
        elif tag == "textarea":
            self._textarea, self._text = a["name"], ""
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and "selected" in a:
            self.fields.append((self._select, a["value"]))

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "textarea" and self._textarea:
            self.fields.append((self._textarea, self._text))
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self._text += data


def _form_of(page: str) -> dict[str, list[str]]:
    parser = _Form()
    parser.feed(page)
    out: dict[str, list[str]] = {}
    for name, value in parser.fields:
        out.setdefault(name, []).append(value)
    return out


def test_edit_page_round_trips_exactly_and_saves(world, make_project, client, clock):
    """Odd inputs survive the form untouched: commas in names, fen amounts, custodian order, seconds."""
    from tender import service

    project = make_project(publish=False, **_edited(world, clock.now(), include_vault=True, k=3))
    before = _state(project.id)
    login(client, world.agency)
    page = client.get(f"/tender/{project.id}").get_data(as_text=True)
    assert f'href="/tender/{project.id}/edit"' in page and "编辑" in page
    page = client.get(f"/tender/{project.id}/edit").get_data(as_text=True)
    assert "编辑采购项目" in page and project.code in page and "保存修改" in page
    form = _form_of(page)
    assert form["lots"] == ["交互式智能平板, 86英寸, 150000.50, 150000.50"]
    assert form["custodian_user_ids"] == [str(uid) for uid in before["custodian_user_ids"]]
    response = client.post(f"/tender/{project.id}/edit", data=form)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/tender/{project.id}")
    assert _state(project.id) == before and _events("tender.project_updated") == []

    form["title"] = ["罗阳镇教学设备采购"]
    form["lots"] = ["交互式智能平板, 86英寸, 150000.50, 150000.50\n学生电脑，含显示器, 200000, 190000"]
    form["k"] = ["2"]
    response = client.post(f"/tender/{project.id}/edit", data=form)
    assert response.status_code == 302
    after = _state(project.id)
    assert after["title"] == "罗阳镇教学设备采购" and after["k"] == 2
    assert after["lots"][1] == {"name": "学生电脑，含显示器", "budget_fen": 200_000_00, "max_price_fen": 190_000_00}
    assert after["deadline"] == before["deadline"]  # untouched time keeps its seconds
    assert _events("tender.project_updated")[0]["changed"] == ["k", "lots", "title"]
    assert "项目草稿已保存" in client.get(f"/tender/{project.id}").get_data(as_text=True)
    assert service.get_project(project.id).status.value == "draft"


@pytest.mark.parametrize("field, value, message", [
    ("criteria", "价格, 40, 价格\n技术, 50", "之和必须为 100"),
    ("criteria", "价格 四十", "评分因素第 1 行"),
    ("lots", "平板, 一百万, 1", "无效"),
    ("lots", "平板", "标项第 1 行"),
    ("k", "9", "1 到 3"),
    ("deadline", "2000-01-01T09:00", "不得少于 20 日"),
])
def test_edit_page_shows_errors_per_field_and_changes_nothing(world, make_project, client, field, value,
                                                               message):
    project = make_project(publish=False)
    before = _state(project.id)
    login(client, world.agency)
    form = _form_of(client.get(f"/tender/{project.id}/edit").get_data(as_text=True))
    form[field] = [value]
    response = client.post(f"/tender/{project.id}/edit", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and message in page
    assert '<div class="text-danger small">' in page  # next to its field, as on the new form
    assert _form_of(page)[field] == [value]  # what was typed stays in the form
    assert _state(project.id) == before and _events("tender.project_updated") == []


def test_edit_page_refusals(world, make_project, make_user, client):
    draft, published = make_project(publish=False), make_project()
    login(client, make_user("agency_staff", org_kind="agency"))  # another agency's draft is invisible
    assert client.get(f"/tender/{draft.id}/edit").status_code == 404
    assert client.post(f"/tender/{draft.id}/edit", data={"title": "x"}).status_code == 404
    client.post("/logout")
    login(client, world.suppliers[0].user)
    assert client.get(f"/tender/{draft.id}/edit").status_code == 404  # a draft is invisible to suppliers
    client.post("/logout")
    login(client, world.agency)
    before = _state(published.id)
    assert 'id="edit-project"' not in client.get(f"/tender/{published.id}").get_data(as_text=True)
    for response in (client.get(f"/tender/{published.id}/edit"),
                     client.post(f"/tender/{published.id}/edit", data={"title": "改"})):
        assert response.status_code == 302 and response.headers["Location"].endswith(f"/tender/{published.id}")
    assert "不能再编辑" in client.get(f"/tender/{published.id}").get_data(as_text=True)
    assert _state(published.id) == before


# ---------------------------------------------------------------- API

def test_edit_through_the_api(world, make_project, make_user, client, clock):
    project = make_project(publish=False)
    url = f"/api/v1/tender/projects/{project.id}"
    login(client, world.agency)
    data = _edited(world, clock.now())
    response = client.put(url, json=data)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["title"] == data["title"] and body["n"] == 2 and [lot["name"] for lot in body["lots"]] == [
        "交互式智能平板, 86英寸"]
    assert client.get(url).get_json() == body

    response = client.patch(url, json={"title": "只改名称"})
    assert response.status_code == 200 and response.get_json()["title"] == "只改名称"
    assert response.get_json()["lots"] == body["lots"] and response.get_json()["n"] == 2
    assert _events("tender.project_updated")[-1]["changed"] == ["title"]

    before = _state(project.id)
    for method, payload, status, code in [
        ("patch", {"k": 7}, 422, "project_invalid"),
        ("patch", {"lots": []}, 422, "project_invalid"),
        ("put", {**data, "deadline": clock.now().isoformat()}, 422, "project_invalid"),
        ("put", {"title": "缺字段"}, 422, None),  # the schema: required fields missing
        ("patch", {"k": "two"}, 422, None),
    ]:
        response = getattr(client, method)(url, json=payload)
        assert response.status_code == status, (payload, response.get_json())
        if code:
            assert response.get_json()["error"]["code"] == code
            assert response.get_json()["error"]["details"]["fields"]
    assert _state(project.id) == before

    client.post("/logout")
    login(client, make_user("agency_staff", org_kind="agency"))
    response = client.patch(url, json={"title": "别家改"})
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "not_project_staff"
    assert _state(project.id) == before


def test_api_refuses_to_edit_a_published_project(world, make_project, client, clock):
    project = make_project()
    before = _state(project.id)
    login(client, world.agency)
    for method in ("put", "patch"):
        response = getattr(client, method)(f"/api/v1/tender/projects/{project.id}",
                                            json=project_data(world, clock.now(), title="发布后再改"))
        assert response.status_code == 409 and response.get_json()["error"]["code"] == "project_not_draft"
    assert _state(project.id) == before


def test_openapi_lists_the_edit(client, app_ctx):
    spec = client.get("/api/v1/openapi.json")
    if spec.status_code == 404:
        pytest.skip("no OpenAPI document served")
    paths = spec.get_json()["paths"]
    assert {"put", "patch", "get"} <= set(paths["/api/v1/tender/projects/{project_id}"])


# ---------------------------------------------------------------- documents

def _file(doc):
    from tender import filestore

    return filestore.absolute(doc.path)


def test_documents_are_removable_only_in_draft(world, make_project, client):
    from core.db import db
    from tender import service
    from tender.models import TenderDocument

    project = make_project(publish=False)
    wrong = service.add_document(world.agency, project, "错误版本.pdf", io.BytesIO(b"wrong"))
    db.session.commit()
    path, wrong_id, wrong_sha = _file(wrong), wrong.id, wrong.sha256
    assert path.exists()
    login(client, world.agency)
    page = client.get(f"/tender/{project.id}").get_data(as_text=True)
    assert page.count("js-remove-doc") == 2
    response = client.post(f"/tender/{project.id}/documents/{wrong_id}/remove")
    assert response.status_code == 302
    assert "已删除招标文件" in client.get(f"/tender/{project.id}").get_data(as_text=True)
    assert db.session.get(TenderDocument, wrong_id) is None and not path.exists()
    [event] = _events("tender.document_removed")
    assert event == {"project": project.code, "name": "错误版本.pdf", "sha256": wrong_sha}

    response = client.delete(f"/api/v1/tender/projects/{project.id}/documents/{wrong_id}")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "document_not_found"
    service.publish_project(world.agency, project.id)
    db.session.commit()
    doc = project.documents[0]
    response = client.delete(f"/api/v1/tender/projects/{project.id}/documents/{doc.id}")
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "project_not_draft"
    client.post(f"/tender/{project.id}/documents/{doc.id}/remove")
    page = client.get(f"/tender/{project.id}").get_data(as_text=True)
    assert "只能通过更正公告修改" in page and "js-remove-doc" not in page
    db.session.expire_all()
    assert db.session.get(TenderDocument, doc.id) is not None and _file(doc).exists()
    assert len(_events("tender.document_removed")) == 1


def test_document_removal_through_the_api_and_refusals(world, make_project, make_user, client):
    from core.db import db
    from tender import service
    from tender.models import TenderDocument

    project, other = make_project(publish=False), make_project(publish=False)
    doc = project.documents[0]
    path = _file(doc)
    # a project redone by another method shares its predecessor's file
    db.session.add(TenderDocument(project_id=other.id, name=doc.name, path=doc.path, size=doc.size,
                                  sha256=doc.sha256, uploaded_at=doc.uploaded_at))
    db.session.commit()
    url = f"/api/v1/tender/projects/{project.id}/documents/{doc.id}"
    login(client, make_user("agency_staff", org_kind="agency"))
    response = client.delete(url)
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "not_project_staff"
    client.post("/logout")
    login(client, world.agency)
    assert client.delete(f"/api/v1/tender/projects/{other.id}/documents/{doc.id}").status_code == 404
    response = client.delete(url)
    assert response.status_code == 204
    db.session.expire_all()
    assert service.get_project(project.id).documents == [] and path.exists()  # still used by `other`
    with pytest.raises(ValidationError, match="发布前请上传招标文件"):
        service.publish_project(world.agency, project.id)
