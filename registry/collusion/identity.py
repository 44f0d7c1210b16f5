"""The identity graph: suppliers linked by what their people and profiles share.

Two organisations are linked when they share a value of one kind — a person's mobile phone (an account
of each, `accounts` users), and, from the supplier profiles once registered (`registry.suppliers`), the
legal representative, a contact phone, the address or the bank account. A group is the connected
component around a supplier (breadth first, a few hops). Three bidders of one lot in one group are
flagged (87号令 Art 37 (一)(二): documents made or handled by the same person, the same contact).
Values are compared normalised (digits only for phones and accounts, spaces dropped elsewhere).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from sqlalchemy import select

from accounts.models import Org, OrgKind, User
from core.db import db

MAX_HOPS = 3
KIND_ZH = {"phone": "手机号码", "representative": "法定代表人", "address": "地址", "bank_account": "银行账号"}


def normalise(kind: str, value: str | None) -> str:
    if not value:
        return ""
    if kind in ("phone", "bank_account"):
        digits = re.sub(r"\D", "", value)
        return digits[-11:] if kind != "bank_account" else digits
    return re.sub(r"\s+", "", value).casefold()


# A source: given org ids (None: all), its (org_id, kind, raw value) rows; and given (kind, values), the
# org ids holding any of them. accounts' users are one; the supplier profiles add theirs (see SOURCES).
Attributes = Callable[[Iterable[int]], list[tuple[int, str, str]]]
Holders = Callable[[str, list[str]], list[int]]


def _user_phones(org_ids: Iterable[int]) -> list[tuple[int, str, str]]:
    """Every account's mobile phone (a person working for two bidders shows up here)."""
    rows = db.session.execute(select(User.org_id, User.phone).where(User.org_id.in_(list(org_ids)),
                                                                     User.phone.is_not(None)))
    return [(org_id, "phone", phone) for org_id, phone in rows]


def _phone_holders(kind: str, values: list[str]) -> list[int]:
    if kind != "phone":
        return []
    return list(db.session.scalars(select(User.org_id).join(Org, Org.id == User.org_id).where(
        User.phone.in_(values), Org.kind == OrgKind.SUPPLIER)))


PROFILE_COLUMNS = ("representative", "address", "bank_account")


def _profile_column(kind: str):
    from registry.suppliers.models import Supplier

    return {"representative": Supplier.legal_representative, "address": Supplier.address,
            "bank_account": Supplier.bank_account_number}[kind]


def _profiles(org_ids: Iterable[int]) -> list[tuple[int, str, str]]:
    """The supplier profiles' legal representative, address, bank account and contacts' phones."""
    from registry.suppliers.models import Supplier, SupplierContact

    ids = list(org_ids)
    out: list[tuple[int, str, str]] = []
    for org_id, rep, address, account in db.session.execute(
            select(Supplier.org_id, Supplier.legal_representative, Supplier.address, Supplier.bank_account_number)
            .where(Supplier.org_id.in_(ids))):
        out += [(org_id, "representative", rep), (org_id, "address", address), (org_id, "bank_account", account)]
    out += [(org_id, "phone", phone) for org_id, phone in db.session.execute(
        select(Supplier.org_id, SupplierContact.phone).join(SupplierContact, SupplierContact.supplier_id == Supplier.id)
        .where(Supplier.org_id.in_(ids)))]
    return out


def _profile_holders(kind: str, values: list[str]) -> list[int]:
    from registry.suppliers.models import Supplier, SupplierContact

    if kind == "phone":
        return list(db.session.scalars(select(Supplier.org_id).join(
            SupplierContact, SupplierContact.supplier_id == Supplier.id).where(SupplierContact.phone.in_(values))))
    if kind in PROFILE_COLUMNS:
        return list(db.session.scalars(select(Supplier.org_id).where(_profile_column(kind).in_(values))))
    return []


SOURCES: list[tuple[Attributes, Holders]] = [(_user_phones, _phone_holders), (_profiles, _profile_holders)]


def attributes_of(org_ids: Iterable[int], spellings: dict[tuple[str, str], set[str]] | None = None
                  ) -> dict[int, dict[str, set[str]]]:
    """Each organisation's normalised values by kind (and, into `spellings`, how each was stored)."""
    ids = list(org_ids)
    out: dict[int, dict[str, set[str]]] = {i: {} for i in ids}
    for attributes, _holders in SOURCES:
        for org_id, kind, raw in attributes(ids):
            value = normalise(kind, raw)
            if value:
                out.setdefault(org_id, {}).setdefault(kind, set()).add(value)
                if spellings is not None:
                    spellings.setdefault((kind, value), set()).add(raw)
    return out


def raw_values(kind: str, value: str) -> list[str]:
    """The stored spellings a normalised value may have (phones: as typed, or with +86)."""
    if kind == "phone":
        return [value, f"+86{value}", f"86{value}", f"+86 {value}"]
    return [value]


def group_of(org_id: int, hops: int = MAX_HOPS) -> dict:
    """The connected group around a supplier: members, and each link (two orgs, the kind, the value)."""
    members = {org_id}
    frontier = {org_id}
    links: list[dict] = []
    seen_values: set[tuple[str, str]] = set()
    stored: dict[tuple[str, str], set[str]] = {}
    for _ in range(hops):
        attrs = attributes_of(frontier, stored)
        wanted: dict[str, set[str]] = {}
        for kinds in attrs.values():
            for kind, values in kinds.items():
                for value in values:
                    if (kind, value) not in seen_values:
                        seen_values.add((kind, value))
                        wanted.setdefault(kind, set()).add(value)
        found: set[int] = set()
        for kind, values in wanted.items():
            spellings = sorted({s for v in values for s in (*raw_values(kind, v), *stored.get((kind, v), ()))})
            holders = {h for _attributes, holder in SOURCES for h in holder(kind, spellings)}
            if len(holders) < 2 and not (holders - members):
                continue
            holder_attrs = attributes_of(holders)
            for value in values:
                sharing = sorted(o for o, kinds in holder_attrs.items() if value in kinds.get(kind, ()))
                if len(sharing) > 1:
                    links.append({"kind": kind, "value": value, "orgs": sharing})
                    found.update(sharing)
        frontier = found - members
        members |= found
        if not frontier:
            break
    return {"org_id": org_id, "members": sorted(members), "links": links}


def groups_among(org_ids: Iterable[int]) -> list[dict]:
    """The groups holding two or more of the given organisations (a lot's bidders), each with its links,
    the links through third parties included."""
    ids = set(org_ids)
    out, placed = [], set()
    for org_id in sorted(ids):
        if org_id in placed:
            continue
        group = group_of(org_id)
        inside = sorted(set(group["members"]) & ids)
        placed.update(inside)
        if len(inside) > 1:
            out.append({"members": inside, "group": group["members"], "links": group["links"]})
    return out
