"""Helpers of the e-mall tests (tests/mall) and its browser test: admitting a supplier, listing data."""

from __future__ import annotations


def admit(user) -> None:
    """Put the supplier user's organisation in the supplier library, admitted (入库)."""
    from core import clock
    from core.db import db
    from registry.suppliers.models import SizeClass, Supplier, SupplierStatus

    db.session.add(Supplier(org_id=user.org_id, admin_user_id=user.id, status=SupplierStatus.ACTIVE,
                            legal_representative="张三", address="泰顺县罗阳镇1号", size_class=SizeClass.SMALL,
                            bank_name="泰顺农商银行", bank_account_name=user.org.name,
                            bank_account_number="201000123456789", created_at=clock.now(), admitted_at=clock.now()))
    db.session.commit()


def listing_data(price_fen: int = 5_000_00, **kw):
    from mall.supermarket import ListingData

    return ListingData(price_fen=price_fen, region_codes=kw.pop("regions", ["330000"]), **kw)
