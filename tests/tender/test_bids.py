"""Sealed bid submission: receipts, replace/withdraw, every bad container class refused with
nothing stored, the deadline by the server clock (also for uploads that began earlier),
the deadline race, secrecy between suppliers, and no plaintext in a pre-opening dump."""

from __future__ import annotations

import base64
import json
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from tender_helpers import PLAINTEXT_MARK, seal_bid, submit
from tests_helpers import login


def stored_bid_files(app) -> list[Path]:
    root = Path(app.config["FILE_STORE"]) / "tender"
    return [p for p in root.rglob("*") if p.is_file() and p.relative_to(root).parts[0] in ("bids", "tmp")]


def bid_rows() -> int:
    from tender.models import Bid

    return Bid.query.count()


def test_submit_returns_signed_receipt_with_inclusion_proof(app, world, make_project, client):
    from audit import service as audit_service
    from audit.verifier import verify_inclusion_file
    from tender.models import Bid
    from tender.service import canonical

    project = make_project()
    lot = project.lots[0]
    data = seal_bid(project, lot, world.suppliers[0])
    response = submit(client, world.suppliers[0].user, project, lot, data)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    receipt = body["receipt"]
    import hashlib

    assert receipt["sha256"] == hashlib.sha256(data).hexdigest() and receipt["size"] == len(data)
    assert receipt["policy_hash"] == lot.policy_hash
    # The receipt signature covers the context label and the canonical JSON (audit.statements), so it can
    # never pass for a checkpoint signature of the same key.
    assert receipt["format"] == "biaoyun-receipt/2"
    audit_service.signing_key().public_key().verify(base64.b64decode(body["signature"]),
                                                    b"biaoyun/audit-key/receipt/v2\x00" + canonical(receipt).encode())
    assert body["verifier_key_fingerprint"] == hashlib.sha256(body["verifier_key"].encode()).hexdigest()
    verified = verify_inclusion_file(body["inclusion_proof"], audit_service.verifier_key())
    assert verified.index == receipt["audit_seq"]
    assert body["inclusion_proof"]["leaf_data"]["action"] == "tender.bid_submitted"
    bid = Bid.query.one()
    assert bid.status == "submitted" and json.loads(bid.receipt)["receipt"] == receipt
    assert (Path(app.config["FILE_STORE"]) / "tender" / bid.path).read_bytes() == data


def test_replace_and_withdraw(world, make_project, client):
    from tender.models import Bid

    project = make_project()
    lot = project.lots[0]
    supplier = world.suppliers[0]
    first = submit(client, supplier.user, project, lot, seal_bid(project, lot, supplier, 80_000_00))
    second = client.post(f"/api/v1/tender/projects/{project.id}/lots/{lot.id}/bids",
                         data=seal_bid(project, lot, supplier, 79_000_00), content_type="application/octet-stream")
    assert first.status_code == second.status_code == 201
    statuses = {b.id: b.status.value for b in Bid.query.all()}
    assert statuses == {first.get_json()["bid"]["id"]: "superseded", second.get_json()["bid"]["id"]: "submitted"}
    withdrawn = client.post(f"/api/v1/tender/bids/{second.get_json()['bid']['id']}/withdraw")
    assert withdrawn.get_json()["status"] == "withdrawn"
    again = client.post(f"/api/v1/tender/bids/{second.get_json()['bid']['id']}/withdraw")
    assert again.status_code == 409


def _tamper(data: bytes, offset: int) -> bytes:
    return data[:offset] + bytes([data[offset] ^ 1]) + data[offset + 1:]


def _bad_containers(project, world):
    lot, other_lot = project.lots
    good_supplier, stranger = world.suppliers[0], world.suppliers[1]
    good = seal_bid(project, lot, good_supplier)
    header_len = int.from_bytes(good[9:13], "big")
    rogue = ec.generate_private_key(ec.SECP256R1())
    return {
        "empty": b"",
        "bad_magic": b"NOTSEALED" + good[9:],
        "unsupported_version": good[:8] + b"\x03" + good[9:],
        "header_tampered": _tamper(good, 13 + header_len // 2),
        "truncated": good[: len(good) // 2],
        "trailing_data": good + b"\x00",
        "signature_invalid": _tamper(good, len(good) - 10),
        "policy_mismatch": seal_bid(project, other_lot, good_supplier),
        "wrong_bidder": seal_bid(project, lot, good_supplier, bidder_id="91330000MA2XXXXXXX"),
        "unknown_signer": seal_bid(project, lot, good_supplier, signer=rogue),
        "someone_elses_key": seal_bid(project, lot, good_supplier, signer=stranger.sign_key),
    }


def test_every_bad_container_is_refused_and_nothing_is_stored(app, world, make_project, client):
    project = make_project()
    lot = project.lots[0]
    cases = _bad_containers(project, world)
    login(client, world.suppliers[0].user)
    expected = {"someone_elses_key": "unknown_signer"}
    for name, data in cases.items():
        response = client.post(f"/api/v1/tender/projects/{project.id}/lots/{lot.id}/bids", data=data,
                               content_type="application/octet-stream")
        assert response.status_code == 422, (name, response.get_json())
        code = response.get_json()["error"]["code"]
        assert code == f"container_{expected.get(name, name)}", (name, code)
        assert response.get_json()["error"]["message"]  # a Chinese explanation
        assert bid_rows() == 0 and stored_bid_files(app) == [], name


def test_unregistered_supplier_cannot_submit(world, make_project, client):
    project = make_project(register=1)
    lot = project.lots[0]
    response = submit(client, world.suppliers[2].user, project, lot, seal_bid(project, lot, world.suppliers[2]))
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "not_registered"


def test_after_deadline_every_submission_is_refused(app, world, make_project, client, clock):
    project = make_project()
    lot = project.lots[0]
    data = seal_bid(project, lot, world.suppliers[0])
    clock.set(project.deadline)
    response = submit(client, world.suppliers[0].user, project, lot, data)
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "deadline_passed"
    assert "投标截止" in response.get_json()["error"]["message"]
    assert bid_rows() == 0 and stored_bid_files(app) == []


def test_upload_started_before_deadline_but_finished_after_is_refused(app, world, make_project, client,
                                                                       clock, monkeypatch):
    from contextlib import contextmanager

    from tender import bids

    project = make_project()
    lot = project.lots[0]
    data = seal_bid(project, lot, world.suppliers[0])
    clock.set(project.deadline - timedelta(seconds=1))
    real_upload = bids.filestore.temp_upload

    @contextmanager
    def slow_upload(stream, *args, **kwargs):  # the last byte arrives two seconds later
        with real_upload(stream, *args, **kwargs) as upload:
            clock.advance(timedelta(seconds=2))
            yield upload

    monkeypatch.setattr(bids.filestore, "temp_upload", slow_upload)
    response = submit(client, world.suppliers[0].user, project, lot, data)
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "deadline_passed"
    assert bid_rows() == 0 and stored_bid_files(app) == []


def test_a_bid_complete_before_the_deadline_is_not_refused_for_slow_checks(app, world, make_project, client,
                                                                          clock, monkeypatch):
    """Its time is taken when the upload is complete: checking it (or waiting for the lock) after the
    deadline does not refuse it, and its receipt shows the time its last byte arrived."""
    from tender import bids
    from tender.models import Bid

    project = make_project()
    lot = project.lots[0]
    data = seal_bid(project, lot, world.suppliers[0])
    clock.set(project.deadline - timedelta(seconds=1))
    arrived = clock.now()
    real_check = bids.check_container

    def slow_check(*args, **kwargs):
        result = real_check(*args, **kwargs)
        clock.advance(timedelta(seconds=2))
        return result

    monkeypatch.setattr(bids, "check_container", slow_check)
    response = submit(client, world.suppliers[0].user, project, lot, data)
    assert response.status_code == 201, response.get_json()
    assert Bid.query.one().submitted_at == arrived < project.deadline


def test_deadline_race_has_one_consistent_outcome(app, world, make_project, clock, monkeypatch):
    """The clock crosses the deadline while uploads are in flight and the sweep closes submission
    in parallel: A was in before; B holds the lock when the sweep arrives (the sweep waits for
    B's commit and counts B); C and D finished uploading before the deadline but reach the lock
    after the closing (refused). Every accepted bid is stamped before the deadline and counted."""
    import time

    from audit.models import AuditEvent
    from core.db import db
    from tender import bids as bid_module
    from tender import opening
    from tender.models import Bid, Project

    project = make_project()
    lot = project.lots[0]
    project_id, lot_id, deadline = project.id, lot.id, project.deadline
    from types import SimpleNamespace

    payloads = {s.user.username: (SimpleNamespace(username=s.user.username, totp_seed=None),
                                  seal_bid(project, lot, s)) for s in world.suppliers}
    clock.set(deadline - timedelta(seconds=1))
    b_locked, uploads_done, swept = threading.Event(), threading.Semaphore(0), threading.Event()
    real_lock, real_check = bid_module.lock_for_submission, bid_module.check_container

    def lock(project_id, at=None):
        result = real_lock(project_id, at)
        if threading.current_thread().name == "B":
            b_locked.set()
            time.sleep(0.3)  # hold the lock while the sweep tries to close (it must wait)
        return result

    def check(*args):
        result = real_check(*args)
        if threading.current_thread().name in ("C", "D"):
            uploads_done.release()
            swept.wait(10)
        return result

    monkeypatch.setattr(bid_module, "lock_for_submission", lock)
    monkeypatch.setattr(bid_module, "check_container", check)
    results: dict[str, tuple[int, str | None]] = {}

    def supplier_thread(name, username):
        who, data = payloads[username]
        client = app.test_client()
        login(client, who)
        response = client.post(f"/api/v1/tender/projects/{project_id}/lots/{lot_id}/bids", data=data,
                               content_type="application/octet-stream")
        results[name] = (response.status_code, (response.get_json().get("error") or {}).get("code"))

    def sweeper():
        b_locked.wait(10)
        uploads_done.acquire(timeout=10)
        uploads_done.acquire(timeout=10)
        clock.advance(timedelta(seconds=2))  # the deadline passes
        with app.app_context():
            opening.sweep()
        swept.set()

    names = dict(zip("ABCD", payloads, strict=True))
    supplier_thread("A", names["A"])
    threads = [threading.Thread(target=supplier_thread, args=(n, names[n]), name=n) for n in "BCD"]
    threads.append(threading.Thread(target=sweeper))
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == {"A": (201, None), "B": (201, None), "C": (409, "deadline_passed"),
                       "D": (409, "deadline_passed")}
    db.session.expire_all()
    bids = Bid.query.filter_by(project_id=project_id).all()
    assert len(bids) == 2 and all(b.submitted_at < deadline for b in bids)
    assert db.session.get(Project, project_id).status.value != "bidding"
    closed = AuditEvent.query.filter_by(action="tender.submission_closed").all()
    assert len(closed) == 1 and json.loads(closed[0].payload)["bids"]["1"] == 2
    assert len(stored_bid_files(app)) == 2


def test_suppliers_learn_nothing_of_each_other_before_the_deadline(world, make_project, client, clock):
    project = make_project()
    lot = project.lots[0]
    a, b = world.suppliers[0], world.suppliers[1]
    assert submit(client, a.user, project, lot, seal_bid(project, lot, a)).status_code == 201
    login(client, b.user)
    assert client.get(f"/api/v1/tender/projects/{project.id}/bids").get_json() == []
    hall = client.get(f"/api/v1/tender/projects/{project.id}/hall").get_json()
    assert hall["counts"] is None and hall["progress"] == [] and hall["record"] == []
    a_bid = __import__("tender.models", fromlist=["Bid"]).Bid.query.one()
    for url in (f"/api/v1/tender/bids/{a_bid.id}/receipt", f"/api/v1/tender/bids/{a_bid.id}/header"):
        assert client.get(url).status_code == 404
    assert client.post(f"/api/v1/tender/bids/{a_bid.id}/withdraw").status_code == 404
    assert a.user.org.name not in json.dumps(hall, ensure_ascii=False)


def test_dump_before_opening_holds_no_plaintext(app, world, make_project, client):
    """Everything in the database and the file store before the opening: search for the
    known plaintext of the bids (summary remarks, file contents, bidder price)."""
    from sqlalchemy import select

    from core.db import db

    project = make_project()
    for i, supplier in enumerate(world.suppliers[:3]):
        for lot in project.lots:
            data = seal_bid(project, lot, supplier, price_fen=12_345_678 + i)
            assert submit(client, supplier.user, project, lot, data).status_code == 201
    needles = [PLAINTEXT_MARK.encode(), "技术响应".encode(), b"12345678", b"12345679"]
    dump = bytearray()
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)).all():
            dump += repr(tuple(row)).encode("utf-8", "replace")
            dump += json.dumps([str(v) for v in row], ensure_ascii=False).encode()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite:///"):
        for suffix in ("", "-wal"):
            path = Path(url[len("sqlite:///"):] + suffix)
            if path.exists():
                dump += path.read_bytes()
    for path in (Path(app.config["FILE_STORE"])).rglob("*"):
        if path.is_file():
            dump += path.read_bytes()
    assert len(dump) > 10_000
    for needle in needles:
        assert needle not in dump, needle


@pytest.mark.parametrize("when", ["draft", "published"])
def test_no_bids_before_bidding_opens(world, make_project, client, clock, when):
    from core.db import db
    from tender import service

    if when == "draft":
        project = make_project(publish=False)
        service.register_supplier  # noqa: B018  (drafts take no registrations)
        login(client, world.suppliers[0].user)
        response = client.post(f"/api/v1/tender/projects/{project.id}/lots/{project.lots[0].id}/bids",
                               data=b"x", content_type="application/octet-stream")
        assert response.status_code == 403
        return
    project = make_project(publish=False, notice_at=(clock.now() + timedelta(days=1)).isoformat(),
                           doc_start_at=(clock.now() + timedelta(days=1)).isoformat(),
                           doc_end_at=(clock.now() + timedelta(days=8)).isoformat())
    service.publish_project(world.agency, project.id)
    service.register_supplier(world.suppliers[0].user, project.id)
    db.session.commit()
    assert project.status.value == "published"
    lot = project.lots[0]
    response = submit(client, world.suppliers[0].user, project, lot, seal_bid(project, lot, world.suppliers[0]))
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "bidding_not_open"


def test_interrupted_upload_leaves_nothing_and_can_be_retried(app, world, make_project, client):
    from werkzeug.exceptions import ClientDisconnected

    from tender import bids

    project = make_project()
    lot = project.lots[0]
    supplier = world.suppliers[0]
    data = seal_bid(project, lot, supplier)

    class Broken:
        def __init__(self):
            self.sent = 0

        def read(self, n):
            if self.sent >= len(data) // 2:
                raise ClientDisconnected()
            chunk = data[self.sent:self.sent + min(n, 4096)]
            self.sent += len(chunk)
            return chunk

    with pytest.raises(ClientDisconnected):
        bids.submit_bid(supplier.user, project.id, lot.id, Broken())
    from core.db import db

    db.session.rollback()
    assert bid_rows() == 0 and stored_bid_files(app) == []
    assert submit(client, supplier.user, project, lot, data).status_code == 201  # the retry goes through
