"""The supplier seeder on the accounts demo: the six suppliers admitted, one certificate inside the reminder
window, one change waiting, gysnew's application waiting for the central agency, who can admit it, and a
company imported from the old library waiting for its activation SMS."""

from core.db import db


def test_demo_seed_shows_the_library(app_ctx, clock):
    from accounts.models import User
    from core import chronograph
    from core.demo import SEEDERS
    from registry.suppliers import changes, onboarding, service
    from registry.suppliers.models import Supplier, SupplierStatus

    context: dict = {"logins": []}
    seeders = dict(SEEDERS)
    for name in ("accounts", "registry_suppliers"):
        seeders[name](context)
    db.session.commit()
    statuses = [s.status for s in db.session.query(Supplier).order_by(Supplier.id)]
    assert statuses == [SupplierStatus.ACTIVE] * 6 + [SupplierStatus.SUBMITTED, SupplierStatus.ACTIVE]
    assert len(changes.pending_changes()) == 1
    assert any(r["username"] == "gysnew" for r in context["logins"])
    first = db.session.query(Supplier).order_by(Supplier.id).first()
    assert [service.qualification_state(q) for q in first.live_qualifications] == ["permanent", "expiring"]
    assert chronograph.run_sweep("registry-suppliers-sweep")["expiry_reminded"]  # the reminder goes out
    imported = db.session.query(Supplier).order_by(Supplier.id.desc()).first()
    assert imported.imported and onboarding.needs_activation(imported)  # the old library's, no account yet
    waiting = db.session.query(Supplier).filter_by(status=SupplierStatus.SUBMITTED).one()
    assert not waiting.uscc_warning and service.missing_items(waiting) == []
    zhongxin = db.session.query(User).filter_by(username="zhongxin").one()
    assert service.may_review(zhongxin, waiting)
    assert onboarding.issue_activation(zhongxin, imported).activation.phone == "13905770166"
    service.admit_supplier(zhongxin, waiting)
    assert waiting.status is SupplierStatus.ACTIVE
