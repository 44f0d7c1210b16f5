"""The public home page and the dashboard, which shows each role what it works on."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from flask_login import current_user

from core import clock
from core.auth import public
from portal import dashboard as dashboards
from portal.needs import needs_for

bp = Blueprint("portal", __name__)


@bp.get("/")
@public
def index():
    return render_template("portal/index.html", sections=dashboards.public_sections())


@bp.get("/dashboard")
def dashboard():
    return render_template("portal/dashboard.html", panels=dashboards.panels_for(current_user),
                           needs=needs_for(current_user))


@bp.get("/time.json")
@public
def server_time():
    """The server's clock for the header clock's offset (static/js/clock.js): never cached."""
    now = clock.now()
    response = jsonify({"now": now.isoformat(), "ms": int(now.timestamp() * 1000)})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/next-deadline.json")
def next_deadline_json():
    """The next deadline of the signed-in user, asked for by the bar when the one it showed has passed."""
    found = dashboards.next_deadline(current_user)
    body = {"label": str(found["label"]), "at": found["at"].isoformat()} if found else {}
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response
