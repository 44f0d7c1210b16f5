"""Pages and the hall: who may reach what (a table), the agency's create-upload-publish flow
through the forms, the public notice with the policy hash, and the Socket.IO hall."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from pdf_helpers import assert_readable
from tender_helpers import seal_bid, submit, sweep_with_keeper, vault_and_keeper
from tests_helpers import login


def _local(dt) -> str:
    from core import clock

    return clock.format_local(dt, "%Y-%m-%dT%H:%M")


def test_agency_creates_uploads_and_publishes_through_pages(world, client, clock):
    from notices.models import Notice
    from tender.models import Project

    now = clock.now()
    login(client, world.agency)
    assert "新建采购项目" in client.get("/tender/new").get_data(as_text=True)
    form = {"title": "罗阳镇物业服务采购", "catalogue_code": "C21040000",
            "purchaser_org_id": str(world.purchaser_org.id),
            "category": "services", "method": "public_tender", "eval_method": "scoring",
            "lots": "物业服务, 500000, 480000", "criteria": "价格, 5, 价格\n服务方案, 95",
            "notice_at": _local(now), "doc_start_at": _local(now), "doc_end_at": _local(now + timedelta(days=7)),
            "clarify_deadline": _local(now + timedelta(days=10)), "deadline": _local(now + timedelta(days=21)),
            "opening_mode": "custodian", "decrypt_window_minutes": "30",
            "custodian_user_ids": [str(world.custodians[0][0].id)], "include_vault": "1", "k": "2"}
    response = client.post("/tender/new", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "10%" in page  # services: price weight at least 10
    form["criteria"] = "价格, 20, 价格\n服务方案, 80"
    response = client.post("/tender/new", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    project = Project.query.one()
    assert project.lots[0].budget_fen == 500_000_00 and project.k == 2
    url = f"/tender/{project.id}"
    client.post(f"{url}/publish")
    assert Project.query.one().status.value == "draft"  # no document yet: refused with a message
    assert "发布前请上传招标文件" in client.get(url).get_data(as_text=True)
    client.post(f"{url}/documents", data={"file": (io.BytesIO(b"doc"), "招标文件.docx")},
                content_type="multipart/form-data")
    client.post(f"{url}/publish")
    project = Project.query.one()
    assert project.status.value == "bidding"
    notice = Notice.query.filter_by(kind="tender").one()
    client.post("/logout")
    public = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert project.lots[0].policy_hash in public and "罗阳镇物业服务采购" in public
    assert client.get(f"/notices/lots/{project.lots[0].id}/policy.json").get_json()["k"] == 2
    assert notice.title in client.get("/notices").get_data(as_text=True)


@pytest.mark.parametrize("who, path, expected", [
    ("anonymous", "/notices", 200),
    ("anonymous", "/tender/{p}", 302),
    ("anonymous", "/tender/{p}/hall", 302),
    ("supplier_registered", "/tender/{p}", 200),
    ("supplier_registered", "/tender/{p}/hall", 200),
    ("supplier_registered", "/tender/{p}/lots/{lot}/bid", 200),
    ("supplier_unregistered", "/tender/{p}", 200),
    ("supplier_unregistered", "/tender/{p}/hall", 403),
    ("supplier_unregistered", "/tender/{p}/lots/{lot}/bid", 302),
    ("supplier_registered", "/tender/new", 403),
    ("agency", "/tender/new", 200),
    ("agency", "/tender/{p}/hall", 200),
    ("custodian", "/tender/{p}/hall", 200),
    ("agency", "/tender/", 200),
    ("supplier_registered", "/tender/keys", 200),
    ("custodian", "/tender/keys", 200),
])
def test_page_permissions(world, make_project, client, who, path, expected):
    project = make_project(register=2)
    users = {"supplier_registered": world.suppliers[0].user, "supplier_unregistered": world.suppliers[3].user,
             "agency": world.agency, "custodian": world.custodians[0][0]}
    if who != "anonymous":
        login(client, users[who])
    response = client.get(path.format(p=project.id, lot=project.lots[0].id))
    assert response.status_code == expected


def test_project_page_never_shows_other_suppliers_bids(world, make_project, client):
    project = make_project()
    lot = project.lots[0]
    a, b = world.suppliers[0], world.suppliers[1]
    assert submit(client, a.user, project, lot, seal_bid(project, lot, a)).status_code == 201
    mine = client.get(f"/tender/{project.id}").get_data(as_text=True)
    assert "待解密" in mine
    login(client, b.user)
    theirs = client.get(f"/tender/{project.id}").get_data(as_text=True)
    assert "尚未递交投标文件" in theirs and "待解密" not in theirs


def test_hall_socket_requires_login_and_room_rights(app, world, make_project, hall_client, clock):
    def emit(sio, event, data):  # each event in its own app context, as in production
        with app.app_context():
            return sio.emit(event, data, namespace="/opening", callback=True)

    project = make_project(register=2)
    assert not hall_client().is_connected("/opening")

    outsider = hall_client(world.suppliers[3].user)  # not registered
    assert outsider.is_connected("/opening")
    reply = emit(outsider, "join", {"project_id": project.id})
    assert reply["ok"] is False and reply["error"]["code"] == "hall_forbidden"

    sio = hall_client(world.suppliers[0].user)
    other = hall_client(world.suppliers[1].user)
    reply = emit(sio, "join", {"project_id": project.id})
    assert reply["ok"], reply
    assert reply["state"]["counts"] is None and reply["state"]["next_event"]["label"] == "投标截止并开标"
    assert emit(other, "join", {"project_id": project.id})["ok"]
    early = emit(sio, "checkin", {"project_id": project.id})
    assert early == {"ok": False, "error": {"code": "checkin_not_open", "message": "开标前 60 分钟开始签到。"}}
    clock.set(project.deadline - timedelta(minutes=10))
    other.get_received("/opening")
    assert emit(sio, "checkin", {"project_id": project.id}) == {"ok": True}
    assert [e["name"] for e in other.get_received("/opening")] == ["changed"]
    assert outsider.get_received("/opening") == []  # not in the room


def test_objection_and_answer_in_the_hall(world, make_project, client, clock):

    project = make_project(**vault_and_keeper(world))
    lot = project.lots[0]
    for s in world.suppliers[:3]:
        assert submit(client, s.user, project, lot, seal_bid(project, lot, s)).status_code == 201
    clock.set(project.deadline)
    sweep_with_keeper(world)
    login(client, world.suppliers[0].user)
    assert client.post(f"/api/v1/tender/projects/{project.id}/checkin").status_code == 200
    assert client.post(f"/api/v1/tender/projects/{project.id}/confirm").status_code == 200
    made = client.post(f"/api/v1/tender/projects/{project.id}/objections", json={"text": "第2家报价读错"})
    assert made.status_code == 201
    login(client, world.suppliers[1].user)
    state = client.get(f"/api/v1/tender/projects/{project.id}/hall").get_json()
    assert state["objections"][0]["org"] is None  # other suppliers do not see who objected
    assert len(state["record"]) == 3
    login(client, world.agency)
    answered = client.post(f"/api/v1/tender/objections/{made.get_json()['id']}/answer", json={"text": "已核对，无误。"})
    assert answered.status_code == 200
    state = client.get(f"/api/v1/tender/projects/{project.id}/hall").get_json()
    assert state["objections"][0]["answer"] == "已核对，无误。"
    assert state["checkin_list"][0]["confirmed"] is True


def test_opening_record_pdf(world, make_project, client, clock):
    pytest.importorskip("reportlab")

    project = make_project(**vault_and_keeper(world))
    lot = project.lots[0]
    for s in world.suppliers[:3]:
        assert submit(client, s.user, project, lot, seal_bid(project, lot, s)).status_code == 201
    assert client.get(f"/tender/{project.id}/record.pdf").status_code == 404  # nothing opened yet
    clock.set(project.deadline)
    sweep_with_keeper(world)
    response = client.get(f"/tender/{project.id}/record.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert b"STSong-Light" not in response.data  # never a CID font that a viewer may lack
    text = assert_readable(response.data, "开标记录表", project.title, project.code, "北京时间")
    for s in world.suppliers[:3]:
        assert s.user.org.name in text
    assert "90,000.00" in text  # the price in figures (seal_bid: 90 000.00 yuan)


def test_objection_answered_through_the_socket(app, world, make_project, client, clock, hall_client):
    from tender.models import Objection

    project = make_project(**vault_and_keeper(world))
    lot = project.lots[0]
    for s in world.suppliers[:3]:
        assert submit(client, s.user, project, lot, seal_bid(project, lot, s)).status_code == 201
    clock.set(project.deadline)
    sweep_with_keeper(world)
    supplier, agent = hall_client(world.suppliers[0].user), hall_client(world.agency)

    def emit(sio, event, data):
        with app.app_context():
            return sio.emit(event, data, namespace="/opening", callback=True)

    assert emit(supplier, "join", {"project_id": project.id})["ok"]
    assert emit(agent, "join", {"project_id": project.id})["ok"]
    assert emit(supplier, "object", {"project_id": project.id, "text": "开标记录第1行报价有误"}) == {"ok": True}
    objection = Objection.query.one()
    assert emit(supplier, "answer", {"project_id": project.id, "objection_id": objection.id,
                                     "answer": "自己答复"})["error"]["code"] == "not_project_staff"
    supplier.get_received("/opening")
    assert emit(agent, "answer", {"project_id": 999, "objection_id": objection.id, "answer": "已复核"}) == {"ok": True}
    assert [e["args"][0]["project_id"] for e in supplier.get_received("/opening")] == [project.id]
    from core.db import db

    db.session.expire_all()
    assert Objection.query.one().answer == "已复核"


def test_public_home_page_lists_the_published_notices(world, make_project, client):
    from notices.models import Notice

    empty = client.get("/").get_data(as_text=True)
    assert "正在公告的采购项目会列在这里" in empty
    project = make_project()
    notice = Notice.query.filter_by(subject_id=project.id, kind="tender").one()
    page = client.get("/").get_data(as_text=True)
    assert notice.title in page and f"/notices/{notice.id}" in page


def test_opening_record_pdf_with_hostile_bidder_text(world, make_project, client, clock, tmp_path):
    """Bidder-controlled text (the sealed summary's delivery and remarks) is text in the record, never markup:
    before core.pdf.escape an unclosed <b> broke the record (500), <a href> made a link and <img> opened a file."""
    pytest.importorskip("reportlab")


    import crypto
    from tender.bids import bidder_id_of

    secret = tmp_path / "secret.png"
    secret.write_bytes(b"not an image")
    hostile = f'<b>30日<img src="{secret}" width="9" height="9"/><a href="http://evil.example/">点此</a>'
    project = make_project(**vault_and_keeper(world))
    lot = project.lots[0]
    for i, s in enumerate(world.suppliers[:3]):
        out = io.BytesIO()
        summary = {"bidder": s.user.org.name, "lot": str(lot.number), "price_fen": 90_000_00 + i,
                   "delivery": hostile, "remarks": hostile + "\x00<font size=90>"}
        crypto.seal(lot.policy, s.sign_key, s.enc_key.public_key(), summary,
                    [("a.txt", io.BytesIO(b"x"))], out, bidder_id_of(s.user.org), chunk_size=65536)
        assert submit(client, s.user, project, lot, out.getvalue()).status_code == 201
    clock.set(project.deadline)
    sweep_with_keeper(world)
    response = client.get(f"/tender/{project.id}/record.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert b"/URI" not in response.data and b"/Subtype /Image" not in response.data


def test_hall_events_need_the_pages_csrf_token(app, world, make_project, clock, monkeypatch):
    """A socket event that changes state carries the hall page's CSRF token (issue 11): the cookie alone is
    what any other site's page could ride on."""
    import re

    from core.extensions import socketio

    monkeypatch.setattr(socketio, "server", app.wsgi_app.engineio_app)
    project = make_project(register=2)
    clock.set(project.deadline - timedelta(minutes=10))
    with app.app_context():
        browser = app.test_client()
        login(browser, world.suppliers[0].user)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    with app.app_context():
        page = browser.get(f"/tender/{project.id}/hall").get_data(as_text=True)
    token = re.search(r'data-csrf="([^"]+)"', page).group(1)
    with app.app_context():
        sio = socketio.test_client(app, namespace="/opening", flask_test_client=browser)

    def emit(data):
        with app.app_context():
            return sio.emit("checkin", data, namespace="/opening", callback=True)

    try:
        for forged in ({"project_id": project.id}, {"project_id": project.id, "csrf_token": "forged"}):
            assert emit(forged)["error"]["code"] == "csrf_failed"
        assert emit({"project_id": project.id, "csrf_token": token}) == {"ok": True}
    finally:
        sio.disconnect(namespace="/opening")
