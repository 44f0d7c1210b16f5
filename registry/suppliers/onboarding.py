"""The way in for a supplier imported from the county's library: it is admitted but has no account, so it
could neither bid nor keep its record up to date. The central agency sends it a single-use link by SMS
to the contact mobile on file; whoever opens it proves they are the company by the last four digits of
its bank account on file (known to the company, not public like its USCC) and makes the administrator's
account, who then adds the company's people like any supplier administrator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update

from accounts.activation import check_link, check_passwords, check_username, link_digest, new_link_token
from accounts.models import Role, User
from accounts.service import create_user
from audit.service import record
from core import clock
from core.after_commit import after_commit
from core.db import db
from core.errors import Conflict, ValidationError
from registry.suppliers import rules
from registry.suppliers.models import Supplier, SupplierActivation, SupplierStatus
from registry.suppliers.service import get_supplier, may_review, require_reviewer
from registry.suppliers.tasks import send_activation

RENEWED_BY = "集中采购机构"
LISTED = (SupplierStatus.ACTIVE, SupplierStatus.SUSPENDED)


@dataclass
class IssuedActivation:
    activation: SupplierActivation
    token: str  # shown once, in the message; never stored


def activation_phone(supplier: Supplier) -> str | None:
    """The first contact mobile on file (a landline cannot take the SMS)."""
    return next((c.phone.strip() for c in supplier.contacts if c.phone.strip().startswith("1")), None)


def needs_activation(supplier: Supplier) -> bool:
    return supplier.admin_user_id is None and supplier.status in LISTED


def issue_activation(sender: User, supplier: Supplier) -> IssuedActivation:
    """A fresh link for a listed supplier without an account; earlier unused links stop working."""
    require_reviewer(sender, supplier)
    if supplier.admin_user_id is not None:
        raise Conflict("该供应商已有账户，无需激活。", code="already_activated")
    if supplier.status not in LISTED:
        raise Conflict("该供应商不在库中，不能发送激活邀请。", code="supplier_not_listed")
    phone = activation_phone(supplier)
    if phone is None:
        raise ValidationError("该供应商没有登记手机号码，无法发送激活短信。请先通过变更审核补充联系人手机。",
                              code="activation_phone_missing")
    now = clock.now()
    db.session.execute(update(SupplierActivation).where(
        SupplierActivation.supplier_id == supplier.id, SupplierActivation.used_at.is_(None),
        SupplierActivation.expires_at > now).values(expires_at=now))
    token, digest = new_link_token()
    days = rules.activation_days(supplier.region_code)
    activation = SupplierActivation(supplier_id=supplier.id, phone=phone, token_sha256=digest, created_at=now,
                                    expires_at=now + timedelta(days=days), sent_by_id=sender.id)
    db.session.add(activation)
    db.session.flush()
    record("registry.supplier_activation_sent", supplier,
           {"activation": activation.id, "valid_days": days, "by": sender.id})
    after_commit(send_activation.delay, activation.id, token)
    return IssuedActivation(activation, token)


def pending_suppliers(sender: User) -> list[Supplier]:
    """The listed suppliers without an account that `sender` may invite (the import's follow-up)."""
    found = db.session.scalars(select(Supplier).where(Supplier.admin_user_id.is_(None),
                                                      Supplier.status.in_(LISTED)).order_by(Supplier.id))
    return [supplier for supplier in found if may_review(sender, supplier)]


def pending_activation(token: str) -> SupplierActivation:
    """The unused, unexpired activation a link names, or a clear refusal."""
    found = db.session.scalar(select(SupplierActivation).where(SupplierActivation.token_sha256 == link_digest(token)))
    return check_link(found, RENEWED_BY)


def activate(token: str, username: str, name: str, password: str, repeated: str, account_last4: str) -> User:
    """The supplier opens the link and makes its administrator's account in its organisation."""
    activation = db.session.scalar(
        select(SupplierActivation).where(SupplierActivation.id == pending_activation(token).id).with_for_update()
    )
    if activation.used_at is not None:  # a second tab won the race
        raise Conflict("该激活链接已使用过。请直接登录。", code="activation_used")
    supplier = get_supplier(activation.supplier_id)
    if account_last4.strip() != supplier.bank_account_number[-4:]:
        raise ValidationError("银行账号后四位与供应商库登记的不一致。", code="identity_mismatch",
                              details={"field": "account_last4"})
    if supplier.admin_user_id is not None:
        raise Conflict("该供应商已有账户，请直接登录。", code="already_activated")
    admin_name = (name or "").strip()
    if not admin_name or len(admin_name) > 60:
        raise ValidationError("请填写管理员姓名（60 字以内）。", code="admin_name_required", details={"field": "name"})
    check_passwords(password, repeated)
    user = create_user(check_username(username), admin_name, password, [Role.SUPPLIER], supplier.region_code,
                       org=supplier.org, phone=activation.phone)
    supplier.admin_user_id = user.id
    activation.used_at = clock.now()
    db.session.flush()
    record("registry.supplier_activated", supplier, {"activation": activation.id, "user_id": user.id})
    return user
