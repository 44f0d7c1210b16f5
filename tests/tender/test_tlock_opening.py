"""The public time-lock custodian through a tender's opening: the round frozen in the policy at
publication, nothing opens before the local beacon signs it, the sweep fetches and verifies the
signature, unwraps the shares and audits round and signature; a forged signature opens nothing."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tender_helpers import seal_bid, submit


def _tlock_project(make_project, world):
    """A human custodian and the time-lock, k = 2 (with the local beacon the vault and the time-lock are
    both the platform's, so vault + time-lock alone is refused: see test_custody_counts_the_beacon)."""
    return make_project(custodian_user_ids=[world.custodians[0][0].id], include_vault=False, include_tlock=True,
                        k=2)


def _submit_three(client, world, project):
    lot = project.lots[0]
    for supplier, price in zip(world.suppliers, (88_000_00, 91_500_00, 93_000_00), strict=False):
        assert submit(client, supplier.user, project, lot, seal_bid(project, lot, supplier, price)).status_code == 201


def _keeper_shares(world, project) -> None:
    """The human custodian's shares, as the custody page hands them in after the opening time."""
    import crypto
    from tender import opening

    keeper, key = world.custodians[0]
    member = next(c for c in project.custodians if c.user_id == keeper.id)
    for lot in project.lots:
        for bid in opening.current_bids(lot):
            opening.store_share(bid, member.custodian_id, crypto.unwrap_share(opening.header_of(bid), key), keeper.id)


def test_custody_counts_the_beacon(app, world, make_project):
    """Vault + time-lock (k = 2): refused on the local beacon (one machine holds both), accepted on quicknet."""
    import pytest

    from core.errors import ValidationError

    data = {"custodian_user_ids": [], "include_vault": True, "include_tlock": True, "k": 2}
    with pytest.raises(ValidationError) as caught:
        make_project(publish=False, **data)
    assert caught.value.code == "custody_single_party"
    app.config["BEACON"] = "quicknet"
    try:
        project = make_project(publish=False, **data)
        assert [c.kind for c in project.custodians] == ["vault", "tlock"]
    finally:
        app.config["BEACON"] = "local"


def test_policy_freezes_chain_key_and_round(app, world, make_project, clock):
    from beacon import current_chain

    project = _tlock_project(make_project, world)
    entry = project.lots[0].policy["custodians"][1]
    chain = current_chain()
    assert entry["id"] == "tlock"
    assert entry["tlock"] == {"chain_hash": chain.chain_hash, "public_key": chain.public_key.hex(),
                              "round": chain.round_at(project.deadline)}
    assert chain.round_time(entry["tlock"]["round"]) >= project.deadline.timestamp()


def test_opening_with_the_time_lock_custodian(app, world, make_project, client, clock):
    from audit.models import AuditEvent
    from beacon import TooEarlyError, current_chain, fetch_signature
    from core.db import db
    from crypto import tlock
    from tender import opening
    from tender.models import OpeningRecord, Project

    project = _tlock_project(make_project, world)
    _submit_three(client, world, project)
    target = project.lots[0].policy["custodians"][1]["tlock"]
    chain = current_chain()
    try:
        fetch_signature(chain.urls, target["chain_hash"], chain.public_key, target["round"])
        raise AssertionError("the beacon signed the opening round before its time")
    except TooEarlyError:
        pass
    clock.set(project.deadline - timedelta(seconds=1))
    assert opening.release_tlock_shares(project) == 0
    # the opening time; the round is published at most one period later
    clock.set(project.deadline)
    opening.sweep()
    _keeper_shares(world, project)
    opening.sweep()
    round_time = chain.round_time(target["round"])
    if round_time > project.deadline.timestamp():
        assert OpeningRecord.query.count() == 0
    clock.set(project.deadline + timedelta(seconds=chain.period))
    opening.sweep()
    db.session.expire_all()
    project = db.session.get(Project, project.id)
    assert [line.price_fen for line in OpeningRecord.query.order_by(OpeningRecord.price_fen)] == [
        88_000_00, 91_500_00, 93_000_00]
    event = AuditEvent.query.filter_by(action="tender.tlock_shares_released").one()
    data = event.payload if isinstance(event.payload, dict) else json.loads(event.payload)
    assert data["round"] == target["round"] and data["shares"] == 3
    # anyone can redo it: the recorded signature verifies under the key frozen in the policy
    tlock.verify_round(bytes.fromhex(target["public_key"]), data["round"], bytes.fromhex(data["signature"]))


class _ForgingBeacon(BaseHTTPRequestHandler):
    """Answers every round with a signature made by another key."""

    signature = b""

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        round_number = int(self.path.rstrip("/").rsplit("/", 1)[-1])
        body = json.dumps({"round": round_number, "signature": self.signature.hex()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_a_forged_beacon_signature_opens_nothing(app, world, make_project, client, clock):
    from audit.models import AuditEvent
    from crypto import tlock
    from tender import opening
    from tender.models import OpeningRecord, ShareSubmission

    project = _tlock_project(make_project, world)
    _submit_three(client, world, project)
    target = project.lots[0].policy["custodians"][1]["tlock"]
    _ForgingBeacon.signature = tlock.sign_round(12345, target["round"])
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ForgingBeacon)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    saved = app.config["BEACON_URLS"]
    app.config["BEACON_URLS"] = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        clock.set(project.deadline + timedelta(seconds=10))
        opening.sweep()
        _keeper_shares(world, project)
        opening.sweep()
        assert OpeningRecord.query.count() == 0
        assert ShareSubmission.query.filter_by(custodian_id="tlock").count() == 0
        assert AuditEvent.query.filter_by(action="tender.tlock_shares_released").count() == 0
    finally:
        app.config["BEACON_URLS"] = saved
        server.shutdown()
        server.server_close()
    # the genuine beacon then opens them
    opening.sweep()
    assert OpeningRecord.query.count() == 3
