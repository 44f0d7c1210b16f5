"""Key changes after admission (name, legal representative, bank account, size class, address) through
the central agency's change review, with the old version kept.

As with an expert's employer change (`registry.experts.changes`), an admitted supplier's key facts never
change silently: the supplier proposes, the values on file stay in force until the reviewer approves,
and the change row keeps both versions for good, so a past award or payment can be read against the
facts of its day. One change waits at a time. The size class feeds the SME policy (Org.is_sme follows
it on approval).
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select

from accounts.models import User
from audit.service import record
from core import clock
from core.db import db
from core.errors import Conflict, NotFound, ValidationError
from registry.suppliers.models import ChangeStatus, SizeClass, Supplier, SupplierChange, SupplierStatus
from registry.suppliers.service import (
    check_bank,
    fail,
    lock_supplier,
    require_member,
    require_reviewer,
    required_text,
    size_of,
    sync_sme,
    tell_supplier,
)

# field -> Chinese label, in the order the pages show them
KEY_FIELDS = {
    "name": "单位名称",
    "legal_representative": "法定代表人",
    "address": "地址",
    "size_class": "企业规模",
    "bank_name": "开户银行",
    "bank_account_name": "银行账户名称",
    "bank_account_number": "银行账号",
}


def key_values(supplier: Supplier) -> dict[str, str]:
    """The key fields on file now."""
    return {"name": supplier.name, "legal_representative": supplier.legal_representative,
            "address": supplier.address, "size_class": supplier.size_class.value, "bank_name": supplier.bank_name,
            "bank_account_name": supplier.bank_account_name, "bank_account_number": supplier.bank_account_number}


def _checked(current: dict[str, str], proposed: Mapping[str, str]) -> dict[str, str]:
    unknown = sorted(set(proposed) - set(KEY_FIELDS))
    if unknown:
        raise fail(unknown[0], "只能变更单位名称、法定代表人、地址、企业规模和银行账户。", "change_field_invalid")
    merged = {**current, **{k: (v if isinstance(v, str) else str(v)) for k, v in proposed.items() if v is not None}}
    out = {
        "name": required_text(merged["name"], "name", "单位名称", 120),
        "legal_representative": required_text(merged["legal_representative"], "legal_representative", "法定代表人", 60),
        "address": required_text(merged["address"], "address", "地址", 200),
        "size_class": size_of(merged["size_class"]).value,
    }
    out["bank_name"], out["bank_account_name"], out["bank_account_number"] = check_bank(
        merged["bank_name"], merged["bank_account_name"], merged["bank_account_number"])
    return out


def pending_change(supplier: Supplier) -> SupplierChange | None:
    return db.session.scalar(select(SupplierChange).where(SupplierChange.supplier_id == supplier.id,
                                                          SupplierChange.status == ChangeStatus.PENDING))


def changes_of(supplier: Supplier) -> list[SupplierChange]:
    return list(db.session.scalars(select(SupplierChange).where(SupplierChange.supplier_id == supplier.id)
                                   .order_by(SupplierChange.id.desc())))


def pending_changes() -> list[SupplierChange]:
    return list(db.session.scalars(select(SupplierChange).where(SupplierChange.status == ChangeStatus.PENDING)
                                   .order_by(SupplierChange.submitted_at)))


def request_change(user: User, supplier: Supplier, proposed: Mapping[str, str], reason: str = "") -> SupplierChange:
    """The supplier proposes new key values; only the fields that differ are kept, with their old values."""
    supplier = lock_supplier(supplier)
    require_member(user, supplier)
    if supplier.status not in (SupplierStatus.ACTIVE, SupplierStatus.SUSPENDED):
        raise Conflict("入库前的信息请直接修改注册申请。", code="supplier_not_admitted")
    if pending_change(supplier) is not None:
        raise Conflict("已有一项变更在审核中，请等待审核结果。", code="change_pending")
    current = key_values(supplier)
    new = _checked(current, proposed)
    changed = [k for k in KEY_FIELDS if new[k] != current[k]]
    if not changed:
        raise ValidationError("没有需要变更的内容。", code="change_empty")
    change = SupplierChange(supplier_id=supplier.id, old_values={k: current[k] for k in changed},
                            new_values={k: new[k] for k in changed}, reason=(reason or "").strip()[:200],
                            submitted_at=clock.now(), submitted_by_id=user.id)
    db.session.add(change)
    db.session.flush()
    record("registry.supplier_change_requested", supplier,
           {"change": change.id, "old": change.old_values, "new": change.new_values})
    return change


def review_change(reviewer: User, change_id: int, approve: bool, note: str = "") -> SupplierChange:
    """Approve (the new values take effect, the old ones stay on the change) or reject with a reason."""
    change = db.session.scalar(select(SupplierChange).where(SupplierChange.id == change_id).with_for_update())
    if change is None:
        raise NotFound("变更申请不存在。", code="change_not_found")
    supplier = lock_supplier(change.supplier)
    require_reviewer(reviewer, supplier)
    if change.status != ChangeStatus.PENDING:
        raise Conflict("该变更申请已审核。", code="change_reviewed")
    note = (note or "").strip()
    if not approve and not note:
        raise fail("note", "请填写不予变更的理由。", "reason_required")
    if approve:
        _apply(supplier, change.new_values)
    change.status = ChangeStatus.APPROVED if approve else ChangeStatus.REJECTED
    change.reviewed_by_id, change.reviewed_at, change.review_note = reviewer.id, clock.now(), note[:200]
    db.session.flush()
    record("registry.supplier_change_reviewed", supplier,
           {"change": change.id, "approved": approve, "note": change.review_note, "old": change.old_values,
            "new": change.new_values})
    title = "供应商信息变更已同意" if approve else "供应商信息变更未同意"
    tell_supplier(supplier, title, change.review_note or "变更已生效。", "success" if approve else "warning")
    return change


def _apply(supplier: Supplier, values: Mapping[str, str]) -> None:
    for key, value in values.items():
        if key == "name":
            supplier.org.name = value
        elif key == "size_class":
            supplier.size_class = SizeClass(value)
        else:
            setattr(supplier, key, value)
    sync_sme(supplier)
