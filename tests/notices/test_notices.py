"""The notice kit: one publish_notice for any subject, audited in the caller's transaction, on public pages
with its attachments and a proof of publication anyone can check."""

import hashlib
import json
from types import SimpleNamespace

import pytest


@pytest.fixture
def subject(app_ctx, region):
    """A stored model with a region that is not a tender project: the kit needs nothing else of a subject."""
    from accounts import service
    from accounts.models import OrgKind
    from core.db import db

    org = service.create_org("泰顺县机关事务管理局", OrgKind.PURCHASER, region)
    db.session.commit()
    return org


def _events(action: str) -> list[dict]:
    from audit.models import AuditEvent
    from core.db import db

    rows = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq))
    return [{"object": (e.object_type, e.object_id), **json.loads(e.payload)} for e in rows]


def test_publish_writes_the_notice_and_its_event_in_the_callers_transaction(subject, clock):
    from core.db import db
    from notices import kinds
    from notices.models import Notice
    from notices.service import notices_of, publish_notice

    notice = publish_notice(subject, kinds.RESULT, "成交结果公告", "成交供应商：甲", rule_version=3)
    db.session.rollback()  # the caller's transaction fails: neither the notice nor its event stays
    assert db.session.scalar(db.select(db.func.count()).select_from(Notice)) == 0
    assert _events("notice.published") == []

    notice = publish_notice(subject, kinds.RESULT, "成交结果公告", "成交供应商：甲", rule_version=3)
    db.session.commit()
    assert (notice.subject_type, notice.subject_id, notice.region_code) == ("org", subject.id, "330329")
    assert notice.kind == "result" and notice.kind.label == "结果公告" and notice.published_at == clock.now()
    [event] = _events("notice.published")
    assert event["object"] == ("notice", str(notice.id)) and event["subject"] == f"org:{subject.id}"
    assert event["body_sha256"] == hashlib.sha256("成交供应商：甲".encode()).hexdigest()
    assert event["kind"] == "result" and event["rule_version"] == 3 and event["region"] == "330329"
    db.session.expire_all()
    assert notices_of(subject) == [notice] and notice.audit_seq is not None


def test_an_unregistered_kind_or_a_subject_without_region_is_refused(subject):
    from core.db import db
    from notices import kinds
    from notices.models import Notice
    from notices.service import publish_notice

    with pytest.raises(KeyError):
        publish_notice(subject, "mall_result", "成交结果公告", "……")
    with pytest.raises(ValueError, match="region"):
        publish_notice(SimpleNamespace(__tablename__="thing", id=1), kinds.RESULT, "成交结果公告", "……")
    with pytest.raises(TypeError, match="stored model"):
        publish_notice(SimpleNamespace(region_code="330329"), kinds.RESULT, "成交结果公告", "……")
    assert db.session.scalar(db.select(db.func.count()).select_from(Notice)) == 0
    with pytest.raises(ValueError, match="already registered"):
        kinds.register("result", "另一个名字")
    assert kinds.register("result", "结果公告") is kinds.RESULT


def test_a_package_registers_its_own_kind_and_its_notices_show_on_the_public_pages(subject, client):
    from core.db import db
    from notices import kinds
    from notices.service import publish_notice

    mall_result = kinds.register("test_mall_result", "电子卖场成交公告")
    notice = publish_notice(subject, mall_result, "网上超市成交公告", "成交金额：100元")
    internal = kinds.register("test_internal", "内部通知", public=False)  # a kind kept off the public lists
    hidden = publish_notice(subject, internal, "内部通知", "只给报名供应商")
    clarified = publish_notice(subject, kinds.CLARIFICATION, "澄清公告", "问：……答：……")  # public (87号令 Art 27)
    db.session.commit()
    listing = client.get("/notices").get_data(as_text=True)
    assert f'/notices/{notice.id}"' in listing and "电子卖场成交公告" in listing
    assert f'/notices/{hidden.id}"' not in listing and f'/notices/{clarified.id}"' in listing
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert "网上超市成交公告" in page and "成交金额：100元" in page and "项目信息" not in page  # no subject panel
    assert client.get(f"/notices/{hidden.id}").status_code == 404


def test_withdrawing_publishes_a_correction_and_audits_both(subject):
    from core.db import db
    from core.errors import Conflict
    from notices import kinds
    from notices.service import public_notices, publish_notice, withdraw_notice
    from region_rules.store import version

    notice = publish_notice(subject, kinds.RESULT, "成交结果公告", "成交供应商：甲", 5)
    assert notice.rule_version == version("330329")  # by default the region's rules in force now
    correction = withdraw_notice(notice, "成交结果更正公告", "原结果作废")
    db.session.commit()
    assert (correction.kind, correction.lot_id, correction.subject_id) == ("correction", 5, subject.id)
    assert notice.withdrawn_by_id == correction.id and public_notices() == [correction]
    assert [e["correction"] for e in _events("notice.withdrawn")] == [correction.id]
    with pytest.raises(Conflict):
        withdraw_notice(notice, "再次更正", "……")


def test_attachments_and_the_proof_of_publication_anyone_can_check(subject, client, app, tmp_path):
    from pathlib import Path

    from audit.service import verifier_key_fingerprint
    from audit.verifier import verify_inclusion_file
    from core.db import db
    from notices import kinds
    from notices.service import Attachment, publish_notice

    data = "验收报告".encode()
    stored = Path(app.config["FILE_STORE"]) / "notices-test" / "report.pdf"
    stored.parent.mkdir(parents=True, exist_ok=True)
    stored.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    notice = publish_notice(subject, kinds.ACCEPTANCE, "验收公告", "验收合格",
                            attachments=[Attachment("验收报告.pdf", "notices-test/report.pdf", len(data), digest)])
    db.session.commit()
    [attachment] = notice.attachments
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert "验收报告.pdf" in page and digest in page and f"/notices/{notice.id}/proof.json" in page
    download = client.get(f"/notices/{notice.id}/files/{attachment.id}")
    status, body = download.status_code, download.data
    download.close()
    assert status == 200 and body == data and "filename*=UTF-8''" in download.headers["Content-Disposition"]
    assert client.get(f"/notices/{notice.id + 1}/files/{attachment.id}").status_code == 404

    proof = client.get(f"/notices/{notice.id}/proof.json").get_json()
    verified = verify_inclusion_file(proof, fingerprint=verifier_key_fingerprint())
    assert verified.index == notice.audit_seq
    payload = proof["leaf_data"]["payload"]
    assert payload["body_sha256"] == hashlib.sha256("验收合格".encode()).hexdigest()
    assert payload["attachments"] == [{"name": "验收报告.pdf", "sha256": digest}]
    proof["leaf_data"]["payload"]["body_sha256"] = "0" * 64  # a changed text no longer leads to the signed root
    with pytest.raises(Exception, match="signed root"):
        verify_inclusion_file(proof, fingerprint=verifier_key_fingerprint())
