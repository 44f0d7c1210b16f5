"""Pages of the agency registry: the public list, online sign-up, the agency's own registration (particulars,
staff, changes), the supervisor's list with its marks, and the rating of agencies after a project."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from accounts.models import Region, Role
from accounts.orgs import Person
from accounts.views import finish_login
from core.auth import public, roles_required
from core.db import db
from core.errors import DomainError, ValidationError
from core.i18n import N_
from registry.agencies import ratings, service

bp = Blueprint("registry_agencies", __name__, url_prefix="/agencies")
STATUS_LABELS = {"draft": N_("登记未完成"), "listed": N_("在名录中"), "suspended": N_("暂停"),
                 "removed": N_("已移出名录")}
MARK_LABELS = {"suspend": N_("暂停"), "restore": N_("恢复"), "remove": N_("移出名录")}


def _done(message: str, endpoint: str, **values):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(endpoint, **values))


def _failed(exc: DomainError, endpoint: str, **values):
    db.session.rollback()
    flash(exc.message, "danger")
    return redirect(url_for(endpoint, **values))


def _regions():
    return db.session.scalars(select(Region).order_by(Region.code)).all()


@bp.get("")
@public
def index():
    return render_template("registry/agencies/list.html", entries=service.public_list(), labels=STATUS_LABELS,
                           dimensions=ratings.DIMENSIONS)


@bp.route("/signup", methods=["GET", "POST"])
@public
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("registry_agencies.mine"))
    if request.method == "POST":
        form = request.form
        try:
            user = service.sign_up(form.get("org_name", ""), form.get("uscc", ""), form.get("region_code", ""),
                                   Person(form.get("username", ""), form.get("name", ""), form.get("phone", "")),
                                   form.get("password", ""), form.get("password2", ""))
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            return render_template("registry/agencies/signup.html", form=form, regions=_regions()), exc.status
        db.session.commit()
        finish_login(user, after_enrolment=url_for("registry_agencies.mine"))
        flash(_("账户已创建。请先绑定动态口令，然后填写机构信息和专职人员。"), "success")
        return redirect(url_for("accounts.totp_setup"))
    return render_template("registry/agencies/signup.html", form={}, regions=_regions())


@bp.get("/mine")
@roles_required(Role.AGENCY_STAFF)
def mine():
    listing = service.my_listing(current_user)
    return render_template("registry/agencies/mine.html", listing=listing, missing=service.missing(listing),
                           overdue=service.is_update_overdue(listing), labels=STATUS_LABELS,
                           ratings=ratings.ratings_of_agency(listing.org_id), dimensions=ratings.DIMENSIONS,
                           kinds=ratings.RATER_KINDS)


def _particulars() -> service.Particulars:
    return service.Particulars(**{name: request.form.get(name, "") for name in service.LIMITS})


@bp.post("/mine/particulars")
@roles_required(Role.AGENCY_STAFF)
def particulars():
    try:
        service.update_particulars(current_user, _particulars())
    except DomainError as exc:
        return _failed(exc, "registry_agencies.mine")
    return _done(_("机构信息已保存。"), "registry_agencies.mine")


@bp.post("/mine/staff")
@roles_required(Role.AGENCY_STAFF)
def add_staff():
    form = request.form
    try:
        service.add_staff(current_user, service.StaffMember(form.get("name", ""), form.get("id_last4", ""),
                                                            form.get("title", ""), form.get("phone", "")))
    except DomainError as exc:
        return _failed(exc, "registry_agencies.mine")
    return _done(_("专职人员已添加。"), "registry_agencies.mine")


@bp.post("/mine/staff/<int:staff_id>/remove")
@roles_required(Role.AGENCY_STAFF)
def remove_staff(staff_id: int):
    try:
        service.remove_staff(current_user, staff_id)
    except DomainError as exc:
        return _failed(exc, "registry_agencies.mine")
    return _done(_("专职人员已删除。"), "registry_agencies.mine")


@bp.post("/mine/submit")
@roles_required(Role.AGENCY_STAFF)
def submit():
    try:
        service.submit_listing(current_user)
    except DomainError as exc:
        return _failed(exc, "registry_agencies.mine")
    return _done(_("登记已完成，本机构已列入代理机构名录。"), "registry_agencies.mine")


def _day(name: str) -> date:
    try:
        return date.fromisoformat(request.form.get(name, "").strip())
    except ValueError:
        raise ValidationError(_("日期格式应为 2026-12-01。"), code="date_invalid", details={"field": name}) from None


@bp.post("/mine/change")
@roles_required(Role.AGENCY_STAFF)
def note_change():
    try:
        service.note_change(current_user, _day("changed_on"), request.form.get("note", ""))
    except DomainError as exc:
        return _failed(exc, "registry_agencies.mine")
    return _done(_("已登记信息变更，请在期限内完成更新。"), "registry_agencies.mine")


@bp.post("/mine/change/finish")
@roles_required(Role.AGENCY_STAFF)
def finish_update():
    try:
        service.finish_update(current_user)
    except DomainError as exc:
        return _failed(exc, "registry_agencies.mine")
    return _done(_("信息更新已完成。"), "registry_agencies.mine")


@bp.get("/manage")
@roles_required(Role.SUPERVISOR, Role.ADMIN)
def manage():
    return render_template("registry/agencies/manage.html", listings=service.listings_overseen(current_user),
                           labels=STATUS_LABELS, marks=MARK_LABELS, overdue=service.is_update_overdue)


@bp.post("/<int:listing_id>/mark")
@roles_required(Role.SUPERVISOR, Role.ADMIN)
def mark(listing_id: int):
    try:
        service.mark_listing(current_user, listing_id, request.form.get("mark", ""), request.form.get("reason", ""))
    except DomainError as exc:
        return _failed(exc, "registry_agencies.manage")
    return _done(_("已标记。"), "registry_agencies.manage")


@bp.get("/ratings", endpoint="ratings")
@roles_required(Role.PURCHASER, Role.SUPPLIER, Role.EXPERT)
def ratings_page():
    return render_template("registry/agencies/ratings.html", rows=ratings.rateable_projects(current_user),
                           dimensions=ratings.DIMENSIONS)



@bp.post("/ratings/<int:project_id>")
@roles_required(Role.PURCHASER, Role.SUPPLIER, Role.EXPERT)
def rate(project_id: int):
    scores = {code: request.form.get(code) for code, _label in ratings.DIMENSIONS}
    try:
        ratings.rate_agency(current_user, project_id, scores, request.form.get("comment", ""))
    except DomainError as exc:
        return _failed(exc, "registry_agencies.ratings")
    return _done(_("评价已提交，谢谢。"), "registry_agencies.ratings")
