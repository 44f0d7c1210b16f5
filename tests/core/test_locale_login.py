"""Issue 13 §9: English chosen before the login is kept after it (cookie), and becomes the user's setting."""

from __future__ import annotations

from datetime import timedelta

from tests_helpers import login


def test_english_survives_the_login_and_is_the_users_setting(client, clock, make_user):
    from core.db import db

    user = make_user("supplier", org_kind="supplier")
    client.get("/lang/en")
    clock.advance(timedelta(seconds=31))
    assert login(client, user).status_code == 302  # the login clears the session
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'lang="en"' in page
    client.get("/lang/en")  # signed in: stored as the user's own setting
    db.session.refresh(user)
    assert user.locale == "en"
