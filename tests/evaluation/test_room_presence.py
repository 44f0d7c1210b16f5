"""Room presence is shared by every web process (a table, not one process's memory): a member connected
to another process counts; a connection whose process died stops counting after PRESENCE_TTL unless its
page's heartbeat refreshes it; leaving and disconnecting remove it; observers are not recorded."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select


def _open(room, clock):
    from core.db import db
    from evaluation import service

    clock.advance(timedelta(minutes=31))
    committee = service.open_evaluation(room.agency, room.lot.id)
    db.session.commit()
    return committee.id


def _rows() -> int:
    from core.db import db
    from evaluation.models import RoomPresence

    return db.session.scalar(select(func.count()).select_from(RoomPresence))


def test_presence_is_read_from_the_shared_table_and_expires(room, app, clock):
    from core.db import db
    from evaluation import events
    from evaluation.models import RoomPresence

    cid = _open(room, clock)
    # a member connected to another web process: only its row says so
    db.session.add(RoomPresence(sid="other-process-sid", committee_id=cid, user_id=room.experts[1].id,
                                seen_at=clock.now()))
    db.session.commit()
    assert events.present_users(cid) == {room.experts[1].id}
    clock.advance(events.PRESENCE_TTL - timedelta(seconds=1))
    assert events.present_users(cid) == {room.experts[1].id}
    clock.advance(timedelta(seconds=2))  # its process died: no heartbeat for longer than the TTL
    assert events.present_users(cid) == set()


def test_join_heartbeat_leave_and_disconnect(room, app, room_client, clock):
    from evaluation import events

    def emit(sio, event, data):
        with app.app_context():
            return sio.emit(event, data, namespace="/evaluation", callback=True)

    cid = _open(room, clock)
    member, _ = room_client(room.experts[0])
    assert emit(member, "join", {"committee_id": cid})["ok"]
    observer, _ = room_client(room.agency)
    assert emit(observer, "join", {"committee_id": cid})["ok"]
    with app.app_context():
        assert _rows() == 1 and events.present_users(cid) == {room.experts[0].id}  # observers not kept
        clock.advance(events.PRESENCE_TTL - timedelta(seconds=5))
    assert emit(member, "here", {"committee_id": cid})["ok"]  # the page's heartbeat
    with app.app_context():
        clock.advance(timedelta(seconds=30))
        assert events.present_users(cid) == {room.experts[0].id}  # refreshed: still present
    other, _ = room_client(room.experts[1])
    assert emit(other, "join", {"committee_id": cid})["ok"]
    assert emit(other, "leave", {"committee_id": cid})["ok"]
    presence = [m["args"][0]["present"] for m in member.get_received("/evaluation") if m["name"] == "presence"]
    assert presence[-2:] == [sorted([room.experts[0].id, room.experts[1].id]), [room.experts[0].id]]
    with app.app_context():
        member.disconnect(namespace="/evaluation")
        assert _rows() == 0 and events.present_users(cid) == set()
