"""Pages of the supplier library: online registration (public), my application and record, the
central agency's list, review and change review, bulk import, and the public list of active suppliers."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from accounts.models import Region, Role
from accounts.views import finish_login
from core import clock, files
from core.auth import public, roles_required
from core.db import db
from core.errors import DomainError, Forbidden, ValidationError
from core.i18n import N_
from registry import tabular
from registry.suppliers import changes, importer, onboarding, service

bp = Blueprint("registry_suppliers", __name__, url_prefix="/suppliers")
VIEWERS = service.VIEWER_ROLES
STATUS_LABELS = {
    "draft": N_("填写中"),
    "submitted": N_("待审核"),
    "active": N_("在库"),
    "suspended": N_("暂停"),
    "deregistered": N_("已注销"),
}
SIZE_LABELS = {"large": N_("大型"), "medium": N_("中型"), "small": N_("小型"), "micro": N_("微型")}
KIND_LABELS = {
    "business_licence": N_("营业执照"),
    "industry": N_("行业资质证书"),
    "permit": N_("生产或经营许可证"),
    "certification": N_("体系认证证书"),
    "other": N_("其他"),
}
FIELD_LABELS = {
    "name": N_("单位名称"),
    "legal_representative": N_("法定代表人"),
    "address": N_("地址"),
    "size_class": N_("企业规模"),
    "bank_name": N_("开户银行"),
    "bank_account_name": N_("银行账户名称"),
    "bank_account_number": N_("银行账号"),
}
QUAL_STATE_LABELS = {"expired": N_("已过期"), "expiring": N_("即将到期"), "valid": N_("有效"),
                     "permanent": N_("长期有效")}


def _labels() -> dict:
    return {"status_labels": STATUS_LABELS, "size_labels": SIZE_LABELS, "kind_labels": KIND_LABELS,
            "field_labels": FIELD_LABELS, "qual_state_labels": QUAL_STATE_LABELS,
            "qual_state": service.qualification_state, "today": service.today()}


def _regions():
    return db.session.scalars(select(Region).order_by(Region.code)).all()


def _contacts_from_form() -> list[tuple[str, str]]:
    names, phones = request.form.getlist("contact_name"), request.form.getlist("contact_phone")
    return list(zip(names, phones + [""] * (len(names) - len(phones)), strict=False))


def _application_from_form() -> service.Application:
    form = request.form
    return service.Application(
        name=form.get("name", ""), uscc=form.get("uscc", ""), region_code=form.get("region_code", ""),
        legal_representative=form.get("legal_representative", ""), address=form.get("address", ""),
        size_class=form.get("size_class", ""), contacts=_contacts_from_form(), bank_name=form.get("bank_name", ""),
        bank_account_name=form.get("bank_account_name", ""), bank_account_number=form.get("bank_account_number", ""))


def _done(message: str, endpoint: str, **values):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(endpoint, **values))


def _failed(exc: DomainError, endpoint: str, **values):
    db.session.rollback()
    flash(exc.message, "danger")
    return redirect(url_for(endpoint, **values))


# ---------------------------------------------------------------- registration (public)


@bp.route("/register", methods=["GET", "POST"])
@public
def register():
    if current_user.is_authenticated:  # one account per person: a new supplier registers logged out
        if current_user.has_role(Role.SUPPLIER):
            return redirect(url_for("registry_suppliers.me"))
        flash(_("请先退出当前账户，再为新的供应商注册。"), "info")
        return redirect(url_for("portal.dashboard"))
    if request.method == "POST":
        form = request.form
        admin = service.Administrator(username=form.get("username", ""), name=form.get("admin_name", ""),
                                      phone=form.get("admin_phone", ""), password=form.get("password", ""),
                                      password2=form.get("password2", ""))
        try:
            supplier = service.register_supplier(_application_from_form(), admin)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            return render_template("registry/suppliers/register.html", form=form, regions=_regions(),
                                   contacts=_contacts_from_form() or [("", "")], problem_field=exc.details.get(
                                       "field"), **_labels()), exc.status
        db.session.commit()
        user = supplier.admin_user
        finish_login(user)
        flash(_("账户和注册申请已创建。请上传营业执照等资质证书，然后提交审核。"), "success")
        return redirect(url_for("registry_suppliers.me"))
    return render_template("registry/suppliers/register.html", form={}, regions=_regions(), contacts=[("", "")],
                           problem_field=None, **_labels())


@bp.get("/public")
@public
def public_list():
    q = request.args.get("q", "")[:60]
    return render_template("registry/suppliers/public.html", suppliers=service.public_list(q), q=q, **_labels())


# ---------------------------------------------------------------- my application and record


def _mine():
    supplier = service.supplier_of_org(current_user.org_id)
    if supplier is None:
        raise ValidationError(_("本单位尚未在供应商库登记。"), code="supplier_not_registered")
    return supplier


@bp.get("/me")
@roles_required(Role.SUPPLIER)
def me():
    supplier = service.supplier_of_org(current_user.org_id)
    if supplier is None:
        return render_template("registry/suppliers/me.html", supplier=None, **_labels())
    return render_template(
        "registry/suppliers/me.html", supplier=supplier, missing=service.missing_items(supplier),
        change=changes.pending_change(supplier), history=changes.changes_of(supplier),
        regions=_regions(), values=changes.key_values(supplier),
        contacts=[(c.name, c.phone) for c in supplier.contacts], **_labels())


@bp.post("/me")
@roles_required(Role.SUPPLIER)
def update():
    try:
        service.update_application(current_user, _mine(), _application_from_form())
    except DomainError as exc:
        return _failed(exc, "registry_suppliers.me")
    return _done(_("注册申请已保存。"), "registry_suppliers.me")


@bp.post("/me/contacts")
@roles_required(Role.SUPPLIER)
def update_contacts():
    try:
        service.update_contacts(current_user, _mine(), _contacts_from_form())
    except DomainError as exc:
        return _failed(exc, "registry_suppliers.me")
    return _done(_("联系人已更新。"), "registry_suppliers.me")


@bp.post("/me/qualifications")
@roles_required(Role.SUPPLIER)
def add_qualification():
    form = request.form
    upload = request.files.get("file")
    try:
        expires = service.parse_day(form.get("expires_on", ""), "expires_on", "有效期至")
        service.add_qualification(current_user, _mine(), form.get("kind", ""), form.get("qualification_name", ""),
                                  form.get("qualification_number", ""), expires,
                                  upload.filename if upload else None, upload.stream if upload else None)
    except DomainError as exc:
        return _failed(exc, "registry_suppliers.me")
    return _done(_("资质证书已上传。"), "registry_suppliers.me")


@bp.post("/me/qualifications/<int:qualification_id>/remove")
@roles_required(Role.SUPPLIER)
def remove_qualification(qualification_id: int):
    try:
        service.remove_qualification(current_user, _mine(), qualification_id)
    except DomainError as exc:
        return _failed(exc, "registry_suppliers.me")
    return _done(_("资质证书已撤回。"), "registry_suppliers.me")


@bp.post("/me/submit")
@roles_required(Role.SUPPLIER)
def submit():
    try:
        service.submit_application(current_user, _mine())
    except DomainError as exc:
        return _failed(exc, "registry_suppliers.me")
    return _done(_("注册申请已提交，等待集中采购机构审核。"), "registry_suppliers.me")


@bp.post("/me/changes")
@roles_required(Role.SUPPLIER)
def request_change():
    proposed = {k: request.form[k] for k in changes.KEY_FIELDS if k in request.form}
    try:
        changes.request_change(current_user, _mine(), proposed, request.form.get("reason", ""))
    except DomainError as exc:
        return _failed(exc, "registry_suppliers.me")
    return _done(_("变更申请已提交；审核通过前，原登记信息继续有效。"), "registry_suppliers.me")


@bp.post("/me/deregister")
@roles_required(Role.SUPPLIER)
def deregister_self():
    try:
        service.deregister_supplier(current_user, _mine(), request.form.get("reason", ""))
    except DomainError as exc:
        return _failed(exc, "registry_suppliers.me")
    return _done(_("已注销。"), "registry_suppliers.me")


# ---------------------------------------------------------------- the library (agencies, supervision)


def _filters() -> service.Filters:
    args = request.args
    status = args.get("status", "")
    size = args.get("size_class", "")
    return service.Filters(status=status if status in STATUS_LABELS else "",
                           size_class=size if size in SIZE_LABELS else "",
                           region_code=args.get("region_code", "") if db.session.get(
                               Region, args.get("region_code", "")) else "",
                           q=args.get("q", "")[:60], expiring=args.get("expiring") == "1",
                           overdue=args.get("overdue") == "1")


@bp.get("/")
@roles_required(*VIEWERS)
def index():
    filters = _filters()
    suppliers = service.list_suppliers(current_user, filters)
    changed = {c.supplier_id for c in changes.pending_changes()}
    may_import = current_user.has_role(Role.ADMIN) or service.is_central_agency_staff(current_user)
    return render_template("registry/suppliers/index.html", suppliers=suppliers, filters=filters, changed=changed,
                           regions=_regions(), may_import=may_import, now=clock.now(), **_labels())


@bp.get("/<int:supplier_id>")
@roles_required(*VIEWERS, Role.SUPPLIER)
def detail(supplier_id: int):
    supplier = service.get_supplier(supplier_id)
    if not service.may_view(current_user, supplier):
        raise Forbidden(_("无权查看该供应商。"), code="not_allowed")
    return render_template(
        "registry/suppliers/detail.html", supplier=supplier, missing=service.missing_items(supplier),
        change=changes.pending_change(supplier), history=changes.changes_of(supplier),
        may_review=service.may_review(current_user, supplier), now=clock.now(),
        needs_activation=onboarding.needs_activation(supplier),
        credit=service.credit_warning(supplier), credit_summary=service.credit_summary, **_labels())


@bp.post("/<int:supplier_id>/review")
@roles_required(Role.AGENCY_STAFF, Role.ADMIN)
def review(supplier_id: int):
    supplier = service.get_supplier(supplier_id)
    form = request.form
    try:
        service.review_supplier(current_user, supplier, form.get("action", ""), form.get("reason", ""),
                                form.get("confirm_note", ""))
    except DomainError as exc:
        return _failed(exc, "registry_suppliers.detail", supplier_id=supplier_id)
    return _done(_("已处理：%(name)s", name=supplier.name), "registry_suppliers.detail", supplier_id=supplier_id)


@bp.post("/changes/<int:change_id>/review")
@roles_required(Role.AGENCY_STAFF, Role.ADMIN)
def review_change(change_id: int):
    decision = request.form.get("decision")
    try:
        if decision not in ("approve", "reject"):
            raise ValidationError(_("请选择同意或不同意。"), code="decision_invalid")
        change = changes.review_change(current_user, change_id, decision == "approve", request.form.get("note", ""))
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(request.referrer or url_for("registry_suppliers.index"))
    done = _("已同意变更，原信息已留存。") if decision == "approve" else _("已驳回变更。")
    return _done(done, "registry_suppliers.detail", supplier_id=change.supplier_id)


@bp.get("/<int:supplier_id>/qualifications/<int:qualification_id>")
@roles_required(*VIEWERS, Role.SUPPLIER)
def qualification_file(supplier_id: int, qualification_id: int):
    supplier = service.get_supplier(supplier_id)
    if not service.may_view(current_user, supplier):
        raise Forbidden(_("无权查看该供应商。"), code="not_allowed")
    q = service.qualification_of(supplier, qualification_id)
    if not q.path:
        raise ValidationError(_("该资质为导入记录，没有扫描件。"), code="document_missing")
    return files.send_download(service.AREA.absolute(q.path), q.file_name or "certificate", inline=True)


@bp.route("/import", methods=["GET", "POST"])
@roles_required(Role.AGENCY_STAFF, Role.ADMIN)
def import_file():
    if not (current_user.has_role(Role.ADMIN) or service.is_central_agency_staff(current_user)):
        raise Forbidden(_("只有集中采购机构可以导入供应商库。"), code="not_supplier_reviewer")
    report = None
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash(_("请选择要导入的 CSV 或 XLSX 文件。"), "danger")
            return render_template("registry/suppliers/import.html", report=None, columns=importer.COLUMNS), 422
        report = importer.import_suppliers_file(upload.read(), upload.filename, current_user)
        if report.ok:
            db.session.commit()
            flash(_("已导入 %(n)s 家供应商。", n=report.created), "success")
            return render_template("registry/suppliers/import.html", report=report, columns=importer.COLUMNS,
                                   pending=len(onboarding.pending_suppliers(current_user)))
        db.session.rollback()
        flash(_("文件有 %(n)s 处问题，未导入任何数据。请按下表修改后重新导入。", n=len(report.problems)), "danger")
        if request.form.get("format") == "csv":
            return Response(tabular.report_csv(report), mimetype="text/csv", headers={
                "Content-Disposition": files.content_disposition("supplier-import-report.csv")}), 422
        return render_template("registry/suppliers/import.html", report=report, columns=importer.COLUMNS), 422
    return render_template("registry/suppliers/import.html", report=report, columns=importer.COLUMNS)



# ---------------------------------------------------------------- imported suppliers: their way in


@bp.post("/<int:supplier_id>/activation")
@roles_required(Role.AGENCY_STAFF, Role.ADMIN)
def send_activation_link(supplier_id: int):
    supplier = service.get_supplier(supplier_id)
    try:
        issued = onboarding.issue_activation(current_user, supplier)
    except DomainError as exc:
        return _failed(exc, "registry_suppliers.detail", supplier_id=supplier_id)
    return _done(_("激活短信已发送到 %(phone)s。", phone=issued.activation.phone), "registry_suppliers.detail",
                 supplier_id=supplier_id)


@bp.post("/activations")
@roles_required(Role.AGENCY_STAFF, Role.ADMIN)
def send_activation_links():
    """Every listed supplier of the reviewer's regions without an account, e.g. right after an import; one
    without a mobile on file is named and skipped, the others are sent."""
    sent, skipped = 0, []
    for supplier in onboarding.pending_suppliers(current_user):
        if onboarding.activation_phone(supplier) is None:
            skipped.append(supplier.name)
            continue
        onboarding.issue_activation(current_user, supplier)
        sent += 1
    db.session.commit()
    flash(_("已向 %(n)s 家供应商发送激活短信。", n=sent), "success")
    if skipped:
        flash(_("以下供应商没有登记手机号码，未发送：%(names)s", names="、".join(skipped)), "warning")
    return redirect(url_for("registry_suppliers.index"))


@bp.route("/activate/<token>", methods=["GET", "POST"])
@public
def activate(token: str):
    try:
        activation = onboarding.pending_activation(token)
    except DomainError as exc:
        return render_template("registry/suppliers/activate.html", problem=exc.message, form={}), exc.status
    supplier = activation.supplier
    if request.method == "POST":
        form = request.form
        try:
            user = onboarding.activate(token, form.get("username", ""), form.get("name", ""),
                                       form.get("password", ""), form.get("password2", ""),
                                       form.get("account_last4", ""))
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            return render_template("registry/suppliers/activate.html", problem=None, form=form,
                                   supplier=supplier), exc.status
        db.session.commit()
        finish_login(user)
        flash(_("账户已激活。您现在可以在线投标，并在“供应商信息”中维护本单位信息和人员。"), "success")
        return redirect(url_for("registry_suppliers.me"))
    return render_template("registry/suppliers/activate.html", problem=None, form={}, supplier=supplier)
