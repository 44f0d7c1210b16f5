"""The opening hall's room pushes each watcher's new view itself: `changed` carries the state
`hall.state_for` gives that viewer, rendered once per audience (same organisation, same part in the
project, same language), however many of its people watch."""

from __future__ import annotations

from datetime import timedelta

from tests_helpers import login


def _emit(app, sio, event, data):  # each event in its own app context, as in production
    with app.app_context():
        return sio.emit(event, data, namespace="/opening", callback=True)


def _view(user, project) -> dict:
    """What the hall shows `user`, in Chinese (outside a request nothing else chooses the language)."""
    from flask_babel import force_locale

    from tender import hall

    with force_locale("zh_CN"):
        return hall.state_for(user, project)


def _changed(sio) -> list[dict]:
    return [e["args"][0] for e in sio.get_received("/opening") if e["name"] == "changed"]


def _colleague(user, username: str):
    """A second person of the same supplier organisation."""
    from conftest import password_hash

    from accounts import service
    from core.db import db

    colleague = service.create_user(username, "同事", None, ["supplier"], user.region_code, org=user.org,
                                    password_hash=password_hash())
    db.session.commit()
    colleague.totp_seed = None  # suppliers sign in without TOTP
    return colleague


def test_a_change_pushes_each_watcher_its_own_view(app, world, make_project, hall_client, clock):
    from core.db import db

    project = make_project(register=2)
    a, b = world.suppliers[0].user, world.suppliers[1].user
    watchers = {a.id: hall_client(a), b.id: hall_client(b), world.agency.id: hall_client(world.agency)}
    for sio in watchers.values():
        assert _emit(app, sio, "join", {"project_id": project.id})["ok"]
        sio.get_received("/opening")
    clock.set(project.deadline - timedelta(minutes=10))
    assert _emit(app, watchers[a.id], "checkin", {"project_id": project.id, "csrf_token": ""}) == {"ok": True}
    db.session.expire_all()
    for user in (a, b, world.agency):
        [pushed] = _changed(watchers[user.id])
        assert pushed["project_id"] == project.id and pushed["what"] == "checkin"
        assert pushed["state"] == _view(user, project)  # this viewer's view, nobody else's
    assert _changed(watchers[a.id]) == []
    assert _view(a, project)["me"]["checked_in"] and not _view(b, project)["me"]["checked_in"]
    assert "checkin_list" in _view(world.agency, project)


def test_watchers_of_one_audience_cost_one_render(app, world, make_project, hall_client, clock, monkeypatch):
    from tender import events, hall

    project = make_project(register=2)
    a = world.suppliers[0].user
    same_org = [a, _colleague(a, "sup0b"), _colleague(a, "sup0c")]
    other_org = world.suppliers[1].user
    room = events.HallRoom.__new__(events.HallRoom)
    assert len({room.audience(u, project) for u in same_org}) == 1
    assert room.audience(other_org, project) != room.audience(a, project)
    assert room.audience(world.agency, project) != room.audience(a, project)
    views = [_view(u, project) for u in same_org]
    assert views[1:] == views[:-1]  # one audience, one view: rendering it once is exact

    clients = [hall_client(u) for u in [*same_org, other_org]]
    for sio in clients:
        assert _emit(app, sio, "join", {"project_id": project.id})["ok"]
        sio.get_received("/opening")
    renders = []
    real = hall.state_for
    monkeypatch.setattr(hall, "state_for", lambda user, project: renders.append(user.id) or real(user, project))
    with app.app_context():
        events.announce(project.id, "test")
    assert len(renders) == 2  # two audiences present; four watchers
    pushed = [_changed(sio) for sio in clients]
    assert all(len(p) == 1 for p in pushed)
    assert pushed[0] == pushed[1] == pushed[2]  # the one render, sent to the audience


def test_a_watcher_who_left_is_not_rendered_for_and_an_english_one_gets_english(
    app, world, make_project, hall_client, clock, monkeypatch
):
    from core.extensions import socketio
    from tender import events, hall

    project = make_project(register=2)
    a, b = world.suppliers[0].user, world.suppliers[1].user
    stays, leaves = hall_client(a), hall_client(b)
    for sio in (stays, leaves):
        assert _emit(app, sio, "join", {"project_id": project.id})["ok"]
    assert _emit(app, leaves, "leave", {"project_id": project.id})["ok"]
    with app.app_context():
        flask_client = app.test_client()
        login(flask_client, b)
        flask_client.get("/lang/en")
    with app.app_context():
        english = socketio.test_client(app, namespace="/opening", flask_test_client=flask_client)
    try:
        assert _emit(app, english, "join", {"project_id": project.id})["ok"]
        for sio in (stays, leaves, english):
            sio.get_received("/opening")
        renders = []
        real = hall.state_for
        monkeypatch.setattr(hall, "state_for", lambda user, project: renders.append(user.id) or real(user, project))
        with app.app_context():
            events.announce(project.id, "test")
        assert sorted(renders) == sorted([a.id, b.id])  # b once, for the English connection only
        assert _changed(leaves) == []
        assert _changed(stays)[0]["state"]["project"]["status_text"] == "投标中"
        assert _changed(english)[0]["state"]["project"]["status_text"] != "投标中"
    finally:
        english.disconnect(namespace="/opening")


def test_connections_of_a_dead_process_are_not_rendered_for_and_go(app, world, make_project, hall_client):
    from core import rooms
    from core.db import db
    from tender import events

    project = make_project(register=2)
    a, b = world.suppliers[0].user, world.suppliers[1].user
    seen = rooms.wall_now() - rooms.PRESENCE_TTL - rooms.STALE_AFTER
    db.session.add(rooms.RoomConnection(sid="dead-process-sid", namespace=events.NAMESPACE, subject_id=project.id,
                                        user_id=b.id, audience="org:dead", locale="zh_CN", seen_at=seen))
    db.session.commit()
    room = events.HallRoom.__new__(events.HallRoom)
    room.namespace = events.NAMESPACE
    assert room.watchers(project.id) == []  # past its heartbeats: nobody to render for
    sio = hall_client(a)
    assert _emit(app, sio, "join", {"project_id": project.id})["ok"]
    db.session.expire_all()
    rows = db.session.scalars(db.select(rooms.RoomConnection.sid)).all()
    assert "dead-process-sid" not in rows and len(rows) == 1
    assert [user for _, _, user in room.watchers(project.id)] == [a.id]
