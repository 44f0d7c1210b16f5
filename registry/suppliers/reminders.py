"""What the timed steps do (service functions: change the row, audit, declare the message)."""

from __future__ import annotations

from accounts.service import finance_orgs
from audit.service import record
from core import clock
from core.db import db
from registry.suppliers.models import Supplier, SupplierQualification, SupplierStatus
from registry.suppliers.service import reviewer_orgs, tell_supplier


def warn_overdue_review(supplier: Supplier) -> bool:
    """The review period has passed: warn the central agency and the region's finance bureau, once."""
    if supplier.status != SupplierStatus.SUBMITTED or supplier.overdue_warned_at is not None:
        return False
    from core.after_commit import after_commit
    from core.tasks import send_message

    supplier.overdue_warned_at = clock.now()
    db.session.flush()
    due = clock.format_local(supplier.review_due_at, "%Y-%m-%d")
    record("registry.supplier_review_overdue", supplier, {"review_due_at": supplier.review_due_at.isoformat(),
                                                          "rule_version": supplier.review_rule_version})
    orgs = sorted(set(reviewer_orgs(supplier.region_code)) | set(finance_orgs(supplier.region_code)))
    if orgs:
        message = {"title": "供应商注册审核已超期", "level": "warning",
                   "body": f"{supplier.name} 的注册申请应于 {due} 前审核，现已超期。",
                   "url": f"/suppliers/{supplier.id}"}
        after_commit(send_message.delay, message, org_ids=orgs)
    return True


def remind_expiry(q: SupplierQualification) -> bool:
    """Tell the supplier ahead of the expiry (the region's days), once per certificate."""
    if q.reminded_at is not None or q.expires_on is None:
        return False
    q.reminded_at = clock.now()
    db.session.flush()
    record("registry.supplier_qualification_reminded", q.supplier,
           {"qualification": q.id, "name": q.name, "expires_on": q.expires_on.isoformat()})
    tell_supplier(q.supplier, "资质证书即将到期",
                  f"{q.name} 将于 {q.expires_on.isoformat()} 到期，请及时上传新证书。", "warning")
    return True


def flag_expired(q: SupplierQualification) -> bool:
    """The certificate has expired: flagged on the supplier's record, and the supplier told."""
    if q.expired_flagged_at is not None or q.expires_on is None:
        return False
    q.expired_flagged_at = clock.now()
    db.session.flush()
    record("registry.supplier_qualification_expired", q.supplier,
           {"qualification": q.id, "name": q.name, "expires_on": q.expires_on.isoformat()})
    tell_supplier(q.supplier, "资质证书已过期", f"{q.name} 已于 {q.expires_on.isoformat()} 过期，请上传新证书。",
                  "danger")
    return True
