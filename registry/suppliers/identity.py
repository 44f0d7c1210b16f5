"""What the supplier profiles add to the collusion signals' identity graph (`registry.collusion.identity`):
the legal representative, the contacts' phones, the address and the bank account of each supplier, so that
two bidders sharing any of them are linked (87号令 Art 37). Registered once at import as one more source."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from core.db import db
from registry.collusion import identity
from registry.suppliers.models import Supplier, SupplierContact


def attributes(org_ids: Iterable[int]) -> list[tuple[int, str, str]]:
    ids = list(org_ids)
    if not ids:
        return []
    out: list[tuple[int, str, str]] = []
    for s in db.session.scalars(select(Supplier).where(Supplier.org_id.in_(ids))):
        out += [(s.org_id, "representative", s.legal_representative), (s.org_id, "address", s.address),
                (s.org_id, "bank_account", s.bank_account_number)]
        out += [(s.org_id, "contact_phone", c.phone) for c in s.contacts]
    return out


def holders(kind: str, values: list[str]) -> list[int]:
    """The supplier organisations holding any of these values as stored (the service stores them cleaned:
    text stripped, account numbers as digits)."""
    if kind == "contact_phone":
        return list(db.session.scalars(select(Supplier.org_id).join(SupplierContact).where(
            SupplierContact.phone.in_(values))))
    column = {"representative": Supplier.legal_representative, "address": Supplier.address,
              "bank_account": Supplier.bank_account_number}.get(kind)
    if column is None:
        return []
    return list(db.session.scalars(select(Supplier.org_id).where(column.in_(values))))


SOURCE = (attributes, holders)
if SOURCE not in identity.SOURCES:
    identity.SOURCES.append(SOURCE)
