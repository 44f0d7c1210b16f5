"""The score submission's broadcast: the `changed` event a submission sends (its snapshot is taken under the
committee's row lock, before the commit) is the room as a fresh read after the commit shows it, carries no
score, and nothing is announced when the submission is refused."""

from __future__ import annotations

import threading
from datetime import timedelta

from evaluation_helpers import declare_and_elect, review_all_pass
from tests_helpers import totp_code


def _open_to_scoring(room, clock) -> int:
    from core.db import db
    from evaluation import service

    clock.advance(timedelta(minutes=31))
    cid = service.open_evaluation(room.agency, room.lot.id).id
    declare_and_elect(room, cid)
    review_all_pass(room, cid)
    db.session.commit()
    return cid


def _changed(sio) -> list[dict]:
    return [m["args"][0] for m in sio.get_received("/evaluation") if m["name"] == "changed"]


def test_submission_broadcasts_the_committed_progress_and_no_score(room, app, room_client, clock):
    from evaluation import events, service

    cid = _open_to_scoring(room, clock)
    a, b = room.experts[0], room.experts[1]
    watcher, _ = room_client(b)
    sio_a, http = room_client(a)
    for sio in (watcher, sio_a):
        with app.app_context():
            assert sio.emit("join", {"committee_id": cid}, namespace="/evaluation", callback=True)["ok"]
    watcher.get_received("/evaluation")
    clock.advance(timedelta(seconds=31))
    with app.app_context():
        r = http.post(f"/api/v1/evaluation/committees/{cid}/scores",
                      json={"scores": {str(bid.id): {"技术": "39.75", "商务": "11.5"} for bid in room.bids},
                            "totp": totp_code(a)})
    assert r.status_code == 200, r.get_data(as_text=True)
    sent = _changed(watcher)
    assert len(sent) == 1
    message = sent[0]
    with app.app_context():
        fresh = events.snapshot(service.get_committee(cid))
        member_a = next(m.id for m in service.get_committee(cid).members if m.user_id == a.id)
    assert {k: v for k, v in message.items() if k != "what"} == fresh
    assert message["what"] == "scores" and message["progress"]["scoring"] == [member_a]
    assert sorted(message["present"]) == sorted([a.id, b.id])
    assert r.get_json()["progress"] == fresh["progress"] and r.get_json()["status"] == "scoring"
    # no score anywhere (the values are chosen so that no id or time can contain them)
    assert not any("score" in key for key in message if key != "what")
    assert "39.75" not in str(message)


def test_refused_submission_announces_nothing_and_frees_the_turn(room, app, room_client, clock):
    from evaluation import events

    cid = _open_to_scoring(room, clock)
    watcher, _ = room_client(room.experts[1])
    _, http = room_client(room.experts[0])
    with app.app_context():
        assert watcher.emit("join", {"committee_id": cid}, namespace="/evaluation", callback=True)["ok"]
    watcher.get_received("/evaluation")
    with app.app_context():
        r = http.post(f"/api/v1/evaluation/committees/{cid}/scores",
                      json={"scores": {str(bid.id): {"技术": "40", "商务": "12"} for bid in room.bids},
                            "totp": "000000"})
    assert r.status_code == 401
    assert _changed(watcher) == []
    entered = threading.Event()

    def other_writer():
        with events.turn(cid):
            entered.set()

    t = threading.Thread(target=other_writer)
    t.start()
    t.join(timeout=5)
    assert entered.is_set(), "the refused submission kept the room's turn"
