"""Issue 21: every library expert has a way in (sign-up for new experts, an activation link for imported
ones), registration carries its evidence, and an employer change goes through finance's review."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pyotp
import pytest
from tests_helpers import login

from accounts.models import Role, User
from core import clock as core_clock
from core.db import db
from core.errors import DomainError
from expert_draw.notify import LogChannel
from registry.experts import changes, importer, onboarding, service
from registry.experts.demo import demo_id_number
from registry.experts.models import (
    Activation,
    ChangeStatus,
    DocumentKind,
    Expert,
    ExpertDocument,
    ExpertStatus,
    RelationKind,
)

HEADER = "姓名,身份证号码,联系电话,区划代码,工作单位,职称,评审专业\n"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def reviewer(make_user, specialties):
    return make_user("finance_reviewer", totp=True)


def registration(**kw) -> service.Registration:
    base = dict(name="张工", id_number=demo_id_number(1, date(1975, 5, 5)), phone="13805770001",
                region_code="330329", employer_name="温州大学", specialty_codes=["B01", "C01"])
    return service.Registration(**{**base, **kw})


def _imported(reviewer, n: int = 1) -> Expert:
    line = [f"导入{n}", demo_id_number(100 + n, date(1970, 1, 1)), f"1380000{n:04d}", "330329", "温州大学", "教授",
            "B01;C01"]
    csv = (HEADER + ",".join(line) + "\n").encode()
    assert importer.import_experts_csv(csv, reviewer).ok
    db.session.commit()
    return db.session.query(Expert).filter_by(name=f"导入{n}").one()


def _link_token() -> str:
    texts = " ".join(m.text for m in LogChannel.sent)
    found = re.findall(r"/experts/activate/([A-Za-z0-9_-]+)", texts)
    assert found, texts
    return found[-1]


def test_an_imported_expert_activates_an_account_from_the_link(client, reviewer, clock):
    expert = _imported(reviewer)
    login(client, reviewer)
    LogChannel.sent.clear()
    page = client.get(f"/experts/{expert.id}").get_data(as_text=True)
    assert "账户未激活" in page and "发送激活邀请" in page
    assert client.post(f"/experts/{expert.id}/activation").status_code == 302
    token = _link_token()
    assert db.session.scalar(db.select(Activation.token_sha256)) != token  # only the digest is kept
    client.post("/logout")

    form = client.get(f"/experts/activate/{token}").get_data(as_text=True)
    assert "导入1专家" in form
    wrong = client.post(f"/experts/activate/{token}", data={"username": "daoru1", "password": "s3cret-pass",
                                                            "password2": "s3cret-pass", "id_last6": "000000"})
    assert wrong.status_code == 422 and "后六位" in wrong.get_data(as_text=True)
    assert db.session.scalar(db.select(User).filter_by(username="daoru1")) is None
    done = client.post(f"/experts/activate/{token}", data={"username": "daoru1", "password": "s3cret-pass",
                                                           "password2": "s3cret-pass",
                                                           "id_last6": expert.id_number[-6:]})
    assert done.status_code == 302 and done.headers["Location"].endswith("/account/totp")
    db.session.expire_all()
    user = db.session.scalar(db.select(User).filter_by(username="daoru1"))
    assert db.session.get(Expert, expert.id).user_id == user.id and user.has_role(Role.EXPERT)
    client.post("/logout")
    again = client.get(f"/experts/activate/{token}")
    assert again.status_code == 409 and "已使用过" in again.get_data(as_text=True)


def test_a_new_link_voids_the_old_one_and_links_expire(reviewer, clock):
    expert = _imported(reviewer)
    first = onboarding.issue_activation(reviewer, expert)
    second = onboarding.issue_activation(reviewer, expert)
    db.session.commit()
    with pytest.raises(DomainError) as exc:
        onboarding.pending_activation(first.token)
    assert exc.value.code == "activation_expired"
    clock.set(core_clock.now() + timedelta(days=15))  # the national default: 14 days
    with pytest.raises(DomainError) as exc:
        onboarding.pending_activation(second.token)
    assert exc.value.code == "activation_expired"
    with pytest.raises(DomainError) as exc:
        onboarding.pending_activation("made-up")
    assert exc.value.code == "activation_invalid"


def test_only_the_library_keepers_and_agencies_send_links_and_never_to_an_account(reviewer, make_user):
    expert = _imported(reviewer)
    with pytest.raises(DomainError) as exc:
        onboarding.issue_activation(make_user("supplier", org_kind="supplier"), expert)
    assert exc.value.code == "not_allowed"
    expert.user_id = make_user("expert").id
    with pytest.raises(DomainError) as exc:
        onboarding.issue_activation(reviewer, expert)
    assert exc.value.code == "already_activated"


def test_a_new_expert_signs_up_then_binds_totp_then_registers(client, specialties, clock):
    bad = client.post("/experts/signup", data={"username": "zhanggong", "name": "张工", "phone": "13805770001",
                                               "region_code": "330329", "password": "s3cret-pass",
                                               "password2": "other-pass"})
    assert bad.status_code == 422 and "不一致" in bad.get_data(as_text=True)
    assert db.session.scalar(db.select(User).filter_by(username="zhanggong")) is None
    done = client.post("/experts/signup", data={"username": "zhanggong", "name": "张工", "phone": "13805770001",
                                                "region_code": "330329", "password": "s3cret-pass",
                                                "password2": "s3cret-pass"})
    assert done.status_code == 302
    assert client.get("/experts/me").headers["Location"].endswith("/account/totp")  # TOTP comes first
    client.get("/account/totp")
    with client.session_transaction() as s:
        secret = s["totp_pending_secret"]
    enrolled = client.post("/account/totp", data={"code": pyotp.TOTP(secret).at(core_clock.now())})
    assert enrolled.headers["Location"].endswith("/experts/me")
    assert client.get("/experts/me").headers["Location"].endswith("/experts/register")


def test_registration_carries_its_evidence_and_a_bad_file_loses_nothing(client, login_as, reviewer, app):
    expert_user = login_as("expert", totp=True)
    form = {"name": "张工", "id_number": registration().id_number, "phone": "13805770001",
            "region_code": "330329", "employer_name": "温州大学", "title": "高级工程师", "specialties": ["B01"]}
    before = {p for p in changes.AREA.root().glob("**/*") if p.is_file()}
    fake = client.post("/experts/register", content_type="multipart/form-data",
                       data={**form, "doc_id_card": (io.BytesIO(b"MZ\x90\x00 not a scan"), "id.pdf")})
    assert fake.status_code == 422 and "PDF、JPG 或 PNG" in fake.get_data(as_text=True)
    assert db.session.query(Expert).count() == 0 and db.session.query(ExpertDocument).count() == 0
    assert {p for p in changes.AREA.root().glob("**/*") if p.is_file()} <= before  # no file left (temp ones too)
    ok = client.post("/experts/register", content_type="multipart/form-data",
                     data={**form, "doc_id_card": (io.BytesIO(PDF), "身份证.pdf"),
                           "doc_title": (io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"0" * 64), "职称.png")})
    assert ok.status_code == 302
    expert = service.expert_of_user(expert_user)
    assert sorted(d.kind.value for d in expert.documents) == ["id_card", "title"]
    assert changes.missing_kinds(expert) == []
    doc = next(d for d in expert.documents if d.kind == DocumentKind.ID_CARD)
    assert _download(client, expert, doc) == PDF  # the expert's own
    client.post("/logout")
    other = login_as("expert", totp=True)
    assert other and client.get(f"/experts/{expert.id}/documents/{doc.id}").status_code == 403
    client.post("/logout")
    login(client, reviewer)
    page = client.get(f"/experts/{expert.id}").get_data(as_text=True)
    assert "身份证.pdf" in page and "尚缺" not in page
    assert _download(client, expert, doc) == PDF


def _download(client, expert, doc) -> bytes:
    response = client.get(f"/experts/{expert.id}/documents/{doc.id}")
    try:
        return response.data
    finally:
        response.close()


def _admitted(make_user, reviewer) -> Expert:
    user = make_user("expert", totp=True)
    expert = service.register_expert(user, registration())
    service.admit_expert(reviewer, expert)
    db.session.commit()
    return expert


def test_an_employer_change_is_reviewed_and_the_old_employer_is_kept(make_user, reviewer, clock):
    expert = _admitted(make_user, reviewer)
    today = core_clock.to_local(core_clock.now()).date()
    with pytest.raises(DomainError) as exc:
        changes.request_employer_change(expert, "温州医科大学", today + timedelta(days=3))
    assert exc.value.code == "start_in_future"
    change = changes.request_employer_change(expert, "温州医科大学", today)
    db.session.commit()
    assert [(r.kind, r.org_name) for r in expert.relations] == [(RelationKind.PENDING_EMPLOYER, "温州医科大学")]
    with pytest.raises(DomainError) as exc:
        changes.request_employer_change(expert, "别的单位", today)
    assert exc.value.code == "change_pending"
    with pytest.raises(DomainError) as exc:
        changes.review_employer_change(reviewer, change.id, approve=False)
    assert exc.value.code == "reason_required"
    with pytest.raises(DomainError) as exc:
        changes.review_employer_change(make_user("agency_staff"), change.id, approve=True)
    assert exc.value.code == "not_reviewer"
    changes.review_employer_change(reviewer, change.id, approve=True)
    db.session.commit()
    db.session.expire_all()
    expert = db.session.get(Expert, expert.id)
    assert expert.employer_name == "温州医科大学" and change.status == ChangeStatus.APPROVED
    assert [(r.kind, r.org_name, r.end_on) for r in expert.relations] == [
        (RelationKind.PAST_EMPLOYER, "温州大学", today - timedelta(days=1))]


def test_a_rejected_change_changes_nothing_on_file(make_user, reviewer, clock):
    expert = _admitted(make_user, reviewer)
    change = changes.request_employer_change(expert, "温州医科大学", date(2026, 1, 5))
    changes.review_employer_change(reviewer, change.id, approve=False, note="在职证明与单位不符")
    db.session.commit()
    db.session.expire_all()
    expert = db.session.get(Expert, expert.id)
    assert expert.employer_name == "温州大学" and expert.relations == []
    assert expert.status == ExpertStatus.ACTIVE
