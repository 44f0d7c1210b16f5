"""The opening, end to end in Python: custodian mode (time vault + a human custodian's shares
with step-up TOTP), bidder mode (own keys, Art 31 outcomes), too few bids, restart safety,
a platform fault, and the sweep's idempotence."""

from __future__ import annotations

import base64
from datetime import timedelta
from pathlib import Path

import pytest
from tender_helpers import PLAINTEXT_MARK, seal_bid, submit, sweep_with_keeper, vault_and_keeper
from tests_helpers import login, totp_code


def _submit_all(client, world, project, prices=(88_000_00, 91_500_00, 93_000_00)):
    lot = project.lots[0]
    for supplier, price in zip(world.suppliers, prices, strict=False):
        assert submit(client, supplier.user, project, lot, seal_bid(project, lot, supplier, price)).status_code == 201
    # lot 2 gets a single bid: too few for a public tender
    lot2 = project.lots[1]
    assert submit(client, world.suppliers[0].user, project, lot2,
                  seal_bid(project, lot2, world.suppliers[0])).status_code == 201


def _audit_actions() -> list[str]:
    from audit.models import AuditEvent

    return [e.action for e in AuditEvent.query.order_by(AuditEvent.seq)]


def _custodian_shares(client, project, keeper, key) -> list[dict]:
    import crypto

    custody = client.get(f"/api/v1/tender/projects/{project.id}/custody").get_json()
    shares = []
    for item in custody["bids"]:
        header = client.get(item["header_url"]).data
        import io

        shares.append(crypto.unwrap_share(io.BytesIO(header), key).to_json())
    return shares


def test_custodian_mode_end_to_end(app, world, make_project, client, clock):
    from core.db import db
    from notices.models import Notice
    from tender import tasks
    from tender.models import OpeningRecord, Project

    project = make_project(k=2)
    _submit_all(client, world, project)
    keeper, key = world.custodians[0]

    # a share offered before the opening time is refused, and the refusal is audited
    login(client, keeper)
    clock.advance(timedelta(seconds=30))
    early = client.post(f"/api/v1/tender/projects/{project.id}/shares",
                        json={"shares": [{"x": 1}], "totp": totp_code(keeper)})
    assert early.status_code == 409 and early.get_json()["error"]["code"] == "too_early"
    assert "tender.share_refused_early" in _audit_actions()
    assert client.get(f"/api/v1/tender/projects/{project.id}/custody").get_json()["bids"] == []

    clock.set(project.deadline)
    tasks.sweep.delay()
    db.session.expire_all()
    project = db.session.get(Project, project.id)
    assert project.status.value == "opening"
    assert [lot.status.value for lot in project.lots] == ["opening", "failed"]
    assert Notice.query.filter_by(subject_id=project.id, kind="failure").count() == 1
    assert "tender.vault_shares_released" in _audit_actions()
    assert OpeningRecord.query.count() == 0  # one share (the vault's) of k=2: nothing opens yet

    shares = _custodian_shares(client, project, keeper, key)
    assert len(shares) == 3
    bad = client.post(f"/api/v1/tender/projects/{project.id}/shares", json={"shares": shares, "totp": "000000"})
    assert bad.status_code == 401 and bad.get_json()["error"]["code"] == "totp_invalid"
    clock.advance(timedelta(seconds=30))
    response = client.post(f"/api/v1/tender/projects/{project.id}/shares",
                           json={"shares": shares, "totp": totp_code(keeper)})
    assert response.status_code == 200 and response.get_json() == {"accepted": 3}
    db.session.expire_all()
    project = db.session.get(Project, project.id)
    assert project.status.value == "opened"
    lines = OpeningRecord.query.order_by(OpeningRecord.price_fen).all()
    assert [line.price_fen for line in lines] == [88_000_00, 91_500_00, 93_000_00]
    assert lines[0].bidder_name == world.suppliers[0].user.org.name and lines[0].delivery == "30 日"
    opened = Path(app.config["FILE_STORE"]) / "tender" / "opened" / str(project.id)
    files = list(opened.rglob("技术响应.txt"))
    assert len(files) == 3 and PLAINTEXT_MARK in files[0].read_text()
    assert "accounts.step_up" in _audit_actions()

    # the hall shows the record to a participating supplier
    login(client, world.suppliers[1].user)
    state = client.get(f"/api/v1/tender/projects/{project.id}/hall").get_json()
    assert [r["price_fen"] for r in sorted(state["record"], key=lambda r: r["price_fen"])] == [
        88_000_00, 91_500_00, 93_000_00]
    assert state["counts"] == {str(project.lots[0].id): 3, str(project.lots[1].id): 1}


def test_sweep_is_idempotent(world, make_project, client, clock):
    from audit.models import AuditEvent
    from tender import opening

    project = make_project()
    _submit_all(client, world, project)
    clock.set(project.deadline + timedelta(seconds=5))
    first = opening.sweep()
    second = opening.sweep()
    assert first["closed"] == [project.id] and second["closed"] == []
    assert AuditEvent.query.filter_by(action="tender.submission_closed").count() == 1
    assert AuditEvent.query.filter_by(action="tender.vault_shares_released").count() == 1


def test_too_few_bids_fail_the_whole_project(world, make_project, client, clock):
    from core.db import db
    from notices.models import Notice
    from tender import opening
    from tender.models import Bid, Project

    project = make_project()
    lot = project.lots[0]
    only = world.suppliers[0]
    assert submit(client, only.user, project, lot, seal_bid(project, lot, only)).status_code == 201
    clock.set(project.deadline)
    opening.sweep()
    db.session.expire_all()
    project = db.session.get(Project, project.id)
    assert project.status.value == "failed"
    assert Notice.query.filter_by(subject_id=project.id, kind="failure").count() == 2
    assert [b.status.value for b in Bid.query.all()] == ["voided"]  # returned unopened


def test_k1_vault_opens_alone_and_crash_midway_is_resumed(app, world, make_project, client, clock, monkeypatch):
    """The vault and a keeper's shares: the sweep opens everything. A crash in the middle of one bid's
    decryption rolls back and leaves no partial output; the next sweep finishes the job."""
    import crypto
    from core.db import db
    from tender import opening
    from tender.models import Bid, OpeningRecord, Project

    project = make_project(**vault_and_keeper(world))
    _submit_all(client, world, project)
    clock.set(project.deadline)
    real_open = crypto.open_with_shares
    calls = {"n": 0}

    def crashing_open(source, shares, sink, policy=None):
        calls["n"] += 1
        if calls["n"] == 2:
            with sink.open_file("partial.bin", 1) as handle:
                handle.write(b"x")
            raise RuntimeError("worker killed")
        return real_open(source, shares, sink, policy=policy)

    monkeypatch.setattr(crypto, "open_with_shares", crashing_open)
    sweep_with_keeper(world)
    db.session.expire_all()
    assert db.session.get(Project, project.id).status.value == "opening"
    assert OpeningRecord.query.count() == 1  # each bid commits alone: the first stays opened
    assert Bid.query.filter_by(status="submitted").count() == 2  # the crashed one is still waiting
    opened_root = Path(app.config["FILE_STORE"]) / "tender" / "opened"
    monkeypatch.setattr(crypto, "open_with_shares", real_open)
    opening.sweep()
    db.session.expire_all()
    assert db.session.get(Project, project.id).status.value == "opened"
    assert OpeningRecord.query.count() == 3
    assert not list(opened_root.rglob("partial.bin")) and not list(opened_root.rglob("*.partial"))


def test_platform_fault_voids_with_cause(app, world, make_project, client, clock):
    from core.db import db
    from tender.models import Bid

    project = make_project(**vault_and_keeper(world))
    _submit_all(client, world, project)
    victim = Bid.query.filter_by(lot_id=project.lots[0].id).order_by(Bid.id).first()
    path = Path(app.config["FILE_STORE"]) / "tender" / victim.path
    data = bytearray(path.read_bytes())
    data[-200] ^= 1  # the store corrupted the stored ciphertext
    path.write_bytes(bytes(data))
    clock.set(project.deadline)
    sweep_with_keeper(world)
    db.session.expire_all()
    victim = db.session.get(Bid, victim.id)
    assert victim.status.value == "voided" and victim.fault == "platform"
    assert victim.outcome_code in ("chunk_auth_failed", "signature_invalid")


def test_bidder_mode_own_keys_and_art31(world, make_project, client, clock):
    """Each supplier unwraps its own file key during the decryption window. A wrong key is
    refused (and audited) and may be retried; no key by the end of the window -> revoked."""
    import io

    import crypto
    from core.db import db
    from tender import opening
    from tender.models import Bid, OpeningRecord

    project = make_project(opening_mode="bidder", decrypt_window_minutes=30)
    _submit_all(client, world, project)
    lot = project.lots[0]
    bids = {b.org_id: b for b in Bid.query.filter_by(lot_id=lot.id)}
    a, b = world.suppliers[0], world.suppliers[1]
    bid_a = bids[a.user.org_id]

    login(client, a.user)
    early = client.post(f"/api/v1/tender/bids/{bid_a.id}/file-key", json={"file_key": "A" * 43})
    assert early.status_code == 409 and early.get_json()["error"]["code"] == "too_early"

    clock.set(project.deadline)
    opening.sweep()
    header = client.get(f"/api/v1/tender/bids/{bid_a.id}/header").data
    file_key = crypto.unwrap_self(io.BytesIO(header), a.enc_key)
    wrong = client.post(f"/api/v1/tender/bids/{bid_a.id}/file-key",
                        json={"file_key": base64.urlsafe_b64encode(bytes(32)).rstrip(b"=").decode()})
    assert wrong.status_code == 422 and wrong.get_json()["error"]["code"] == "wrong_file_key"
    assert "tender.file_key_refused" in _audit_actions()
    good = client.post(f"/api/v1/tender/bids/{bid_a.id}/file-key",
                       json={"file_key": base64.urlsafe_b64encode(file_key).rstrip(b"=").decode()})
    assert good.status_code == 200 and good.get_json()["status"] == "opened"
    del file_key

    # B cannot hand in a key for A's bid, nor see A's header
    login(client, b.user)
    assert client.post(f"/api/v1/tender/bids/{bid_a.id}/file-key", json={"file_key": "x"}).status_code == 404
    assert client.get(f"/api/v1/tender/bids/{bid_a.id}/header").status_code == 404

    clock.advance(timedelta(minutes=31))  # the window closes; B and C never decrypted
    opening.sweep()
    db.session.expire_all()
    statuses = {org: db.session.get(Bid, bid.id) for org, bid in bids.items()}
    assert statuses[a.user.org_id].status.value == "opened"
    for org, bid in statuses.items():
        if org != a.user.org_id:
            assert bid.status.value == "revoked" and bid.fault == "bidder" and "视为撤销" in bid.outcome_note
    assert [r.price_fen for r in OpeningRecord.query.all()] == [88_000_00]
    # one valid bid left after the window: fewer than three, the lot fails as after a custodian opening
    from notices.models import Notice

    lot = db.session.get(type(lot), lot.id)
    assert lot.status.value == "failed" and "解密后有效投标人 1 家，不足 3 家" in lot.failure_reason
    assert lot.id in [n.lot_id for n in Notice.query.filter_by(kind="failure")]
    assert "tender.lot_failed" in _audit_actions()
    late = client.post(f"/api/v1/tender/bids/{bids[b.user.org_id].id}/file-key", json={"file_key": "A" * 43})
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "window_closed"  # not "too early"


def test_forged_container_with_inconsistent_keys_is_the_bidders_fault(world, make_project, client, clock,
                                                                      monkeypatch):
    """A container whose shares carry another key than the committed one (the supplier made it
    so): opened with k shares it fails the key commitment -> revoked (Art 31, bidder's fault)."""
    from core.db import db
    from tender.models import Bid

    project = make_project(**vault_and_keeper(world))
    _submit_all(client, world, project)
    clock.set(project.deadline)

    import crypto
    from crypto.errors import KeyCommitmentMismatchError

    def forged_open(*args, **kwargs):  # what crypto reports for such a container (tested in tests/crypto)
        raise KeyCommitmentMismatchError("the recovered file key does not match the header's key commitment")

    monkeypatch.setattr(crypto, "open_with_shares", forged_open)
    sweep_with_keeper(world)
    db.session.expire_all()
    lot_bids = Bid.query.filter_by(lot_id=project.lots[0].id).all()
    assert {(b.status.value, b.fault, b.outcome_code) for b in lot_bids} == {
        ("revoked", "bidder", "key_commitment_mismatch")}


def test_same_brand_counts_as_one_bidder(world, make_project, client, clock):
    """Where the tender says so, bidders offering the same brand count as one: three bids, two of
    one brand -> two bidders, under the minimum of three: the lot fails after the opening."""
    import io

    import crypto
    from core.db import db
    from notices.models import Notice
    from tender.bids import bidder_id_of
    from tender.models import Project

    project = make_project(**vault_and_keeper(world), same_brand_counts_once=True)
    lot = project.lots[0]
    for supplier, brand in zip(world.suppliers[:3], ["希沃", "希沃 ", "鸿合"], strict=True):
        out = io.BytesIO()
        crypto.seal(lot.policy, supplier.sign_key, supplier.enc_key.public_key(),
                    {"bidder": supplier.user.org.name, "price_fen": 90_000_00, "brand": brand}, [], out,
                    bidder_id_of(supplier.user.org), chunk_size=65536)
        assert submit(client, supplier.user, project, lot, out.getvalue()).status_code == 201
    clock.set(project.deadline)
    sweep_with_keeper(world)
    db.session.expire_all()
    project = db.session.get(Project, project.id)
    assert project.lots[0].status.value == "failed" and "按一家计算" in project.lots[0].failure_reason
    assert Notice.query.filter_by(subject_id=project.id, kind="failure", lot_id=lot.id).count() == 1


def test_sweep_task_runs_once_at_a_time(app, world, make_project, client, clock):
    from tender import tasks

    project = make_project()
    clock.set(project.deadline)
    with tasks.sweep_lock() as first:
        assert first
        assert tasks.sweep() == {"skipped": True}  # a second sweep while one runs does nothing
    assert tasks.sweep()["closed"] == [project.id]


def test_failed_lots_can_be_procured_again_by_another_method(world, make_project, client, clock):
    from core.db import db
    from core.errors import ValidationError
    from tender import opening, service
    from tender.models import Project

    project = make_project()
    _submit_all(client, world, project)  # lot 2 has a single bid: it fails
    clock.set(project.deadline)
    opening.sweep()
    login(client, world.agency)
    assert "生成新项目草稿" in client.get(f"/tender/{project.id}").get_data(as_text=True)
    with pytest.raises(ValidationError):
        service.redo_failed_lots(world.agency, project.id, "inquiry", "理由")
    new = service.redo_failed_lots(world.agency, project.id, "competitive_negotiation", "财采批〔2026〕12号")
    db.session.commit()
    new = db.session.get(Project, new.id)
    assert new.status.value == "draft" and new.method.value == "competitive_negotiation"
    assert [lot.name for lot in new.lots] == [project.lots[1].name] and new.previous_project_id == project.id
    assert len(new.documents) == 1
    service.publish_project(world.agency, new.id)  # the timeline meets the new method's periods
