"""The public home page and the dashboard, which shows each role what it works on."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

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
