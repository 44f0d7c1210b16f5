"""The supplier library's timed steps (the chronograph's `registry-suppliers-sweep`): an application not
reviewed within the region's period warns the central agency and finance; a qualification nearing its
expiry reminds the supplier (the region's days ahead), and on expiry it is flagged and the supplier told.
Each handler records its audit event; messages go after each object's commit."""

from __future__ import annotations

from sqlalchemy import select

from core.chronograph import Sweep, TimedStep
from registry.suppliers.models import Supplier, SupplierQualification, SupplierStatus

SWEEP_SECONDS = 300.0
LISTED = (SupplierStatus.SUBMITTED, SupplierStatus.ACTIVE, SupplierStatus.SUSPENDED)


def _warn_overdue(supplier: Supplier) -> bool:
    from registry.suppliers.reminders import warn_overdue_review

    return warn_overdue_review(supplier)


def _remind(q: SupplierQualification) -> bool:
    from registry.suppliers.reminders import remind_expiry

    return remind_expiry(q)


def _flag(q: SupplierQualification) -> bool:
    from registry.suppliers.reminders import flag_expired

    return flag_expired(q)


def _listed_supplier():
    return SupplierQualification.supplier_id.in_(select(Supplier.id).where(Supplier.status.in_(LISTED)))


WARN_OVERDUE = TimedStep("registry.supplier_review_overdue", Supplier, _warn_overdue, SupplierStatus.SUBMITTED,
                         due=Supplier.review_due_at, where=lambda _now: Supplier.overdue_warned_at.is_(None),
                         key="review_overdue")
REMIND_EXPIRY = TimedStep("registry.supplier_qualification_remind", SupplierQualification, _remind,
                          due=SupplierQualification.remind_at,
                          where=lambda _now: SupplierQualification.reminded_at.is_(None)
                          & SupplierQualification.removed_at.is_(None) & _listed_supplier(),
                          key="expiry_reminded")
FLAG_EXPIRED = TimedStep("registry.supplier_qualification_expired", SupplierQualification, _flag,
                         due=SupplierQualification.expires_at,
                         where=lambda _now: SupplierQualification.expired_flagged_at.is_(None)
                         & SupplierQualification.removed_at.is_(None) & _listed_supplier(),
                         key="expired_flagged")

SWEEP = Sweep("registry-suppliers-sweep", SWEEP_SECONDS, (WARN_OVERDUE, REMIND_EXPIRY, FLAG_EXPIRED),
              actor="system:chronograph")
