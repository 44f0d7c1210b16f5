"""Pages of the expert library: online registration, my profile (leave, relations), finance review, import."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from accounts.models import Region, Role
from core import files
from core.auth import roles_required
from core.db import db
from core.errors import DomainError, ValidationError
from core.i18n import N_
from registry.experts import importer, service
from registry.experts.models import ExpertStatus, RelationKind

bp = Blueprint("registry_experts", __name__, url_prefix="/experts")
REVIEWERS = (Role.FINANCE_REVIEWER, Role.SUPERVISOR, Role.ADMIN)
STATUS_LABELS = {
    "pending": N_("待审核"),
    "active": N_("在库"),
    "rejected": N_("未通过"),
    "suspended": N_("暂停"),
    "removed": N_("已清退"),
}
RELATION_LABELS = {
    "past_employer": N_("曾任职单位"),
    "relative_employer": N_("近亲属任职单位"),
    "shareholding": N_("持股或出资"),
}


def _date(name: str, required: bool = True) -> date | None:
    text = request.form.get(name, "").strip()
    if not text and not required:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(_("日期格式应为 2026-12-01。"), code="date_invalid") from None


def _done(success: str, endpoint: str, **values):
    db.session.commit()
    flash(success, "success")
    return redirect(url_for(endpoint, **values))


def _failed(exc: DomainError, endpoint: str, **values):
    db.session.rollback()
    flash(exc.message, "danger")
    return redirect(url_for(endpoint, **values))


@bp.route("/register", methods=["GET", "POST"])
@roles_required(Role.EXPERT)
def register():
    expert = service.expert_of_user(current_user)
    if request.method == "POST":
        data = service.Registration(
            name=request.form.get("name", ""),
            id_number=request.form.get("id_number", ""),
            phone=request.form.get("phone", ""),
            region_code=request.form.get("region_code", ""),
            employer_name=request.form.get("employer_name", ""),
            title=request.form.get("title", ""),
            qualification=request.form.get("qualification", ""),
            email=request.form.get("email") or None,
            specialty_codes=request.form.getlist("specialties"),
        )
        try:
            service.register_expert(current_user, data)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            return _register_form(expert), exc.status
        return _done(_("入库申请已提交，等待财政部门审核。"), "registry_experts.me")
    return _register_form(expert)


def _register_form(expert):
    return render_template(
        "registry/experts/register.html",
        expert=expert,
        form=request.form,
        specialties=service.leaf_specialties(),
        regions=db.session.scalars(select(Region).order_by(Region.code)).all(),
    )


@bp.get("/me")
@roles_required(Role.EXPERT)
def me():
    expert = service.expert_of_user(current_user)
    if expert is None:
        return redirect(url_for("registry_experts.register"))
    return render_template(
        "registry/experts/me.html", expert=expert, labels=STATUS_LABELS, relation_labels=RELATION_LABELS
    )


@bp.post("/me/leave")
@roles_required(Role.EXPERT)
def add_leave():
    expert = service.expert_of_user(current_user)
    try:
        if expert is None:
            raise ValidationError(_("请先登记入库。"), code="not_registered")
        service.add_leave(expert, _date("start_on"), _date("end_on"), request.form.get("reason", ""))
    except DomainError as exc:
        return _failed(exc, "registry_experts.me")
    return _done(_("请假已登记，期间不会被抽取。"), "registry_experts.me")


@bp.post("/me/leave/<int:leave_id>/cancel")
@roles_required(Role.EXPERT)
def cancel_leave(leave_id: int):
    expert = service.expert_of_user(current_user)
    try:
        if expert is None:
            raise ValidationError(_("请先登记入库。"), code="not_registered")
        service.cancel_leave(expert, leave_id)
    except DomainError as exc:
        return _failed(exc, "registry_experts.me")
    return _done(_("请假已取消。"), "registry_experts.me")


@bp.post("/me/relations")
@roles_required(Role.EXPERT)
def add_relation():
    expert = service.expert_of_user(current_user)
    try:
        if expert is None:
            raise ValidationError(_("请先登记入库。"), code="not_registered")
        kind = request.form.get("kind", "")
        if kind not in RELATION_LABELS:
            raise ValidationError(_("请选择关系类型。"), code="relation_kind_invalid")
        service.add_relation(
            expert,
            RelationKind(kind),
            request.form.get("org_name", ""),
            start_on=_date("start_on", required=False),
            end_on=_date("end_on", required=False),
            note=request.form.get("note", ""),
        )
    except DomainError as exc:
        return _failed(exc, "registry_experts.me")
    return _done(_("关系已申报，抽取时将据此回避。"), "registry_experts.me")


@bp.get("/")
@roles_required(*REVIEWERS)
def index():
    status = request.args.get("status") or None
    if status is not None and status not in STATUS_LABELS:
        status = None
    experts = service.list_experts(ExpertStatus(status) if status else None)
    return render_template("registry/experts/index.html", experts=experts, labels=STATUS_LABELS, status=status)


@bp.post("/<int:expert_id>/review")
@roles_required(*REVIEWERS)
def review(expert_id: int):
    expert = service.get_expert(expert_id)
    action, reason = request.form.get("action"), request.form.get("reason", "")
    try:
        if action == "admit":
            service.admit_expert(current_user, expert)
        elif action == "reject":
            service.reject_expert(current_user, expert, reason)
        elif action == "suspend":
            service.suspend_expert(current_user, expert, reason, _date("until", required=False))
        elif action == "reinstate":
            service.reinstate_expert(current_user, expert)
        elif action == "remove":
            service.remove_expert(current_user, expert, reason)
        else:
            raise ValidationError(_("未知的操作。"), code="action_invalid")
    except DomainError as exc:
        return _failed(exc, "registry_experts.index")
    return _done(_("已处理：%(name)s", name=expert.name), "registry_experts.index")


@bp.route("/import", methods=["GET", "POST"])
@roles_required(Role.FINANCE_REVIEWER, Role.ADMIN)
def import_csv():
    report = None
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash(_("请选择要导入的 CSV 或 XLSX 文件。"), "danger")
            return render_template("registry/experts/import.html", report=None, columns=importer.COLUMNS), 422
        report = importer.import_experts_file(upload.read(), upload.filename, current_user)
        if report.ok:
            db.session.commit()
            flash(_("已导入 %(n)s 位专家。", n=report.created), "success")
        else:
            db.session.rollback()
            flash(
                _("文件有 %(n)s 处问题，未导入任何数据。请按下表修改后重新导入。", n=len(report.problems)),
                "danger",
            )
            if request.form.get("format") == "csv":
                return Response(
                    importer.report_csv(report),
                    mimetype="text/csv",
                    headers={"Content-Disposition": files.content_disposition("import-report.csv")},
                ), 422
            return render_template("registry/experts/import.html", report=report, columns=importer.COLUMNS), 422
    return render_template("registry/experts/import.html", report=report, columns=importer.COLUMNS)
