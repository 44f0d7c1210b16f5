"""JSON API of the supplier library: my application (edit, qualifications, submit, key changes), and the
central agency's list, review, change review and import. Errors are `{"error": {"code", "message",
"details": {"field"}}}` with the same stable codes as the pages.

Registration itself is the public page (/suppliers/register): it makes the administrator's account, and
a program holds no account before it."""

from __future__ import annotations

from flask import request
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from accounts.models import Role
from core import clock
from core.auth import roles_required
from core.db import db
from core.errors import Forbidden, ValidationError
from registry.suppliers import changes, importer, onboarding, service
from registry.suppliers.models import Supplier, SupplierChange, SupplierQualification

blp = Blueprint("registry_suppliers_api", __name__, url_prefix="/api/v1", description="Supplier library")


class SupplierContactIn(Schema):
    name = fields.Str(required=True, validate=validate.Length(max=60))
    phone = fields.Str(required=True, validate=validate.Length(max=20))


class SupplierApplicationIn(Schema):
    name = fields.Str(required=True, validate=validate.Length(max=120))
    uscc = fields.Str(required=True, validate=validate.Length(max=30))
    region_code = fields.Str(required=True, validate=validate.Length(max=12))
    legal_representative = fields.Str(required=True, validate=validate.Length(max=60))
    address = fields.Str(required=True, validate=validate.Length(max=200))
    size_class = fields.Str(required=True, validate=validate.Length(max=10))
    contacts = fields.List(fields.Nested(SupplierContactIn), required=True, validate=validate.Length(max=10))
    bank_name = fields.Str(required=True, validate=validate.Length(max=120))
    bank_account_name = fields.Str(required=True, validate=validate.Length(max=120))
    bank_account_number = fields.Str(required=True, validate=validate.Length(max=40))


class SupplierContactsIn(Schema):
    contacts = fields.List(fields.Nested(SupplierContactIn), required=True, validate=validate.Length(max=10))


class SupplierChangeIn(Schema):
    values = fields.Dict(keys=fields.Str(validate=validate.Length(max=40)),
                         values=fields.Str(validate=validate.Length(max=200)), required=True)
    reason = fields.Str(load_default="", validate=validate.Length(max=200))


class SupplierReviewIn(Schema):
    action = fields.Str(required=True, validate=validate.OneOf(service.REVIEW_ACTIONS))
    reason = fields.Str(load_default="", validate=validate.Length(max=200))
    confirm_note = fields.Str(load_default="", validate=validate.Length(max=200))


class SupplierChangeReviewIn(Schema):
    approve = fields.Bool(required=True)
    note = fields.Str(load_default="", validate=validate.Length(max=200))


class SupplierListArgs(Schema):
    status = fields.Str(load_default="", validate=validate.Length(max=20))
    size_class = fields.Str(load_default="", validate=validate.Length(max=10))
    region_code = fields.Str(load_default="", validate=validate.Length(max=12))
    q = fields.Str(load_default="", validate=validate.Length(max=60))
    expiring = fields.Bool(load_default=False)
    overdue = fields.Bool(load_default=False)


def qualification_out(q: SupplierQualification) -> dict:
    return {"id": q.id, "kind": q.kind.value, "name": q.name, "number": q.number,
            "expires_on": q.expires_on.isoformat() if q.expires_on else None,
            "state": service.qualification_state(q), "has_file": q.path is not None,
            "sha256": q.sha256, "removed": q.removed_at is not None}


def change_out(c: SupplierChange) -> dict:
    return {"id": c.id, "supplier_id": c.supplier_id, "status": c.status.value, "old": c.old_values,
            "new": c.new_values, "reason": c.reason, "submitted_at": c.submitted_at.isoformat(),
            "reviewed_at": c.reviewed_at.isoformat() if c.reviewed_at else None, "review_note": c.review_note}


def supplier_out(s: Supplier, full: bool = True) -> dict:
    out = {"id": s.id, "org_id": s.org_id, "name": s.name, "uscc": s.uscc, "region_code": s.region_code,
           "status": s.status.value, "size_class": s.size_class.value, "is_sme": s.org.is_sme,
           "uscc_warning": s.uscc_warning or None, "uscc_confirmed": s.uscc_confirmed_by_id is not None,
           "status_reason": s.status_reason,
           "review_due_at": s.review_due_at.isoformat() if s.review_due_at else None,
           "review_overdue": bool(s.review_due_at and s.review_due_at <= clock.now()
                                  and s.status.value == "submitted"),
           "admitted_at": s.admitted_at.isoformat() if s.admitted_at else None}
    if full:
        out |= {"legal_representative": s.legal_representative, "address": s.address,
                "contacts": [{"name": c.name, "phone": c.phone} for c in s.contacts],
                "bank": {"bank_name": s.bank_name, "account_name": s.bank_account_name,
                         "account_number": s.bank_account_number},
                "qualifications": [qualification_out(q) for q in s.qualifications],
                "missing": [{"item": kind, "qualification_id": q.id if q else None}
                            for kind, q in service.missing_items(s)]}
    return out


def _mine() -> Supplier:
    supplier = service.supplier_of_org(current_user.org_id)
    if supplier is None:
        from core.errors import NotFound

        raise NotFound("本单位尚未在供应商库登记。", code="supplier_not_registered")
    return supplier


def _application(data: dict) -> service.Application:
    return service.Application(**{k: v for k, v in data.items() if k != "contacts"},
                               contacts=[(c["name"], c["phone"]) for c in data["contacts"]])


@blp.get("/suppliers/me")
@roles_required(Role.SUPPLIER)
def me():
    """My organisation's application or record, with what it still lacks."""
    supplier = _mine()
    change = changes.pending_change(supplier)
    return supplier_out(supplier) | {"pending_change": change_out(change) if change else None}


@blp.put("/suppliers/me")
@blp.arguments(SupplierApplicationIn)
@roles_required(Role.SUPPLIER)
def update_me(data: dict):
    """Edit the draft application (new or returned)."""
    supplier = service.update_application(current_user, _mine(), _application(data))
    db.session.commit()
    return supplier_out(supplier)


@blp.put("/suppliers/me/contacts")
@blp.arguments(SupplierContactsIn)
@roles_required(Role.SUPPLIER)
def update_contacts(data: dict):
    """Replace the contacts (not a key field: no review)."""
    supplier = service.update_contacts(current_user, _mine(), [(c["name"], c["phone"]) for c in data["contacts"]])
    db.session.commit()
    return supplier_out(supplier)


@blp.post("/suppliers/me/qualifications")
@roles_required(Role.SUPPLIER)
def add_qualification():
    """Upload a certificate: multipart form with kind, qualification_name, qualification_number, expires_on
    (YYYY-MM-DD, empty for 长期有效) and file (PDF, JPG or PNG)."""
    form, upload = request.form, request.files.get("file")
    expires = service.parse_day(form.get("expires_on", ""), "expires_on", "有效期至")
    q = service.add_qualification(current_user, _mine(), form.get("kind", ""), form.get("qualification_name", ""),
                                  form.get("qualification_number", ""), expires,
                                  upload.filename if upload else None, upload.stream if upload else None)
    db.session.commit()
    return qualification_out(q), 201


@blp.post("/suppliers/me/submit")
@roles_required(Role.SUPPLIER)
def submit():
    """Submit the complete application for review."""
    supplier = service.submit_application(current_user, _mine())
    db.session.commit()
    return supplier_out(supplier)


@blp.post("/suppliers/me/changes")
@blp.arguments(SupplierChangeIn)
@roles_required(Role.SUPPLIER)
def request_change(data: dict):
    """Propose new key values (name, legal_representative, address, size_class, bank_name,
    bank_account_name, bank_account_number); the old ones stay in force until approved."""
    change = changes.request_change(current_user, _mine(), data["values"], data["reason"])
    db.session.commit()
    return change_out(change), 201


@blp.get("/suppliers")
@blp.arguments(SupplierListArgs, location="query")
@roles_required(*service.VIEWER_ROLES)
def list_suppliers(args: dict):
    """The library with filters (status, size_class, region_code, q, expiring, overdue)."""
    filters = service.Filters(**args)
    return [supplier_out(s, full=False) for s in service.list_suppliers(current_user, filters)]


@blp.get("/suppliers/<int:supplier_id>")
@roles_required(*service.VIEWER_ROLES)
def get_supplier(supplier_id: int):
    """One supplier, its qualifications, and its change history."""
    supplier = service.get_supplier(supplier_id)
    if not service.may_view(current_user, supplier):
        raise Forbidden("无权查看该供应商。", code="not_allowed")
    check = service.credit_warning(supplier)
    credit = None if check is None else {"barred": check.barred, "score": check.score, "card_id": check.card_id,
                                         "summary": service.credit_summary(check)}
    return supplier_out(supplier) | {"changes": [change_out(c) for c in changes.changes_of(supplier)],
                                     "credit_warning": credit}


@blp.post("/suppliers/<int:supplier_id>/review")
@blp.arguments(SupplierReviewIn)
@roles_required(Role.AGENCY_STAFF, Role.ADMIN)
def review(data: dict, supplier_id: int):
    """admit (confirm_note when the USCC carries a warning), return / suspend / deregister (reason), reinstate."""
    supplier = service.review_supplier(current_user, service.get_supplier(supplier_id), data["action"],
                                       data["reason"], data["confirm_note"])
    db.session.commit()
    return supplier_out(supplier)


@blp.post("/suppliers/changes/<int:change_id>/review")
@blp.arguments(SupplierChangeReviewIn)
@roles_required(Role.AGENCY_STAFF, Role.ADMIN)
def review_change(data: dict, change_id: int):
    """Approve or reject (with a note) a key-field change."""
    change = changes.review_change(current_user, change_id, data["approve"], data["note"])
    db.session.commit()
    return change_out(change)


@blp.post("/suppliers/import")
@roles_required(Role.AGENCY_STAFF, Role.ADMIN)
def import_file():
    """Multipart `file` (CSV or XLSX): 201 with the count, or 422 with every problem (nothing stored)."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationError("请选择要导入的 CSV 或 XLSX 文件。", code="file_missing", details={"field": "file"})
    report = importer.import_suppliers_file(upload.read(), upload.filename, current_user)
    if not report.ok:
        db.session.rollback()
        raise ValidationError(f"文件有 {len(report.problems)} 处问题，未导入任何数据。", code="import_rejected",
                              details={"problems": [p.as_dict() for p in report.problems]})
    db.session.commit()
    return {"rows": report.rows, "created": report.created, "warnings": [w.as_dict() for w in report.warnings]}, 201


@blp.post("/suppliers/<int:supplier_id>/activation")
@roles_required(Role.AGENCY_STAFF, Role.ADMIN)
def send_activation(supplier_id: int):
    """Send an imported supplier without an account its activation link by SMS (201; the link itself
    goes only to the phone on file)."""
    issued = onboarding.issue_activation(current_user, service.get_supplier(supplier_id))
    db.session.commit()
    return {"activation_id": issued.activation.id, "phone": issued.activation.phone,
            "expires_at": issued.activation.expires_at.isoformat()}, 201
