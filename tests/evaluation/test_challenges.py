"""Challenges (质疑) with evidence files: stored as uploaded and hashed in the audit event, nothing left
behind by a refused filing or a failed commit, and readable only by the challenger, the agency, the
purchaser and the region's supervisors — never by another bidder."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import timedelta

import pytest
from evaluation_helpers import as_user, no_inline
from sqlalchemy import select


def _stored_files(app) -> list:
    """Every file under the store's evidence folder and its temp folder."""
    from tender import filestore

    with app.app_context():
        root = filestore.root()
    return [p for folder in ("evidence", "tmp") for p in (root / folder).rglob("*") if p.is_file()]


@pytest.fixture
def clean_store(app):
    import shutil

    from tender import filestore

    with app.app_context():
        for folder in ("evidence", "tmp"):
            shutil.rmtree(filestore.root() / folder, ignore_errors=True)


def other_county_supervisor(make_user, code: str = "330328", name: str = "文成县"):
    """A supervisor of a neighbouring county (same city): oversees nothing of 泰顺县."""
    from accounts.models import Region, RegionLevel
    from core.db import db

    if db.session.get(Region, code) is None:
        db.session.add(Region(code=code, name=name, level=RegionLevel.COUNTY, parent_code="330300"))
    user = make_user("supervisor", org_kind="finance")
    user.region_code = user.org.region_code = code
    db.session.commit()
    return user


def _files(*items: tuple[str, bytes]) -> list:
    return [(name, io.BytesIO(data)) for name, data in items]


def test_evidence_files_are_stored_as_uploaded_and_hashed_in_the_audit_event(room, published, clock, app,
                                                                             clean_store):
    from audit.models import AuditEvent
    from core.db import db
    from evaluation import challenges, evidence
    from evaluation.models import EvidenceFile

    contract, photo = "合同编号 HT-2025-01，金额与公告不符".encode(), b"\x89PNG" + b"\x00" * 5000
    row = challenges.file_challenge(room.suppliers[1], published.id, "中标人的业绩证明与事实不符",
                                    _files(("业绩合同.txt", contract), ("现场/照片.png", photo), ("", b"")))
    evidence.commit()
    files = db.session.scalars(select(EvidenceFile).where(EvidenceFile.challenge_id == row.id)
                               .order_by(EvidenceFile.id)).all()
    assert [(f.name, f.size) for f in files] == [("业绩合同.txt", len(contract)), ("现场_照片.png", len(photo))]
    for f, data in zip(files, (contract, photo), strict=True):
        assert f.sha256 == hashlib.sha256(data).hexdigest()
        assert evidence.absolute(f).read_bytes() == data
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "evaluation.challenge_filed"))
    payload = json.loads(event.payload)
    assert payload["files"] == [{"name": f.name, "size": f.size, "sha256": f.sha256} for f in files]
    assert payload["answer_due"] == "2026-12-08"  # filed Friday 27 Nov: 7 working days
    assert len(_stored_files(app)) == 2  # no temp file left


@pytest.mark.parametrize("case", ["not_a_bidder", "too_large", "too_many", "empty", "period_over", "no_text"])
def test_a_refused_challenge_leaves_no_file_and_no_row(room, published, clock, app, clean_store, monkeypatch, case):
    from core.db import db
    from core.errors import DomainError
    from evaluation import challenges, evidence
    from evaluation.models import Challenge, EvidenceFile

    monkeypatch.setattr(evidence, "MAX_FILE_BYTES", 1000)
    user, text = room.suppliers[1], "评分有误"
    files = [("证据.txt", b"x" * 10)]
    if case == "not_a_bidder":
        user = room.outsider
    elif case == "too_large":
        files = [("小.txt", b"x" * 10), ("大.bin", b"x" * 1001)]
    elif case == "too_many":
        files = [(f"{i}.txt", b"x") for i in range(evidence.MAX_FILES + 1)]
    elif case == "empty":
        files = [("小.txt", b"x" * 10), ("空.txt", b"")]
    elif case == "period_over":
        clock.advance(timedelta(days=14))  # past Wednesday 9 December
    elif case == "no_text":
        text = "  "
    with pytest.raises(DomainError) as exc:
        challenges.file_challenge(user, published.id, text, _files(*files))
    evidence.rollback()
    assert exc.value.code == {"not_a_bidder": "not_a_bidder", "too_large": "evidence_too_large",
                              "too_many": "too_many_evidence_files", "empty": "evidence_empty",
                              "period_over": "challenge_period_over", "no_text": "challenge_invalid"}[case]
    assert _stored_files(app) == []
    assert db.session.scalars(select(Challenge)).all() == [] and db.session.scalars(select(EvidenceFile)).all() == []


def test_a_failed_commit_removes_the_files_it_kept(room, published, app, clean_store, monkeypatch):
    from core.db import db
    from evaluation import challenges, evidence

    challenges.file_challenge(room.suppliers[1], published.id, "评分有误", _files(("证据.txt", b"evidence")))
    assert len(_stored_files(app)) == 1

    def broken_commit():
        raise RuntimeError("database went away")

    monkeypatch.setattr(db.session, "commit", broken_commit)
    with pytest.raises(RuntimeError):
        evidence.commit()
    monkeypatch.undo()
    assert _stored_files(app) == []


def test_evidence_downloads_only_for_challenger_agency_purchaser_and_the_regions_supervisors(
        room, published, client, clock, make_user, app, clean_store):
    from evaluation import challenges, evidence

    row = challenges.file_challenge(room.suppliers[1], published.id, "评分有误", _files(("证据.txt", b"secret")))
    evidence.commit()
    file_id = row.files[0].id
    elsewhere = other_county_supervisor(make_user)
    allowed = [room.suppliers[1], room.agency, room.purchaser, room.supervisor]
    refused = [room.suppliers[0], room.suppliers[2], room.outsider, room.experts[0], elsewhere]
    for user in allowed + refused:
        as_user(client, user, clock)
        for url in (f"/evaluation/evidence/{file_id}", f"/api/v1/evaluation/evidence/{file_id}"):
            r = client.get(url)
            status, data, disposition = r.status_code, r.data, r.headers.get("Content-Disposition", "")
            r.close()
            if user in allowed:
                assert status == 200 and data == b"secret" and "attachment" in disposition, (user.username, url)
            else:
                assert status == 404, (user.username, url)
        if user in refused and user.has_role("supplier"):  # another bidder sees neither the challenge nor its file
            page = client.get(f"/evaluation/awards/{published.id}/challenges").get_data(as_text=True)
            assert "评分有误" not in page and "证据.txt" not in page
            api = client.get(f"/api/v1/evaluation/awards/{published.id}/challenges").get_json()
            assert api["challenges"] == []


def test_a_bidder_files_with_files_from_the_award_page_and_the_agency_answers(room, published, client, clock,
                                                                              clean_store):
    from core.db import db
    from evaluation import challenges
    from evaluation.models import Award

    as_user(client, room.suppliers[2], clock)
    page = client.get("/evaluation/clarifications").get_data(as_text=True)
    assert f"/evaluation/awards/{published.id}/challenges" in page
    page = client.get(f"/evaluation/awards/{published.id}/challenges").get_data(as_text=True)
    assert "提出质疑" in page and 'type="file"' in page and "multiple" in page
    no_inline(page)
    r = client.post(f"/evaluation/awards/{published.id}/challenge", content_type="multipart/form-data",
                    data={"text": "评分畸高畸低未复核",
                          "files": [(io.BytesIO(b"a"), "a.txt"), (io.BytesIO(b"bb"), "b.txt")]},
                    follow_redirects=True)
    html = r.get_data(as_text=True)
    assert "质疑已提交" in html and "a.txt" in html and "b.txt" in html
    no_inline(html)
    row = challenges.challenges_of(published)[0]
    assert len(row.files) == 2
    # the API: the same filing, with stable error codes
    r = client.post(f"/api/v1/evaluation/awards/{published.id}/challenges", content_type="multipart/form-data",
                    data={"text": ""})
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "challenge_invalid"
    as_user(client, room.agency, clock)
    r = client.post(f"/api/v1/evaluation/challenges/{row.id}/answer",
                    json={"answer": "经核实，评分无误。", "upheld": False})
    assert r.status_code == 200 and r.get_json()["upheld"] is False
    r = client.post(f"/api/v1/evaluation/challenges/{row.id}/answer", json={"answer": "再答", "upheld": False})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "already_answered"
    db.session.expire_all()
    assert db.session.get(Award, published.id).status.value == "notified"
    page = client.get(f"/evaluation/awards/{published.id}/challenges").get_data(as_text=True)
    assert "经核实，评分无误。" in page and "a.txt" in page


def test_filing_and_answering_a_challenge_declare_their_messages(room, published, clock, monkeypatch, clean_store):
    """Issue 14: the page and the API file and answer through the services, which declare the messages."""
    from core import after_commit, tasks
    from evaluation import challenges

    after_commit.run_followups()  # the fixture's commits
    sent = []
    monkeypatch.setattr(tasks, "emit_message", lambda m, users, orgs, **_: sent.append((m["title"], sorted(orgs))))
    row = challenges.file_challenge(room.suppliers[1], published.id, "中标人的业绩证明与事实不符")
    assert sent == []
    after_commit.commit()
    project = room.lot.project
    assert sent == [("收到质疑", sorted([project.agency_org_id, project.purchaser_org_id]))]
    challenges.answer_challenge(room.agency, row.id, "经核查，业绩证明属实。", upheld=False)
    after_commit.commit()
    assert sent[-1] == ("质疑已答复", [room.suppliers[1].org_id])
