"""A draw checked alone (issue 11): its audit record carries each event's inclusion proof and the signed
checkpoint, `python -m expert_draw.verifier FILE --fingerprint HEX` checks it with nothing else, and the
record and the verification page the result notice links are public once the result is published."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from tests_helpers import login

from core.db import db
from expert_draw import service
from expert_draw.verifier import main


@pytest.fixture
def drawn(world, make_expert, make_request):
    for _ in range(7):
        make_expert(["B01"])
    req = make_request(counts=(("B01", 5, 1),))
    service.run_draw(service.commit_draw(world.users["agency"], req), world.users["supervisor"], "123456")
    db.session.commit()
    return req


def _publish_result_for(world, req):
    """A tender project behind the request, with its result notice published (tender.service)."""
    from core import clock
    from notices import kinds
    from notices.service import publish_notice
    from tender.models import Project
    from tender.transitions import Category, EvalMethod, Method, OpeningMode

    now = clock.now()
    project = Project(code=f"TS-{req.id}", title=req.project_title, region_code="330329",
                      purchaser_org_id=req.purchaser_org_id, agency_org_id=req.agency_org_id,
                      created_by_id=world.users["agency"].id, catalogue_code="A02", category=Category.GOODS,
                      method=Method.PUBLIC_TENDER, eval_method=EvalMethod.SCORING, notice_at=now, doc_start_at=now,
                      doc_end_at=now, clarify_deadline=now, deadline=now, opening_mode=OpeningMode.CUSTODIAN,
                      created_at=now)
    db.session.add(project)
    db.session.flush()
    req.project_id = project.id
    notice = publish_notice(project, kinds.RESULT, "结果公告",
                            f"专家抽取申请编号 {req.id}，可在“抽取核验”页面复核。")
    db.session.commit()
    return notice


def _fingerprint() -> str:
    from audit.service import verifier_key_fingerprint

    return verifier_key_fingerprint()


def test_the_record_verifies_alone_against_the_pinned_key(world, drawn, client, tmp_path, capsys):
    draw = drawn.draws[0]
    login(client, world.users["agency"])
    got = client.get(f"/expert-draw/draws/{draw.id}/audit.json")
    assert got.status_code == 200
    doc = got.get_json()
    assert doc["format"] == "biaoyun-draw-audit/1" and doc["draw_id"] == draw.id
    assert all(isinstance(e["inclusion_proof"], list) for e in doc["events"])
    assert client.get(f"/api/v1/draws/{draw.id}/audit").get_json()["events"][0]["seq"] == doc["events"][0]["seq"]
    path = tmp_path / "draw.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert main([str(path), "--fingerprint", _fingerprint()]) == 0
    out = capsys.readouterr().out
    assert f"in the signed tree size={doc['tree_size']}" in out and "MATCH" in out and "DIFFERENCE" not in out
    from audit.service import verifier_key

    assert main([str(path), "--vkey", verifier_key()]) == 0
    capsys.readouterr()
    with pytest.raises(SystemExit) as no_key:  # the file's own key proves nothing
        main([str(path)])
    assert no_key.value.code == 2


def test_a_changed_event_or_a_foreign_key_is_refused(world, drawn, client, tmp_path, capsys):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from audit.checkpoint import sign_checkpoint, verifier_key_string

    draw = drawn.draws[0]
    login(client, world.users["agency"])
    doc = client.get(f"/expert-draw/draws/{draw.id}/audit.json").get_json()
    drawn_event = next(e for e in doc["events"] if e["action"] == "expert_draw.drawn")
    drawn_event["payload"]["supervisor_input"] = "654321"
    drawn_event.pop("leaf_hash")  # a careful forger drops the stored hash too
    path = tmp_path / "changed.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert main([str(path), "--fingerprint", _fingerprint()]) == 1
    assert "DIFFERENCE audit log" in capsys.readouterr().out
    # Re-signed under a fresh key, consistent in itself: refused by the pinned fingerprint.
    doc = client.get(f"/expert-draw/draws/{draw.id}/audit.json").get_json()
    forger = Ed25519PrivateKey.generate()
    origin = doc["checkpoint"].split("\n", 1)[0]
    from audit.checkpoint import parse_checkpoint

    cp = parse_checkpoint(doc["checkpoint"])
    doc["checkpoint"] = sign_checkpoint(origin, cp.size, cp.root, forger, origin)
    doc["verifier_key"] = verifier_key_string(origin, forger.public_key())
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert main([str(path), "--fingerprint", _fingerprint()]) == 1
    assert "not the pinned" in capsys.readouterr().out


def test_public_from_the_result_notice_and_the_notice_links_a_page_that_exists(world, drawn, client, clock):
    draw = drawn.draws[0]
    urls = [f"/expert-draw/draws/{draw.id}/audit.json", f"/api/v1/draws/{draw.id}/audit",
            f"/expert-draw/{drawn.id}/verify"]
    for url in urls:  # before the result: an outsider and an anonymous visitor learn nothing
        assert client.get(url).status_code == 404, url
    anonymous = client.application.test_client()
    login(client, world.users["outsider"])
    assert all(client.get(url).status_code == 404 for url in urls)
    clock.advance(timedelta(days=3, hours=1))
    notice = _publish_result_for(world, drawn)
    client = anonymous
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    link = f"/expert-draw/{drawn.id}/verify"
    assert f'href="{link}"' in page and "专家抽取核验" in page
    verify = client.get(link)
    assert verify.status_code == 200
    text = verify.get_data(as_text=True)
    assert f"/expert-draw/draws/{draw.id}/audit.json" in text and _fingerprint() in text
    record = client.get(f"/expert-draw/draws/{draw.id}/audit.json")
    assert record.status_code == 200 and record.get_json()["draw_id"] == draw.id
    assert "filename*=UTF-8''" in record.headers["Content-Disposition"]
    names = {inv.expert.name for inv in drawn.invitations}
    assert not any(name in record.get_data(as_text=True) for name in names)  # names nobody
