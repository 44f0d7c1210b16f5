"""The stored audit log: appends, proofs, checkpoints, tamper detection, concurrency."""

import json
import threading

import pytest
from sqlalchemy import select, text, update

from audit import service
from audit.models import AuditEvent, AuditHead
from audit.verifier import verify_inclusion_file
from core.db import db


def add_events(n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        service.record("test.event", payload={"i": i, "name": f"事件{i}"}, actor="system",
                       object_type="thing", object_id=i)
    db.session.commit()


def test_events_are_dense_and_verify(app_ctx):
    add_events(10)
    seqs = list(db.session.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)))
    assert seqs == list(range(10))
    result = service.verify_log()
    assert result.ok and result.size == 10


def test_record_rolls_back_with_its_transaction(app_ctx):
    add_events(2)
    service.record("test.doomed", payload={})
    db.session.rollback()
    add_events(1, start=2)
    assert db.session.get(AuditHead, 1).size == 3
    assert service.verify_log().ok


def test_inclusion_proof_checks_without_database(app_ctx):
    add_events(13)
    proof = service.prove(5)
    db.session.commit()
    assert verify_inclusion_file(json.loads(json.dumps(proof)), trusted_vkey=service.verifier_key()).size == 13
    proof["leaf_data"]["payload"]["i"] = 99
    with pytest.raises(Exception, match=r"MISMATCH|inclusion|proof"):
        verify_inclusion_file(proof, trusted_vkey=service.verifier_key())


def test_changed_payload_is_detected(app_ctx):
    add_events(8)
    db.session.execute(update(AuditEvent).where(AuditEvent.seq == 4).values(payload='{"i":40}'))
    db.session.commit()
    result = service.verify_log()
    assert not result.ok and result.seq == 4


def test_rewritten_leaf_hash_is_caught_by_signed_checkpoint(app_ctx):
    add_events(8)
    service.create_checkpoint()
    db.session.commit()
    forged = AuditEvent(seq=3, time="2026-01-01T00:00:00.000000Z", actor="system", action="test.event",
                        object_type="thing", object_id="3", payload='{"i":333,"name":"x"}', leaf_hash=b"")
    from audit.canonical import event_leaf_data
    from audit.merkle import leaf_hash

    forged_hash = leaf_hash(event_leaf_data(3, forged.time, "system", "test.event", "thing", "3",
                                            {"i": 333, "name": "x"}))
    db.session.execute(update(AuditEvent).where(AuditEvent.seq == 3).values(
        payload=forged.payload, time=forged.time, leaf_hash=forged_hash))
    db.session.commit()
    result = service.verify_log()
    assert not result.ok and "checkpoint" in result.problem


def test_deleted_event_is_detected(app_ctx):
    add_events(6)
    db.session.execute(text("DELETE FROM audit_event WHERE seq = 2"))
    db.session.commit()
    result = service.verify_log()
    assert not result.ok and result.seq == 2 and "missing" in result.problem


def test_reordered_events_are_detected(app_ctx):
    add_events(6)
    rows = {e.seq: (e.payload, e.leaf_hash, e.time) for e in db.session.scalars(select(AuditEvent))}
    for a, b in ((1, 4), (4, 1)):
        payload, lh, time = rows[b]
        db.session.execute(update(AuditEvent).where(AuditEvent.seq == a).values(payload=payload, leaf_hash=lh,
                                                                                  time=time))
    db.session.commit()
    result = service.verify_log()
    assert not result.ok and result.seq == 1


def test_cli_verify_and_prove(app, app_ctx):
    add_events(5)
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["audit", "verify"])
    assert ok.exit_code == 0 and ok.output.startswith("OK size=5 root=")
    proof = runner.invoke(args=["audit", "prove", "2"])
    assert proof.exit_code == 0
    assert verify_inclusion_file(json.loads(proof.output)).index == 2
    missing = runner.invoke(args=["audit", "prove", "99"])
    assert missing.exit_code != 0
    db.session.execute(text("UPDATE audit_event SET actor = 'mallory' WHERE seq = 1"))
    db.session.commit()
    bad = runner.invoke(args=["audit", "verify"])
    assert bad.exit_code == 1 and "event 1" in bad.output


def test_concurrent_writers_leave_no_gap_or_fork(app):
    """Parallel transactions each append; on PostgreSQL they queue on the head row's lock."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite serialises writers on the whole database; the row-lock race needs PostgreSQL")
    errors: list[Exception] = []

    def writer(w: int) -> None:
        with app.app_context():
            try:
                for i in range(25):
                    service.record("test.parallel", payload={"w": w, "i": i})
                    db.session.commit()
            except Exception as exc:  # surfaced below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with app.app_context():
        assert db.session.get(AuditHead, 1).size == 150
        result = service.verify_log()
        assert result.ok and result.size == 150
