"""Issue 13 §2: the header clock's server time, and the next deadline the bar moves to once one passes."""

from __future__ import annotations

from datetime import timedelta

from tests_helpers import login


def test_time_json_is_the_server_clock_never_cached(client, clock):
    body = client.get("/time.json")
    assert body.headers["Cache-Control"] == "no-store"
    assert body.get_json()["ms"] == int(clock.now().timestamp() * 1000)


def test_the_page_carries_the_server_time_for_the_ticking_clock(client, clock):
    page = client.get("/").get_data(as_text=True)
    assert f'data-server-now="{clock.now().isoformat()}"' in page and "js/clock.js" in page


def test_a_past_deadline_is_not_next(app, client, clock, make_user):
    from portal import dashboard

    user = make_user("supplier", org_kind="supplier")
    soon, later = clock.now() + timedelta(minutes=1), clock.now() + timedelta(days=2)

    def source(u):
        return {"label": "澄清答复期限", "at": soon} if u is not None else None

    def other(u):
        return {"label": "合同签订期限", "at": later} if u is not None else None

    dashboard.DEADLINE_SOURCES.extend([source, other])
    try:
        login(client, user)
        assert client.get("/next-deadline.json").get_json() == {"label": "澄清答复期限", "at": soon.isoformat()}
        page = client.get("/dashboard").get_data(as_text=True)
        assert f'data-at="{soon.isoformat()}"' in page
        clock.advance(timedelta(minutes=2))  # the first one has passed; its object has not moved yet
        assert client.get("/next-deadline.json").get_json() == {"label": "合同签订期限", "at": later.isoformat()}
    finally:
        dashboard.DEADLINE_SOURCES.remove(source)
        dashboard.DEADLINE_SOURCES.remove(other)
