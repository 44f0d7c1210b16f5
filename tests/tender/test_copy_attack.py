"""The relabelled-copy attack (issue 10): a supplier puts its own id and signature on a competitor's
sealed file. The platform refuses the copy (same key commitment or same ciphertext), keeps the refusal
as collusion evidence for the supervisor, and the original never loses its bid — even under a policy
without the vault, where the custodians' genuine shares used to be matched to the copy."""

from __future__ import annotations

import json
import os
from datetime import timedelta

from sealed_attacks import relabel
from tender_helpers import seal_bid, submit
from tests_helpers import login, totp_code

from crypto.encoding import b64u_encode


def _events(action: str) -> list[dict]:
    from audit.models import AuditEvent

    return [json.loads(e.payload) for e in AuditEvent.query.filter_by(action=action).order_by(AuditEvent.seq)]


def _copy_of(world, data: bytes, copier) -> bytes:
    from tender.bids import bidder_id_of

    return relabel(data, bidder_id_of(copier.user.org), copier.sign_key)


def _no_vault(world) -> dict:
    return {"include_vault": False, "k": 2}  # keeper0 and keeper1, each a party of its own


def test_a_relabelled_copy_is_refused_and_kept_as_evidence(app, world, make_project, client, clock):
    from core.db import db
    from tender.models import Bid

    project = make_project(**_no_vault(world))
    lot = project.lots[0]
    victim, copier = world.suppliers[0], world.suppliers[1]
    original = seal_bid(project, lot, victim)
    assert submit(client, victim.user, project, lot, original).status_code == 201
    response = submit(client, copier.user, project, lot, _copy_of(world, original, copier))
    body = response.get_json()
    assert response.status_code == 422 and body["error"]["code"] == "container_copy_of_another_bid"
    assert "监管部门" in body["error"]["message"]
    [evidence] = _events("tender.bid_copy_refused")  # committed although the upload was refused
    assert evidence["org"] == copier.user.org_id and evidence["matches_org"] == victim.user.org_id
    assert evidence["match"] == "commitment"
    db.session.expire_all()
    assert [(b.org_id, b.status.value) for b in Bid.query.all()] == [(victim.user.org_id, "submitted")]


def test_a_copy_with_a_made_up_commitment_is_caught_by_its_ciphertext(app, world, make_project, client, clock):
    import io

    from sealed_attacks import container  # the same crypto.container module

    import crypto
    from tender.bids import bidder_id_of

    project = make_project(**_no_vault(world))
    lot = project.lots[0]
    victim, copier = world.suppliers[0], world.suppliers[1]
    original = seal_bid(project, lot, victim)
    assert submit(client, victim.user, project, lot, original).status_code == 201
    header = crypto.read_header(io.BytesIO(original))
    fields = dict(header.fields, commitment=b64u_encode(os.urandom(32)))
    body = container.canonical_json(fields)
    prefix = container.MAGIC + bytes([header.version]) + len(body).to_bytes(4, "big") + body
    forged = prefix + header.mac + original[len(header.prefix) + 32:]
    copy = relabel(forged, bidder_id_of(copier.user.org), copier.sign_key)
    response = submit(client, copier.user, project, lot, copy)
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "container_copy_of_another_bid"
    assert _events("tender.bid_copy_refused")[-1]["match"] == "ciphertext"


def test_the_supervisor_sees_the_evidence_on_the_dashboard(app, world, make_project, client, clock):
    project = make_project(**_no_vault(world))
    lot = project.lots[0]
    victim, copier = world.suppliers[0], world.suppliers[1]
    original = seal_bid(project, lot, victim)
    submit(client, victim.user, project, lot, original)
    submit(client, copier.user, project, lot, _copy_of(world, original, copier))
    keeper = world.custodians[0][0]  # a supervisor of the project's region
    login(client, keeper)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "串通投标嫌疑" in page and project.title in page


def test_the_original_opens_even_if_a_copy_was_stored(app, world, make_project, client, clock):
    """A copy that got in before this check existed (inserted here as a row): the custodians' shares are
    matched by commitment AND bidder id, so the victim's bid gets its own shares and opens; the copy
    cannot be unwrapped for the copier and never opens."""
    import io

    import crypto
    from core.db import db
    from tender import filestore, opening
    from tender.bids import bidder_id_of
    from tender.models import Bid, OpeningRecord

    project = make_project(**_no_vault(world))
    lot = project.lots[0]
    victim, copier = world.suppliers[0], world.suppliers[1]
    original = seal_bid(project, lot, victim)
    assert submit(client, victim.user, project, lot, original).status_code == 201
    for other in world.suppliers[2:4]:
        assert submit(client, other.user, project, lot, seal_bid(project, lot, other)).status_code == 201
    copy = _copy_of(world, original, copier)
    relative = f"bids/{project.id}/{lot.id}/copied.sealed"
    filestore.absolute(relative).write_bytes(copy)
    info = crypto.inspect(io.BytesIO(copy))
    first = Bid.query.filter_by(org_id=victim.user.org_id).one()
    db.session.add(Bid(project_id=project.id, lot_id=lot.id, org_id=copier.user.org_id, user_id=copier.user.id,
                       bidder_id=bidder_id_of(copier.user.org), path=relative, size=len(copy),
                       sha256=info["sha256"], signed_digest=info["signed_digest"], signer_fingerprint="x",
                       commitment=info["commitment"], submitted_at=first.submitted_at + timedelta(seconds=1)))
    db.session.commit()
    clock.set(project.deadline)
    opening.sweep()
    for keeper, key in world.custodians:
        login(client, keeper)
        shares = []
        for item in client.get(f"/api/v1/tender/projects/{project.id}/custody").get_json()["bids"]:
            header = client.get(item["header_url"]).data
            try:
                shares.append(crypto.unwrap_share(io.BytesIO(header), key).to_json())
            except crypto.SealedError as exc:
                assert exc.code == "stanza_invalid"  # the copy's stanzas were wrapped for the victim
        assert len(shares) == 3  # the three genuine bids
        clock.advance(timedelta(seconds=31))
        answer = client.post(f"/api/v1/tender/projects/{project.id}/shares",
                             json={"shares": shares, "totp": totp_code(keeper)})
        assert answer.status_code == 200, answer.get_json()
    db.session.expire_all()
    mine = Bid.query.filter_by(org_id=victim.user.org_id).one()
    assert mine.status.value == "opened"
    assert OpeningRecord.query.filter_by(bid_id=mine.id).count() == 1
    assert Bid.query.filter_by(org_id=copier.user.org_id).one().status.value == "submitted"  # never opens


def test_a_refused_share_stays_audited_and_the_good_ones_are_kept(app, world, make_project, client, clock):
    import io

    import crypto
    from core.db import db
    from tender import opening
    from tender.models import ShareSubmission

    project = make_project(**_no_vault(world))
    lot = project.lots[0]
    for supplier in world.suppliers[:3]:
        assert submit(client, supplier.user, project, lot, seal_bid(project, lot, supplier)).status_code == 201
    clock.set(project.deadline)
    opening.sweep()
    keeper, key = world.custodians[0]
    login(client, keeper)
    shares = [crypto.unwrap_share(io.BytesIO(client.get(item["header_url"]).data), key).to_json()
              for item in client.get(f"/api/v1/tender/projects/{project.id}/custody").get_json()["bids"]]
    shares[0]["y"] = b64u_encode(bytes(32))  # a corrupt share
    clock.advance(timedelta(seconds=31))
    answer = client.post(f"/api/v1/tender/projects/{project.id}/shares",
                         json={"shares": shares, "totp": totp_code(keeper)})
    assert answer.status_code == 422 and answer.get_json()["error"]["code"] == "share_invalid"
    assert "其余 2 份已接受" in answer.get_json()["error"]["message"]
    db.session.expire_all()
    [rejected] = _events("tender.share_rejected")
    assert rejected["error"] == "bad_share" and rejected["custodian"] == f"u{keeper.id}"
    assert ShareSubmission.query.count() == 2
    assert _events("tender.shares_submitted")[-1]["refused"] == 1
