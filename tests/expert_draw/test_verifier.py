"""The verifiable draw: determinism, fairness, and tampering caught by the verifier."""

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from expert_draw.verifier import (
    Difference,
    encode_pool,
    final_seed,
    leaf_of,
    main,
    pool_digest,
    rank_order,
    select_committee,
    verify_draw,
)

ROOT = Path(__file__).resolve().parents[2]


def pool(n, weight=1, salt_byte=1):
    return sorted([leaf_of(bytes([salt_byte]) * 16, i), weight] for i in range(1, n + 1))


def spec(code, primary, backup, entries):
    return {"code": code, "primary": primary, "backup": backup, **encode_pool(entries)}


def test_ranking_is_deterministic_and_depends_on_every_input():
    specs = [spec("B01", 3, 1, pool(20))]
    seed = final_seed(b"s" * 32, "123456", None)
    a = select_committee(seed, 7, specs)
    assert a == select_committee(seed, 7, specs)
    assert a["selection"] != select_committee(seed, 8, specs)["selection"]
    assert a["selection"] != select_committee(final_seed(b"s" * 32, "123457", None), 7, specs)["selection"]
    assert a["selection"] != select_committee(final_seed(b"s" * 32, "123456", "beacon"), 7, specs)["selection"]
    assert len(a["orders"]["B01"]) == 20 and a["orders"]["B01"][:3] == a["selection"][0]["primary"]


def test_an_expert_in_two_specialties_is_drawn_once():
    shared = pool(6)
    specs = [
        spec("B01", 3, 0, shared),
        spec("C01", 3, 0, shared),
    ]
    result = select_committee(final_seed(b"x" * 32, "999999", None), 1, specs)
    drawn = result["selection"][0]["primary"] + result["selection"][1]["primary"]
    assert len(set(drawn)) == 6


def test_short_pool_reports_what_is_missing():
    result = select_committee(b"k" * 32, 1, [spec("B01", 5, 2, pool(3))])
    assert result["short"] == [{"code": "B01", "missing": 2}]


def test_draw_frequencies_are_fair_chi_square():
    """3 of 15 drawn 3000 times: each expert's count within the chi-square bound (df 14, p = 0.001: 36.12)."""
    entries = pool(15)
    counts = dict.fromkeys((leaf for leaf, _ in entries), 0)
    trials = 3000
    for t in range(trials):
        for leaf in rank_order(final_seed(t.to_bytes(32, "big"), "123456", None), 1, entries)[:3]:
            counts[leaf] += 1
    expected = trials * 3 / 15
    chi2 = sum((c - expected) ** 2 / expected for c in counts.values())
    assert chi2 < 36.12, chi2


def test_credit_weighting_favours_higher_weights_proportionally():
    """First place, weights 3:1 for two groups of 5: the heavy group wins ~75% of the time."""
    entries = sorted(pool(5, 3, 1) + pool(5, 1, 2))
    heavy = {leaf for leaf, w in entries if w == 3}
    wins = sum(rank_order(final_seed(t.to_bytes(32, "big"), "1", None), 2, entries)[0] in heavy for t in range(2000))
    assert 0.71 < wins / 2000 < 0.79


def test_weights_outside_the_range_are_refused():
    with pytest.raises(ValueError):
        rank_order(b"k" * 32, 1, [["ab" * 32, 9]])


# ---------------------------------------------------------------- verification of a logged draw


@pytest.fixture
def logged(world, make_expert, make_request):
    """A drawn request with one replacement, and its audit events."""
    from core.db import db
    from expert_draw import service

    for _ in range(8):
        make_expert(["B01"])
    for _ in range(5):
        make_expert(["C01"])
    req = make_request()
    draw = service.commit_draw(world.users["agency"], req)
    service.run_draw(draw, world.users["supervisor"], "314159265")
    db.session.commit()
    declined = next(i for i in req.invitations if i.status.value == "invited" and i.specialty_code == "B01")
    service.decline_invitation(declined.expert.account, declined, "出差在外")
    db.session.commit()
    return draw.id, service.draw_events(draw.id)


def test_logged_draw_verifies(logged):
    draw_id, events = logged
    check = verify_draw(events, draw_id)
    assert check.drawn and check.primary == 5 and check.backup == 2 and check.replacements == 1


def _tampered(events, action, change):
    events = copy.deepcopy(events)
    event = next(e for e in events if e["action"] == action)
    change(event["payload"])
    return events


@pytest.mark.parametrize(
    ("action", "change", "message"),
    [
        (
            "expert_draw.committed",
            lambda p: p["specialties"][0].__setitem__("leaves", "00" * 32 + p["specialties"][0]["leaves"][64:]),
            "pool digest",
        ),
        ("expert_draw.committed", lambda p: p["specialties"][0].__setitem__("primary", 2), "pool digest"),
        ("expert_draw.committed", lambda p: p.__setitem__("seed_hash", "00" * 32), "hash of the server seed"),
        ("expert_draw.drawn", lambda p: p.__setitem__("server_seed", "11" * 32), "hash of the server seed"),
        ("expert_draw.drawn", lambda p: p.__setitem__("supervisor_input", "271828"), "draw seed"),
        ("expert_draw.drawn", lambda p: p["selection"][0]["primary"].reverse(), "primary[0]"),
        ("expert_draw.replaced", lambda p: p.__setitem__("chosen", p["replaces"]), "chosen"),
    ],
)
def test_tampering_is_reported_as_the_first_difference(logged, action, change, message):
    draw_id, events = logged
    bad = _tampered(events, action, change)
    with pytest.raises(Difference, match="leaf hash"):
        verify_draw(bad, draw_id)  # the audit leaf no longer matches …
    with pytest.raises(Difference, match=message.replace("[", r"\[").replace("]", r"\]")):
        verify_draw(bad, draw_id, check_leaf_hashes=False)  # … and the draw itself disagrees


def test_counts_changed_with_a_recomputed_digest_still_fail(logged):
    draw_id, events = logged

    def change(p):
        p["specialties"][0]["primary"] = 2
        p["pool_digest"] = pool_digest(p["specialties"])

    with pytest.raises(Difference, match="primary"):
        verify_draw(_tampered(events, "expert_draw.committed", change), draw_id, check_leaf_hashes=False)


def test_a_removed_replacement_is_noticed(logged, world):
    from core.db import db
    from expert_draw import service
    from expert_draw.models import Invitation, InvitationStatus

    draw_id, _ = logged
    inv = db.session.query(Invitation).filter_by(draw_id=draw_id, status=InvitationStatus.INVITED).first()
    service.decline_invitation(inv.expert.account, inv, "身体不适")
    db.session.commit()
    events = service.draw_events(draw_id)
    events = [e for e in events if not (e["action"] == "expert_draw.replaced" and e["payload"]["n"] == 1)]
    with pytest.raises(Difference, match="replacement number"):
        verify_draw(events, draw_id)


def test_published_salts_map_leaves_to_experts_and_a_bad_salt_is_caught(logged, world, clock):
    from datetime import timedelta

    from core.db import db
    from expert_draw import service
    from expert_draw.models import Draw, InvitationStatus

    draw_id, _ = logged
    draw = db.session.get(Draw, draw_id)
    clock.advance(timedelta(days=3))
    service.publish_salts(draw.request)
    db.session.commit()
    events = service.draw_events(draw_id)
    check = verify_draw(events, draw_id)
    seated = {i.expert_id for i in draw.request.invitations if i.status in (InvitationStatus.INVITED,)}
    assert {e for ids in check.experts.values() for e in ids} == seated
    bad = _tampered(events, "expert_draw.salts_published", lambda p: p["salts"][0].__setitem__(1, "00" * 16))
    with pytest.raises(Difference, match="published salt"):
        verify_draw(bad, draw_id, check_leaf_hashes=False)


def test_discarded_draw_shows_in_the_log(world, make_expert, make_request):
    from core.db import db
    from expert_draw import service

    for _ in range(8):
        make_expert(["B01", "C01"])
    req = make_request()
    first = service.commit_draw(world.users["agency"], req)
    service.discard_draw(world.users["agency"], first, "监督人员未到场")
    second = service.commit_draw(world.users["agency"], req)
    service.run_draw(second, world.users["supervisor"], "8675309")
    db.session.commit()
    assert "discarded" in verify_draw(service.draw_events(first.id), first.id).summary()
    assert verify_draw(service.draw_events(second.id), second.id).drawn


def test_cli_and_standalone_verifier_print_match(logged, app, tmp_path):
    draw_id, events = logged
    runner = app.test_cli_runner()
    result = runner.invoke(args=["expert-draw", "verify", str(draw_id)])
    assert result.exit_code == 0 and result.output.startswith("MATCH"), result.output
    export = tmp_path / "export.json"
    export.write_text(json.dumps(events), encoding="utf-8")
    assert main([str(export)]) == 0
    bad = _tampered(events, "expert_draw.drawn", lambda p: p.__setitem__("supervisor_input", "000000"))
    export.write_text(json.dumps(bad), encoding="utf-8")
    assert main([str(export), "--draw", str(draw_id)]) == 1


def test_standalone_verifier_imports_neither_flask_nor_sqlalchemy(tmp_path):
    code = (
        "import sys, expert_draw.verifier; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy', 'flask_sqlalchemy')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
