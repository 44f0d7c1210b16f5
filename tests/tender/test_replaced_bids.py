"""Issue 11: replaced bids are kept with a quota (region rule replaced_bids_kept_max, per supplier and lot),
beyond which a submission is refused with a clear error; after the opening, where the region's rule allows,
the replaced and withdrawn bids' files are deleted (rows, digests and receipts stay), audited."""

from __future__ import annotations

import json
from pathlib import Path

from tender_helpers import seal_bid, submit, sweep_with_keeper, vault_and_keeper
from tests_helpers import login


def _store(app, relative: str) -> Path:
    return Path(app.config["FILE_STORE"]) / "tender" / relative


def _set_rule(key: str, value: int, region: str | None = None) -> None:
    from core.db import db
    from tender.rules import set_rule

    set_rule(region, key, value)
    db.session.commit()


def test_a_supplier_replacing_beyond_the_quota_is_refused(world, make_project, client, app):
    from tender.models import Bid

    _set_rule("replaced_bids_kept_max", 2, "330329")  # the county's own rule over the national default (5)
    project = make_project()
    lot, supplier = project.lots[0], world.suppliers[0]
    for _ in range(3):  # one bid and two replacements
        assert submit(client, supplier.user, project, lot, seal_bid(project, lot, supplier)).status_code == 201
    refused = submit(client, supplier.user, project, lot, seal_bid(project, lot, supplier))
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert error["code"] == "bid_replacements_exhausted" and "最多递交 3 次" in error["message"]
    assert error["details"] == {"replaced_bids_kept_max": 2, "submitted": 3}
    assert Bid.query.filter_by(org_id=supplier.user.org_id, lot_id=lot.id).count() == 3
    assert not [p for p in _store(app, "tmp").glob("*") if p.is_file()]  # nothing of the refused upload
    # withdrawing does not reopen the quota (a submit/withdraw loop would fill the disk just the same)
    current = Bid.query.filter_by(org_id=supplier.user.org_id, lot_id=lot.id, status="submitted").one()
    login(client, supplier.user)
    assert client.post(f"/api/v1/tender/bids/{current.id}/withdraw").status_code == 200
    again = submit(client, supplier.user, project, lot, seal_bid(project, lot, supplier))
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "bid_replacements_exhausted"
    # other lots and other suppliers have their own count
    other_lot = project.lots[1]
    assert submit(client, supplier.user, project, other_lot, seal_bid(project, other_lot, supplier)).status_code == 201
    assert submit(client, world.suppliers[1].user, project, lot,
                  seal_bid(project, lot, world.suppliers[1])).status_code == 201


def test_the_national_default_applies_without_a_region_rule(world, make_project, client):
    from tender.rules import DEFAULT_RULES, rule

    assert rule("330329", "replaced_bids_kept_max") == DEFAULT_RULES["replaced_bids_kept_max"][0] == 5
    project = make_project()
    lot, supplier = project.lots[0], world.suppliers[0]
    for _ in range(6):
        assert submit(client, supplier.user, project, lot, seal_bid(project, lot, supplier)).status_code == 201
    assert submit(client, supplier.user, project, lot, seal_bid(project, lot, supplier)).status_code == 409


def _three_bidders_one_replaced(world, make_project, client):
    project = make_project(**vault_and_keeper(world))
    lot = project.lots[0]
    for supplier in world.suppliers[:3]:
        assert submit(client, supplier.user, project, lot, seal_bid(project, lot, supplier)).status_code == 201
    supplier = world.suppliers[0]
    assert submit(client, supplier.user, project, lot, seal_bid(project, lot, supplier, 85_000_00)).status_code == 201
    return project


def test_after_the_opening_replaced_files_are_removed_and_audited(world, make_project, client, clock, app):
    from audit.models import AuditEvent
    from core.db import db
    from tender import tasks
    from tender.models import Bid

    project = _three_bidders_one_replaced(world, make_project, client)
    replaced = Bid.query.filter_by(project_id=project.id, status="superseded").one()
    assert _store(app, replaced.path).exists()
    assert tasks.sweep()["superseded_files_removed"] == []  # before the deadline nothing goes
    assert _store(app, replaced.path).exists()
    clock.set(project.deadline)
    sweep_with_keeper(world)
    db.session.expire_all()
    assert db.session.get(type(project), project.id).status.value not in ("bidding", "opening")
    result = tasks.sweep()
    assert result["superseded_files_removed"] == [project.id]
    db.session.expire_all()
    replaced = db.session.get(Bid, replaced.id)
    assert replaced.file_removed_at is not None and not _store(app, replaced.path).exists()
    assert replaced.sha256 and json.loads(replaced.receipt or "{}") is not None  # the row and digest stay
    opened = Bid.query.filter_by(project_id=project.id, status="opened").all()
    assert opened and all(b.file_removed_at is None and _store(app, b.path).exists() for b in opened)
    event = AuditEvent.query.filter_by(action="tender.superseded_files_removed").one()
    payload = json.loads(event.payload)
    assert [b["id"] for b in payload["bids"]] == [replaced.id] and payload["bids"][0]["sha256"] == replaced.sha256
    assert tasks.sweep()["superseded_files_removed"] == []  # idempotent: done once
    assert AuditEvent.query.filter_by(action="tender.superseded_files_removed").count() == 1


def test_a_region_that_keeps_replaced_files_keeps_them(world, make_project, client, clock, app):
    from core.db import db
    from tender import tasks
    from tender.models import Bid

    _set_rule("superseded_files_removed_after_opening", 0, "330300")  # the city's rule covers the county
    project = _three_bidders_one_replaced(world, make_project, client)
    clock.set(project.deadline)
    sweep_with_keeper(world)
    assert tasks.sweep()["superseded_files_removed"] == []
    db.session.expire_all()
    replaced = Bid.query.filter_by(project_id=project.id, status="superseded").one()
    assert replaced.file_removed_at is None and _store(app, replaced.path).exists()


def test_the_header_of_a_removed_file_is_gone_not_a_server_error(world, make_project, client, clock, app):
    """Found by the API fuzzing run: the supplier's replaced bid, its file deleted after the opening, answered
    500 (FileNotFoundError) when its header was asked for."""
    from core.db import db
    from tender import tasks
    from tender.models import Bid

    project = _three_bidders_one_replaced(world, make_project, client)
    replaced = Bid.query.filter_by(project_id=project.id, status="superseded").one()
    login(client, world.suppliers[0].user)
    assert client.get(f"/api/v1/tender/bids/{replaced.id}/header").status_code == 200  # still there
    clock.set(project.deadline)
    sweep_with_keeper(world)
    tasks.sweep()
    db.session.expire_all()
    assert db.session.get(Bid, replaced.id).file_removed_at is not None
    login(client, world.suppliers[0].user)
    gone = client.get(f"/api/v1/tender/bids/{replaced.id}/header")
    assert gone.status_code == 410 and gone.get_json()["error"]["code"] == "bid_file_removed"
