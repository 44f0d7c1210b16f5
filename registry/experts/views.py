"""Pages of the expert library: online registration, my profile (leave, relations), finance review, import."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from accounts.models import Region, Role
from accounts.views import finish_login
from core import files
from core.auth import public, roles_required
from core.db import db
from core.errors import DomainError, Forbidden, ValidationError
from core.i18n import N_
from registry.experts import changes, importer, onboarding, service
from registry.experts.models import ExpertStatus, RelationKind
from registry.experts.tasks import send_activation

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
# what a relation is shown as; pending_employer is made by an employer change, never declared by hand
RELATION_SHOWN = {**RELATION_LABELS, "pending_employer": N_("新任职单位（变更审核中）")}
DOCUMENT_LABELS = {
    "id_card": N_("身份证件"),
    "title": N_("职称证书"),
    "qualification": N_("执业资格证书"),
    "employment": N_("在职证明"),
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
        stored = []
        try:
            registered = service.register_expert(current_user, data)
            stored = _store_documents(registered, ("id_card", "title", "qualification"))
        except DomainError as exc:
            db.session.rollback()
            changes.discard_files(stored)
            flash(exc.message, "danger")
            return _register_form(expert), exc.status
        return _done(_("入库申请已提交，等待财政部门审核。"), "registry_experts.me")
    return _register_form(expert)


def _store_documents(expert, kinds, change=None) -> list:
    """The evidence files of this form (one field per kind), stored in the caller's transaction."""
    stored = []
    try:
        for kind in kinds:
            upload = request.files.get(f"doc_{kind}")
            if upload is not None and upload.filename:
                stored.append(changes.add_document(expert, kind, upload.filename, upload.stream, change))
    except DomainError:
        changes.discard_files(stored)
        raise
    return stored


def _register_form(expert):
    return render_template(
        "registry/experts/register.html",
        expert=expert,
        document_labels=DOCUMENT_LABELS,
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
        "registry/experts/me.html", expert=expert, labels=STATUS_LABELS, relation_labels=RELATION_LABELS,
        relation_shown=RELATION_SHOWN, document_labels=DOCUMENT_LABELS, change=changes.pending_change(expert),
        missing=changes.missing_kinds(expert),
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
    changed = {c.expert_id for c in changes.pending_changes()}
    return render_template("registry/experts/index.html", experts=experts, labels=STATUS_LABELS, status=status,
                           changed=changed)


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


# ---------------------------------------------------------------- evidence and employer change


@bp.post("/me/documents")
@roles_required(Role.EXPERT)
def add_documents():
    expert = service.expert_of_user(current_user)
    stored = []
    try:
        if expert is None:
            raise ValidationError(_("请先登记入库。"), code="not_registered")
        stored = _store_documents(expert, ("id_card", "title", "qualification"))
        if not stored:
            raise ValidationError(_("请选择要上传的文件。"), code="document_missing")
    except DomainError as exc:
        changes.discard_files(stored)
        return _failed(exc, "registry_experts.me")
    return _done(_("证明材料已上传。"), "registry_experts.me")


@bp.post("/me/employer")
@roles_required(Role.EXPERT)
def change_employer():
    expert = service.expert_of_user(current_user)
    stored = []
    try:
        if expert is None:
            raise ValidationError(_("请先登记入库。"), code="not_registered")
        change = changes.request_employer_change(expert, request.form.get("employer_name", ""),
                                                 _date("starts_on"))
        stored = _store_documents(expert, ("employment",), change)
    except DomainError as exc:
        changes.discard_files(stored)
        return _failed(exc, "registry_experts.me")
    return _done(_("单位变更已提交，财政部门审核前，抽取时新旧单位都将回避。"), "registry_experts.me")


@bp.get("/<int:expert_id>/documents/<int:doc_id>")
@roles_required(Role.EXPERT, *REVIEWERS)
def document(expert_id: int, doc_id: int):
    expert = service.get_expert(expert_id)
    if not current_user.has_role(*REVIEWERS) and expert.user_id != current_user.id:
        raise Forbidden(_("只能查看本人的材料。"), code="not_allowed")
    doc = changes.document_of(expert, doc_id)
    return files.send_download(changes.AREA.absolute(doc.path), doc.name, inline=True)


@bp.get("/<int:expert_id>")
@roles_required(*REVIEWERS, Role.AGENCY_STAFF)
def detail(expert_id: int):
    expert = service.get_expert(expert_id)
    return render_template(
        "registry/experts/detail.html", expert=expert, labels=STATUS_LABELS, relation_shown=RELATION_SHOWN,
        document_labels=DOCUMENT_LABELS, change=changes.pending_change(expert), missing=changes.missing_kinds(expert),
        may_review=current_user.has_role(*REVIEWERS),
    )


@bp.post("/changes/<int:change_id>/review")
@roles_required(*REVIEWERS)
def review_change(change_id: int):
    decision = request.form.get("decision")
    try:
        if decision not in ("approve", "reject"):
            raise ValidationError(_("请选择同意或不同意。"), code="decision_invalid")
        change = changes.review_employer_change(current_user, change_id, decision == "approve",
                                                request.form.get("note", ""))
    except DomainError as exc:
        return _failed(exc, "registry_experts.index")
    done = _("已同意单位变更。") if decision == "approve" else _("已驳回单位变更。")
    return _done(done, "registry_experts.detail", expert_id=change.expert_id)


# ---------------------------------------------------------------- accounts: sign-up and activation


@bp.post("/<int:expert_id>/activation")
@roles_required(*onboarding.SENDER_ROLES)
def send_activation_link(expert_id: int):
    expert = service.get_expert(expert_id)
    try:
        issued = onboarding.issue_activation(current_user, expert)
    except DomainError as exc:
        return _failed(exc, "registry_experts.detail", expert_id=expert_id)
    db.session.commit()
    send_activation.delay(issued.activation.id, issued.token)
    flash(_("激活邀请已通过短信和电子邮件发送给 %(name)s。", name=expert.name), "success")
    return redirect(url_for("registry_experts.detail", expert_id=expert_id))


@bp.route("/signup", methods=["GET", "POST"])
@public
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("registry_experts.register"))
    regions = db.session.scalars(select(Region).order_by(Region.code)).all()
    if request.method == "POST":
        form = request.form
        try:
            user = onboarding.sign_up(form.get("username", ""), form.get("name", ""), form.get("phone", ""),
                                      form.get("region_code", ""), form.get("password", ""),
                                      form.get("password2", ""))
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            return render_template("registry/experts/signup.html", form=form, regions=regions), exc.status
        db.session.commit()
        return _logged_in(user, _("账户已创建。请先绑定动态口令，然后填写入库申请。"))
    return render_template("registry/experts/signup.html", form={}, regions=regions)


@bp.route("/activate/<token>", methods=["GET", "POST"])
@public
def activate(token: str):
    try:
        activation = onboarding.pending_activation(token)
    except DomainError as exc:
        return render_template("registry/experts/activate.html", problem=exc.message, form={}), exc.status
    if request.method == "POST":
        form = request.form
        try:
            user = onboarding.activate(token, form.get("username", ""), form.get("password", ""),
                                       form.get("password2", ""), form.get("id_last6", ""))
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            return render_template("registry/experts/activate.html", problem=None, form=form,
                                   expert=activation.expert), exc.status
        db.session.commit()
        return _logged_in(user, _("账户已激活。请绑定动态口令，以后答复评审邀请时使用。"))
    return render_template("registry/experts/activate.html", problem=None, form={}, expert=activation.expert)


def _logged_in(user, message: str):
    """Start the new account's session; its first stop is TOTP enrolment, then the expert pages."""
    finish_login(user, after_enrolment=url_for("registry_experts.me"))
    flash(message, "success")
    return redirect(url_for("accounts.totp_setup"))
