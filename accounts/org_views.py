"""Pages of account opening and post configuration: finance's purchasing units and their departments, and
each organisation's own people and posts (its administrator's page)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from accounts import orgs, posts
from accounts.models import Region
from core.db import db
from core.errors import DomainError, Forbidden

bp = Blueprint("accounts_orgs", __name__, url_prefix="/accounts")


def navigation() -> None:
    """Finance's page of units, and each organisation administrator's page of people and posts."""
    from flask_babel import lazy_gettext as _l

    from accounts.models import Role
    from portal.dashboard import NAV, nav_item

    if any(item.endpoint.startswith("accounts_orgs.") for item in NAV):
        return
    nav_item(_l("采购单位账户"), "accounts_orgs.units", Role.FINANCE_REVIEWER, Role.SUPERVISOR, Role.ADMIN, more=True,
             when=lambda user: orgs.is_finance(user))
    nav_item(_l("人员与岗位"), "accounts_orgs.org", more=True, when=lambda user: bool(user.org_admin and user.org_id))
    nav_item(_l("修改密码"), "accounts.password", more=True)


def _int(name: str) -> int:
    try:
        return int(request.form.get(name, ""))
    except ValueError:
        return 0


def _person() -> orgs.Person:
    form = request.form
    return orgs.Person(form.get("username", ""), form.get("name", ""), form.get("phone", ""))


def _regions():
    regions = db.session.scalars(select(Region).order_by(Region.code))
    return [r for r in regions if orgs.is_finance(current_user, r.code)]


@bp.route("/units", methods=["GET", "POST"])
def units():
    orgs.require_finance(current_user)
    issued, status = None, 200
    if request.method == "POST":
        form = request.form
        try:
            admin = orgs.Person(form.get("username", ""), form.get("name_admin", ""), form.get("phone", ""))
            issued = orgs.open_purchaser(current_user, form.get("name", ""), form.get("uscc", ""),
                                         form.get("region_code", ""), admin)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            status = exc.status
        else:
            db.session.commit()
            flash(_("采购单位账户已开通。"), "success")
    form = request.form if status != 200 else {}
    return render_template("accounts/units.html", units=orgs.purchasers_of(current_user), regions=_regions(),
                           issued=issued, form=form), status


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
def unit(unit_id: int):
    org = orgs.get_org(unit_id)
    if not orgs.is_finance(current_user, org.region_code):
        raise Forbidden("只有本地区财政部门可以查看。", code="not_finance")
    if request.method == "POST":
        try:
            orgs.open_department(current_user, org.id, request.form.get("name", ""))
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            db.session.commit()
            flash(_("内设部门已设立。"), "success")
        return redirect(url_for("accounts_orgs.unit", unit_id=org.id))
    return render_template("accounts/unit.html", unit=org, departments=orgs.departments_of(org),
                           people=orgs.people_of(org))


def _managed():
    """The organisation the administrator runs, and its departments."""
    if not current_user.org_admin or current_user.org is None:
        raise Forbidden("只有单位管理员可以管理人员和岗位。", code="not_org_admin")
    unit = current_user.org
    return [unit, *orgs.departments_of(unit)]


def _org_page(issued=None, status: int = 200):
    managed = _managed()
    sections = [{"org": o, "people": orgs.people_of(o), "posts": posts.posts_of(o.id)} for o in managed]
    return render_template("accounts/org.html", sections=sections, issued=issued), status


@bp.get("/org")
def org():
    return _org_page()


@bp.post("/org/people")
def add_person():
    _managed()
    try:
        issued = orgs.create_member(current_user, _int("org_id"), _person())
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return _org_page(status=exc.status)
    db.session.commit()
    flash(_("人员账户已创建。"), "success")
    return _org_page(issued=issued)


def _act(fn, *args, success: str):
    _managed()
    try:
        fn(current_user, *args)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(success, "success")
    return redirect(url_for("accounts_orgs.org"))


@bp.post("/org/people/<int:user_id>/deactivate")
def deactivate(user_id: int):
    return _act(orgs.deactivate_member, user_id, success=_("账户已停用。"))


@bp.post("/org/people/<int:user_id>/activate")
def activate(user_id: int):
    return _act(orgs.activate_member, user_id, success=_("账户已恢复使用。"))


@bp.post("/org/posts")
def add_post():
    return _act(posts.add_post, _int("org_id"), request.form.get("name", ""), success=_("岗位已添加。"))


@bp.post("/org/posts/assign")
def assign():
    return _act(posts.assign_post, _int("org_id"), request.form.get("post", ""), _int("user_id"),
                success=_("岗位已分配。"))


@bp.post("/org/posts/unassign")
def unassign():
    return _act(posts.unassign_post, _int("org_id"), request.form.get("post", ""), _int("user_id"),
                success=_("已取消岗位。"))
