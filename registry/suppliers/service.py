"""Writes on the supplier library: register (the organisation in draft with its administrator), edit the
application, qualifications, submit, and the central agency's review (admit, return, suspend, reinstate,
deregister); and the reads the pages, the API and other packages use.

Registration is a completeness check, never a selection: any complete, valid application is admitted.
Every write checks who and the status, changes the rows, audits and flushes; the caller commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import BinaryIO

from sqlalchemy import func, or_, select

from accounts.activation import check_username, is_valid_phone
from accounts.models import Org, OrgKind, Region, Role, User
from accounts.service import create_org, create_user, regions_under
from audit.service import record
from core import clock, files
from core.after_commit import after_commit, on_rollback
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, PayloadTooLarge, ValidationError
from core.filestore import Area, UploadTooLarge
from core.transitions import move
from registry.credit import service as credit
from registry.suppliers import rules
from registry.suppliers.models import (
    SME_SIZES,
    QualificationKind,
    SizeClass,
    Supplier,
    SupplierContact,
    SupplierQualification,
    SupplierStatus,
)
from registry.suppliers.uscc import check_uscc

AREA = Area("registry")
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
SIGNATURES = {b"%PDF-": ".pdf", b"\xff\xd8\xff": ".jpg", b"\x89PNG\r\n\x1a\n": ".png"}
ACCOUNT_RE = re.compile(r"^\d{8,32}$")
SIZE_NAMES = {"大型": SizeClass.LARGE, "中型": SizeClass.MEDIUM, "小型": SizeClass.SMALL, "微型": SizeClass.MICRO}
VIEWER_ROLES = (Role.AGENCY_STAFF, Role.SUPERVISOR, Role.FINANCE_REVIEWER, Role.ADMIN)
MAX_CONTACTS = 5


def fail(field_name: str, message: str, code: str) -> ValidationError:
    """A refusal naming the field it is about (pages show the message, the API also gives the field)."""
    return ValidationError(message, code=code, details={"field": field_name})


# ---------------------------------------------------------------- the application's fields


@dataclass
class Application:
    """What a supplier states: the organisation's name and code, and the library's fields."""

    name: str = ""
    uscc: str = ""
    region_code: str = ""
    legal_representative: str = ""
    address: str = ""
    size_class: str = ""
    contacts: list[tuple[str, str]] = field(default_factory=list)
    bank_name: str = ""
    bank_account_name: str = ""
    bank_account_number: str = ""


def size_of(raw: str) -> SizeClass:
    text = (raw or "").strip()
    if text in SIZE_NAMES:
        return SIZE_NAMES[text]
    try:
        return SizeClass(text.lower())
    except ValueError:
        raise fail("size_class", "请选择企业规模（大型、中型、小型或微型）。", "size_class_invalid") from None


def required_text(value: str, field_name: str, label: str, limit: int) -> str:
    text = (value or "").strip()
    if not text:
        raise fail(field_name, f"请填写{label}。", f"{field_name}_required")
    if len(text) > limit:
        raise fail(field_name, f"{label}不能超过 {limit} 个字。", f"{field_name}_too_long")
    return text


def check_contacts(contacts: list[tuple[str, str]]) -> list[tuple[str, str]]:
    rows = [((n or "").strip(), (p or "").strip()) for n, p in contacts if (n or "").strip() or (p or "").strip()]
    if not rows:
        raise fail("contacts", "请至少填写一位联系人（姓名和电话）。", "contact_required")
    if len(rows) > MAX_CONTACTS:
        raise fail("contacts", f"联系人最多 {MAX_CONTACTS} 位。", "contacts_too_many")
    for name, phone in rows:
        if not name:
            raise fail("contacts", "请填写联系人姓名。", "contact_name_required")
        if len(name) > 60:
            raise fail("contacts", "联系人姓名不能超过 60 个字。", "contact_name_too_long")
        if not is_valid_phone(phone):
            raise fail("contacts", f"联系人{name}的电话格式不正确。", "contact_phone_invalid")
    return rows


def check_bank(bank_name: str, account_name: str, number: str) -> tuple[str, str, str]:
    bank_name = required_text(bank_name, "bank_name", "开户银行", 120)
    account_name = required_text(account_name, "bank_account_name", "银行账户名称", 120)
    digits = (number or "").replace(" ", "").strip()
    if not ACCOUNT_RE.match(digits):
        raise fail("bank_account_number", "银行账号应为 8–32 位数字。", "bank_account_number_invalid")
    return bank_name, account_name, digits


def check_application(data: Application) -> tuple[Application, str]:
    """The application with its text cleaned, and the USCC warning ("" when none); refuses the first
    wrong field with a message and code naming it."""
    name = required_text(data.name, "name", "单位名称", 120)
    uscc = check_uscc(data.uscc)
    if not uscc.ok:
        raise fail("uscc", uscc.error, "uscc_invalid")
    if db.session.get(Region, (data.region_code or "").strip()) is None:
        raise fail("region_code", "请选择注册所在区划。", "region_invalid")
    bank = check_bank(data.bank_name, data.bank_account_name, data.bank_account_number)
    clean = Application(
        name=name, uscc=uscc.code, region_code=data.region_code.strip(),
        legal_representative=required_text(data.legal_representative, "legal_representative", "法定代表人", 60),
        address=required_text(data.address, "address", "地址", 200), size_class=size_of(data.size_class).value,
        contacts=check_contacts(data.contacts), bank_name=bank[0], bank_account_name=bank[1],
        bank_account_number=bank[2])
    return clean, uscc.warning


def _uscc_taken(uscc: str, but: int | None = None) -> bool:
    query = select(Org.id).where(Org.uscc == uscc)
    if but is not None:
        query = query.where(Org.id != but)
    return db.session.scalar(query) is not None


@dataclass
class Administrator:
    """The supplier's administrator account, made with the registration."""

    username: str = ""
    name: str = ""
    phone: str = ""
    password: str = ""
    password2: str = ""


def register_supplier(data: Application, admin: Administrator) -> Supplier:
    """Anyone may register a supplier: the organisation (kind supplier) in draft and its administrator, who
    then adds the qualifications and submits. A USCC already on the platform is refused."""
    clean, warning = check_application(data)
    if _uscc_taken(clean.uscc):
        raise Conflict("该统一社会信用代码的单位已在平台注册；如需找回账户请联系集中采购机构。",
                       code="organisation_duplicate", details={"field": "uscc"})
    username = check_username(admin.username)
    admin_name = required_text(admin.name, "admin_name", "管理员姓名", 60)
    if not is_valid_phone(admin.phone):
        raise fail("admin_phone", "管理员手机号码格式不正确。", "admin_phone_invalid")
    if admin.password != admin.password2:
        raise fail("password2", "两次输入的密码不一致。", "password_mismatch")
    size = SizeClass(clean.size_class)
    org = create_org(clean.name, OrgKind.SUPPLIER, clean.region_code, clean.uscc, is_sme=size in SME_SIZES)
    user = create_user(username, admin_name, admin.password, [Role.SUPPLIER], clean.region_code, org=org,
                       phone=admin.phone.strip())
    supplier = Supplier(org_id=org.id, admin_user_id=user.id, status=SupplierStatus.DRAFT, created_at=clock.now(),
                        uscc_warning=warning)
    _apply_fields(supplier, clean)
    db.session.add(supplier)
    db.session.flush()
    record("registry.supplier_registered", supplier, {"org": org.id, "uscc": org.uscc, "admin": user.id,
                                                      "uscc_warning": warning})
    return supplier


def _apply_fields(supplier: Supplier, clean: Application) -> None:
    supplier.legal_representative = clean.legal_representative
    supplier.address = clean.address
    supplier.size_class = SizeClass(clean.size_class)
    supplier.bank_name, supplier.bank_account_name = clean.bank_name, clean.bank_account_name
    supplier.bank_account_number = clean.bank_account_number
    supplier.contacts = [SupplierContact(name=n, phone=p) for n, p in clean.contacts]


def sync_sme(supplier: Supplier) -> None:
    """Org.is_sme follows the size class (the SME policy reads the organisation)."""
    supplier.org.is_sme = supplier.size_class in SME_SIZES


def application_of(supplier: Supplier) -> Application:
    return Application(name=supplier.name, uscc=supplier.uscc, region_code=supplier.region_code,
                       legal_representative=supplier.legal_representative, address=supplier.address,
                       size_class=supplier.size_class.value, contacts=[(c.name, c.phone) for c in supplier.contacts],
                       bank_name=supplier.bank_name, bank_account_name=supplier.bank_account_name,
                       bank_account_number=supplier.bank_account_number)


def update_application(user: User, supplier: Supplier, data: Application) -> Supplier:
    """A draft (new or returned) is edited freely, its name and code included; once admitted the key
    fields change only through a change review (`registry.suppliers.changes`)."""
    supplier = lock_supplier(supplier)
    require_member(user, supplier)
    if supplier.status != SupplierStatus.DRAFT:
        raise Conflict("入库后的关键信息请通过变更申请修改。", code="supplier_not_draft")
    clean, warning = check_application(data)
    if _uscc_taken(clean.uscc, but=supplier.org_id):
        raise Conflict("该统一社会信用代码的单位已在平台注册。", code="organisation_duplicate",
                       details={"field": "uscc"})
    org = supplier.org
    org.name, org.uscc, org.region_code = clean.name, clean.uscc, clean.region_code
    _apply_fields(supplier, clean)
    supplier.uscc_warning = warning
    sync_sme(supplier)
    db.session.flush()
    record("registry.supplier_updated", supplier, {"name": org.name, "uscc": org.uscc, "uscc_warning": warning})
    return supplier


def update_contacts(user: User, supplier: Supplier, contacts: list[tuple[str, str]]) -> Supplier:
    """Contacts are not key fields: the supplier keeps them current at any time (audited)."""
    supplier = lock_supplier(supplier)
    require_member(user, supplier)
    if supplier.status == SupplierStatus.DEREGISTERED:
        raise Conflict("已注销的供应商不能修改信息。", code="supplier_deregistered")
    rows = check_contacts(contacts)
    old = [[c.name, c.phone] for c in supplier.contacts]
    supplier.contacts = [SupplierContact(name=n, phone=p) for n, p in rows]
    db.session.flush()
    record("registry.supplier_contacts_updated", supplier, {"old": old, "new": [list(r) for r in rows]})
    return supplier


# ---------------------------------------------------------------- who


def is_central_agency_staff(user: User) -> bool:
    return user.has_role(Role.AGENCY_STAFF) and user.org is not None and user.org.kind == OrgKind.CENTRAL_AGENCY


def may_review(user: User, supplier: Supplier) -> bool:
    """The central agency (集中采购机构) of the supplier's region or above, or the platform operator."""
    if user.has_role(Role.ADMIN):
        return True
    return is_central_agency_staff(user) and supplier.region_code in regions_under(user.org.region_code)


def require_reviewer(user: User, supplier: Supplier) -> None:
    if not may_review(user, supplier):
        raise Forbidden("只有供应商所在地区的集中采购机构可以审核供应商。", code="not_supplier_reviewer")


def may_view(user: User, supplier: Supplier) -> bool:
    if user.org_id is not None and user.org_id == supplier.org_id:
        return True
    if user.has_role(Role.ADMIN, Role.AGENCY_STAFF):
        return True
    return user.has_role(Role.SUPERVISOR, Role.FINANCE_REVIEWER) and supplier.region_code in regions_under(
        user.region_code)


def require_member(user: User, supplier: Supplier) -> None:
    if user.org_id != supplier.org_id or not user.has_role(Role.SUPPLIER):
        raise Forbidden("只能修改本单位的供应商信息。", code="not_supplier_member")


def lock_supplier(supplier: Supplier) -> Supplier:
    return db.session.execute(select(Supplier).where(Supplier.id == supplier.id).with_for_update()).scalar_one()


# ---------------------------------------------------------------- reads


def get_supplier(supplier_id: int) -> Supplier:
    supplier = db.session.get(Supplier, supplier_id)
    if supplier is None:
        raise NotFound("没有这家供应商。", code="supplier_not_found")
    return supplier


def supplier_of_org(org_id: int | None) -> Supplier | None:
    if org_id is None:
        return None
    return db.session.scalar(select(Supplier).where(Supplier.org_id == org_id))


def today() -> date:
    return clock.to_local(clock.now()).date()


@dataclass
class Filters:
    status: str = ""
    size_class: str = ""
    region_code: str = ""
    q: str = ""  # a part of the name or the USCC
    expiring: bool = False  # a live qualification expired or expiring within the region's reminder days
    overdue: bool = False  # submitted and past the review period


def list_suppliers(viewer: User | None, filters: Filters | None = None, limit: int = 500) -> list[Supplier]:
    """The library as a viewer may see it (the region and below for supervisors), filtered."""
    filters = filters or Filters()
    query = select(Supplier).join(Org, Supplier.org_id == Org.id)
    if viewer is not None and viewer.has_role(Role.SUPERVISOR, Role.FINANCE_REVIEWER) and not viewer.has_role(
            Role.ADMIN, Role.AGENCY_STAFF):
        query = query.where(Org.region_code.in_(regions_under(viewer.region_code)))
    if filters.status:
        try:
            query = query.where(Supplier.status == SupplierStatus(filters.status))
        except ValueError:
            raise fail("status", "未知的状态。", "status_invalid") from None
    if filters.size_class:
        query = query.where(Supplier.size_class == size_of(filters.size_class))
    if filters.region_code:
        query = query.where(Org.region_code.in_(regions_under(filters.region_code)))
    if filters.q.strip():
        words = f"%{filters.q.strip()}%"
        query = query.where(or_(Org.name.like(words), Org.uscc.like(words.upper())))
    if filters.overdue:
        query = query.where(Supplier.status == SupplierStatus.SUBMITTED, Supplier.review_due_at <= clock.now())
    if filters.expiring:
        horizon = clock.now() + timedelta(days=180)
        soon = select(SupplierQualification.supplier_id).where(
            SupplierQualification.removed_at.is_(None), SupplierQualification.remind_at <= clock.now(),
            SupplierQualification.expires_at <= horizon)
        query = query.where(Supplier.id.in_(soon))
    return list(db.session.scalars(query.order_by(Supplier.id).limit(limit)))


def public_list(q: str = "") -> list[Supplier]:
    return list_suppliers(None, Filters(status=SupplierStatus.ACTIVE.value, q=q))


def count_by_status() -> dict[str, int]:
    rows = db.session.execute(select(Supplier.status, func.count()).group_by(Supplier.status))
    return {status.value: n for status, n in rows}


def credit_warning(supplier: Supplier):
    """The latest registration credit check of the supplier that found something (None: nothing found)."""
    return credit.warnings_for([f"org:{supplier.org_id}"]).get(supplier.org_id)


def credit_summary(check) -> str:
    return credit.check_summary(check)


def qualification_state(q: SupplierQualification, on: date | None = None) -> str:
    """"expired", "expiring" (inside the reminder window), "valid" or "permanent"."""
    day = on or today()
    if q.expires_on is None:
        return "permanent"
    if q.expires_on < day:
        return "expired"
    if q.remind_at is not None and q.remind_at <= clock.now():
        return "expiring"
    return "valid"


# ---------------------------------------------------------------- qualifications


def _suffix(path) -> str:
    with open(path, "rb") as handle:
        head = handle.read(8)
    for magic, suffix in SIGNATURES.items():
        if head.startswith(magic):
            return suffix
    raise fail("file", "资质证书扫描件须为 PDF、JPG 或 PNG 文件。", "document_type_invalid")


def _local_moment(day: date, hour: int = 0) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=clock.LOCAL_TZ).astimezone(UTC)


def schedule_expiry(q: SupplierQualification, region_code: str) -> None:
    """The expiry moment (the start of the day after the last valid day) and the reminder ahead of it
    (09:00 Beijing time, the region's number of days before): the chronograph's due columns."""
    if q.expires_on is None:
        q.expires_at = q.remind_at = None
        return
    q.expires_at = _local_moment(q.expires_on + timedelta(days=1))
    q.remind_at = _local_moment(q.expires_on - timedelta(days=rules.remind_days(region_code)), 9)


def parse_day(text: str | date | None, field_name: str, label: str, required: bool = False) -> date | None:
    if isinstance(text, date):
        return text
    raw = (text or "").strip()
    if not raw:
        if required:
            raise fail(field_name, f"请填写{label}。", f"{field_name}_required")
        return None
    try:
        return date.fromisoformat(raw.replace("/", "-"))
    except ValueError:
        raise fail(field_name, f"{label}应为日期，如 2027-06-30。", "date_invalid") from None


def check_qualification(kind: str, name: str, number: str, expires_on: date | None) -> tuple[QualificationKind,
                                                                                              str, str]:
    try:
        kind = QualificationKind(kind)
    except ValueError:
        raise fail("kind", "请选择资质类别。", "qualification_kind_invalid") from None
    name = required_text(name, "qualification_name", "证书名称", 120)
    number = (number or "").strip()
    if len(number) > 60:
        raise fail("qualification_number", "证书编号不能超过 60 个字。", "qualification_number_too_long")
    if expires_on is not None and expires_on < today():
        raise fail("expires_on", f"证书已于 {expires_on.isoformat()} 过期，请上传有效的证书。", "qualification_expired")
    return kind, name, number


def add_qualification(user: User, supplier: Supplier, kind: str, name: str, number: str,
                      expires_on: date | None, filename: str | None, stream: BinaryIO | None) -> SupplierQualification:
    """A certificate with its scan; an expired one is refused. The scan's file is removed again if the
    transaction rolls back."""
    supplier = lock_supplier(supplier)
    require_member(user, supplier)
    if supplier.status == SupplierStatus.DEREGISTERED:
        raise Conflict("已注销的供应商不能上传资质。", code="supplier_deregistered")
    kind, name, number = check_qualification(kind, name, number, expires_on)
    upload_name = files.upload_name(filename, what="资质证书扫描件") if filename else ""
    if stream is None or not upload_name:
        raise fail("file", "请选择资质证书的扫描件。", "document_missing")
    try:
        with AREA.temp_upload(stream, max_bytes=MAX_DOCUMENT_BYTES) as upload:
            if upload.size == 0:
                raise fail("file", "上传的文件是空的。", "document_empty")
            path = AREA.keep(upload, f"suppliers/{supplier.id}", _suffix(upload.path))
    except UploadTooLarge:
        raise PayloadTooLarge(f"每份资质证书不能超过 {files.size_text(MAX_DOCUMENT_BYTES)}。",
                              code="document_too_large", details={"max_bytes": MAX_DOCUMENT_BYTES}) from None
    on_rollback(AREA.remove, path)
    q = SupplierQualification(supplier_id=supplier.id, kind=kind, name=name, number=number, expires_on=expires_on,
                              file_name=upload_name, path=path, size=upload.size, sha256=upload.sha256,
                              added_at=clock.now())
    schedule_expiry(q, supplier.region_code)
    supplier.qualifications.append(q)  # through the collection: a loaded list stays current
    db.session.flush()
    record("registry.supplier_qualification_added", supplier,
           {"qualification": q.id, "kind": kind.value, "expires_on": expires_on.isoformat() if expires_on else None,
            "sha256": upload.sha256})
    return q


def remove_qualification(user: User, supplier: Supplier, qualification_id: int) -> SupplierQualification:
    """Withdrawn, kept on record (a reviewer may have admitted on it)."""
    supplier = lock_supplier(supplier)
    require_member(user, supplier)
    q = qualification_of(supplier, qualification_id)
    if q.removed_at is not None:
        raise Conflict("该资质已撤回。", code="qualification_removed")
    q.removed_at = clock.now()
    db.session.flush()
    record("registry.supplier_qualification_removed", supplier, {"qualification": q.id})
    return q


def qualification_of(supplier: Supplier, qualification_id: int) -> SupplierQualification:
    q = db.session.get(SupplierQualification, qualification_id)
    if q is None or q.supplier_id != supplier.id:
        raise NotFound("资质证书不存在。", code="qualification_not_found")
    return q


# ---------------------------------------------------------------- submission and review


def missing_items(supplier: Supplier) -> list[tuple[str, SupplierQualification | None]]:
    """What the application still lacks: ("licence", None), ("expired", the certificate), ("contacts", None).
    The completeness check: nothing else is asked."""
    missing: list[tuple[str, SupplierQualification | None]] = []
    live = supplier.live_qualifications
    if not any(q.kind == QualificationKind.BUSINESS_LICENCE for q in live):
        missing.append(("licence", None))
    day = today()
    missing += [("expired", q) for q in live if q.expired_on(day)]
    if not supplier.contacts:
        missing.append(("contacts", None))
    return missing


def missing_text(missing: list[tuple[str, SupplierQualification | None]]) -> str:
    """The same in a Chinese sentence, for a refusal."""
    words = {"licence": "营业执照扫描件", "contacts": "联系人"}
    return "；".join(f"有效的{q.name}（已于 {q.expires_on.isoformat()} 过期）" if kind == "expired" and q
                    else words[kind] for kind, q in missing)


def submit_application(user: User, supplier: Supplier) -> Supplier:
    """The supplier submits a complete draft; the review period starts (the region's working days)."""
    supplier = lock_supplier(supplier)
    require_member(user, supplier)
    missing = missing_items(supplier)
    if missing:
        raise fail("qualifications", f"申请尚不完整，还缺：{missing_text(missing)}。", "application_incomplete")
    region = supplier.region_code
    days = rules.review_workdays(region)
    from core.workdays import get_calendar

    due_day = get_calendar().add_workdays(today(), days)
    move(supplier, SupplierStatus.SUBMITTED, payload={"review_workdays": days})
    now = clock.now()
    supplier.submitted_at, supplier.status_reason = now, ""
    supplier.review_due_at = clock.end_of_local_day(due_day)
    supplier.review_rule_version = rules.version(region)
    supplier.overdue_warned_at = None
    db.session.flush()
    found = credit.check_at_registration(supplier.org)  # a warning card for the reviewer, never a refusal
    if found.warned:
        record("registry.supplier_credit_warned", supplier, {"barred": found.barred, "score": found.score,
                                                             "records": found.record_ids})
    _tell_reviewers(supplier, "新的供应商注册申请", f"{supplier.name} 提交了注册申请，请于 "
                    f"{clock.format_local(supplier.review_due_at, '%Y-%m-%d')} 前审核。")
    return supplier


def reviewer_orgs(region_code: str) -> list[int]:
    """The central agencies of the region and of every region above it."""
    from accounts.models import Region as RegionModel

    region = db.session.get(RegionModel, region_code)
    codes = [r.code for r in region.lineage()] if region else [region_code]
    return list(db.session.scalars(select(Org.id).where(Org.kind == OrgKind.CENTRAL_AGENCY,
                                                        Org.region_code.in_(codes)).order_by(Org.id)))


def _tell_reviewers(supplier: Supplier, title: str, body: str, level: str = "info") -> None:
    from core.tasks import send_message

    orgs = reviewer_orgs(supplier.region_code)
    if orgs:
        url = f"/suppliers/{supplier.id}"  # a same-site path: the browser's message links it
        after_commit(send_message.delay, {"title": title, "body": body, "level": level, "url": url}, org_ids=orgs)


def tell_supplier(supplier: Supplier, title: str, body: str, level: str = "info") -> None:
    from core.tasks import send_message

    url = "/suppliers/me"
    after_commit(send_message.delay, {"title": title, "body": body, "level": level, "url": url},
                 org_ids=[supplier.org_id])


def admit_supplier(reviewer: User, supplier: Supplier, confirm_note: str = "") -> Supplier:
    """Admit a complete application. A USCC that failed only the GB 11714 check needs the reviewer's
    confirmation (a note saying what was checked), kept on the supplier and in the audit log."""
    supplier = lock_supplier(supplier)
    require_reviewer(reviewer, supplier)
    if supplier.status != SupplierStatus.SUBMITTED:
        raise Conflict("只有已提交的申请可以审核。", code="supplier_transition_refused")
    missing = missing_items(supplier)
    if missing:
        raise fail("qualifications", f"申请不完整，请退回补正：{missing_text(missing)}。", "application_incomplete")
    note = (confirm_note or "").strip()
    if supplier.uscc_warning and supplier.uscc_confirmed_by_id is None:
        if not note:
            raise fail("confirm_note", "该统一社会信用代码未通过组织机构代码校验：请核对营业执照原件后"
                       "填写核对说明再准予入库。", "uscc_warning_unconfirmed")
        supplier.uscc_confirmed_by_id, supplier.uscc_confirm_note = reviewer.id, note[:200]
        record("registry.supplier_uscc_warning_overridden", supplier,
               {"warning": supplier.uscc_warning, "note": supplier.uscc_confirm_note})
    move(supplier, SupplierStatus.ACTIVE, payload={"overdue": supplier.review_due_at <= clock.now()})
    supplier.admitted_at, supplier.reviewed_by_id, supplier.status_reason = clock.now(), reviewer.id, ""
    sync_sme(supplier)
    db.session.flush()
    tell_supplier(supplier, "供应商注册已通过", f"{supplier.name} 已入库。", "success")
    return supplier


def return_application(reviewer: User, supplier: Supplier, reason: str) -> Supplier:
    """Back to the supplier to correct, with the reason (only what is missing or wrong: not a selection)."""
    supplier = lock_supplier(supplier)
    require_reviewer(reviewer, supplier)
    reason = (reason or "").strip()
    if not reason:
        raise fail("reason", "请填写退回理由（缺少或有误的内容）。", "reason_required")
    move(supplier, SupplierStatus.DRAFT, payload={"reason": reason[:200]})
    supplier.status_reason, supplier.reviewed_by_id = reason[:200], reviewer.id
    supplier.review_due_at = None
    db.session.flush()
    tell_supplier(supplier, "供应商注册申请被退回", f"退回理由：{supplier.status_reason}", "warning")
    return supplier


def suspend_supplier(reviewer: User, supplier: Supplier, reason: str) -> Supplier:
    supplier = lock_supplier(supplier)
    require_reviewer(reviewer, supplier)
    reason = (reason or "").strip()
    if not reason:
        raise fail("reason", "请填写暂停理由。", "reason_required")
    move(supplier, SupplierStatus.SUSPENDED, payload={"reason": reason[:200]})
    supplier.status_reason = reason[:200]
    db.session.flush()
    tell_supplier(supplier, "供应商资格已暂停", f"暂停理由：{supplier.status_reason}", "warning")
    return supplier


def reinstate_supplier(reviewer: User, supplier: Supplier) -> Supplier:
    supplier = lock_supplier(supplier)
    require_reviewer(reviewer, supplier)
    move(supplier, SupplierStatus.ACTIVE)
    supplier.status_reason = ""
    db.session.flush()
    tell_supplier(supplier, "供应商资格已恢复", f"{supplier.name} 已恢复在库。", "success")
    return supplier


def deregister_supplier(actor: User, supplier: Supplier, reason: str) -> Supplier:
    """Out of the library for good: by the reviewer, or by the supplier's own administrator."""
    supplier = lock_supplier(supplier)
    own = actor.org_id == supplier.org_id and actor.has_role(Role.SUPPLIER)
    if not own:
        require_reviewer(actor, supplier)
    reason = (reason or "").strip()
    if not reason:
        raise fail("reason", "请填写注销理由。", "reason_required")
    move(supplier, SupplierStatus.DEREGISTERED, payload={"reason": reason[:200], "by_supplier": own})
    supplier.status_reason = reason[:200]
    db.session.flush()
    return supplier


REVIEW_ACTIONS = ("admit", "return", "suspend", "reinstate", "deregister")


def review_supplier(reviewer: User, supplier: Supplier, action: str, reason: str = "",
                    confirm_note: str = "") -> Supplier:
    """One entry for the pages and the API."""
    if action == "admit":
        return admit_supplier(reviewer, supplier, confirm_note)
    if action == "return":
        return return_application(reviewer, supplier, reason)
    if action == "suspend":
        return suspend_supplier(reviewer, supplier, reason)
    if action == "reinstate":
        return reinstate_supplier(reviewer, supplier)
    if action == "deregister":
        return deregister_supplier(reviewer, supplier, reason)
    raise fail("action", "未知的操作。", "action_invalid")
