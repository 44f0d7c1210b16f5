"""The identity graph: suppliers linked by what their people and profiles share.

Two organisations are linked when they hold the same value of one kind — a phone (an account's mobile
phone in `accounts`, a contact's phone in the supplier profile), the legal representative, the address
or the bank account (the `registry.suppliers` profiles). A group is
the connected component around a supplier (breadth first, `MAX_HOPS` hops), third parties included: two
bidders who never share a value themselves but each share one with a third firm are one group. Bidders
of one lot in one group are flagged (87号令 Art 37 (一)(二)(六): documents made or handled by one person, one
contact, deposits from one account). Values are compared normalised (phones: their last 11 digits;
accounts: digits; other text: without spaces, case-folded).

The values live in an index of their own (`IdentityKey`, by kind and value): the accounts and supplier
tables do not index those columns, and scanning 100,000 profiles per hop is too slow for a query.
`refresh(org_ids)` rebuilds an organisation's keys from the sources; a lot's computation refreshes its
bidders first, and the collusion sweep refreshes every supplier daily (`timed`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from sqlalchemy import and_, delete, exists, insert, or_, select

from accounts.models import User
from core import clock
from core.db import db
from registry.collusion.models import IdentityKey, IdentityStamp

MAX_HOPS = 3
KIND_ZH = {"phone": "手机号码", "representative": "法定代表人", "address": "地址", "bank_account": "银行账号"}


def normalise(kind: str, value: str | None) -> str:
    if not value:
        return ""
    if kind == "phone":
        return re.sub(r"\D", "", value)[-11:]
    if kind == "bank_account":
        return re.sub(r"\D", "", value)
    return re.sub(r"\s+", "", value).casefold()[:200]


def _user_phones(org_ids: list[int]) -> list[tuple[int, str, str]]:
    """Every account's mobile phone (a person working for two bidders shows up here)."""
    rows = db.session.execute(select(User.org_id, User.phone).where(User.org_id.in_(org_ids), User.phone.is_not(None)))
    return [(org_id, "phone", phone) for org_id, phone in rows]


def _profiles(org_ids: list[int]) -> list[tuple[int, str, str]]:
    """The supplier profiles' legal representative, address, bank account and contacts' phones."""
    from registry.suppliers.models import Supplier, SupplierContact

    out: list[tuple[int, str, str]] = []
    for org_id, rep, address, account in db.session.execute(
            select(Supplier.org_id, Supplier.legal_representative, Supplier.address, Supplier.bank_account_number)
            .where(Supplier.org_id.in_(org_ids))):
        out += [(org_id, "representative", rep), (org_id, "address", address), (org_id, "bank_account", account)]
    out += [(org_id, "phone", phone) for org_id, phone in db.session.execute(
        select(Supplier.org_id, SupplierContact.phone).join(SupplierContact, SupplierContact.supplier_id == Supplier.id)
        .where(Supplier.org_id.in_(org_ids)))]
    return out


# Each source: given org ids, their (org_id, kind, stored value) rows, read by the org's (indexed) id. Another
# package may add its own (a function, or a pair whose first item is that function).
Attributes = Callable[[list[int]], list[tuple[int, str, str]]]
SOURCES: list[Attributes | tuple[Attributes, Callable]] = [_user_phones, _profiles]
SAME_KIND = {"contact_phone": "phone"}  # a contact's phone and an account's phone are one kind of value


def attributes_of(org_ids: Iterable[int]) -> dict[int, dict[str, set[str]]]:
    """Each organisation's normalised values by kind, read from the sources now."""
    ids = list(org_ids)
    out: dict[int, dict[str, set[str]]] = {i: {} for i in ids}
    for source in SOURCES:
        read = source[0] if isinstance(source, tuple) else source
        for org_id, stored_kind, raw in read(ids):
            kind = SAME_KIND.get(stored_kind, stored_kind)
            value = normalise(kind, raw)
            if value:
                out.setdefault(org_id, {}).setdefault(kind, set()).add(value)
    return out


def refresh(org_ids: Iterable[int]) -> int:
    """Rebuild the identity keys of these organisations from the sources; returns the keys written."""
    ids = sorted(set(org_ids))
    if not ids:
        return 0
    rows = [{"org_id": org, "kind": kind, "value": value}
            for org, kinds in attributes_of(ids).items() for kind, values in kinds.items() for value in values]
    db.session.execute(delete(IdentityKey).where(IdentityKey.org_id.in_(ids)))
    if rows:
        db.session.execute(insert(IdentityKey), rows)
    now = clock.now()
    db.session.execute(delete(IdentityStamp).where(IdentityStamp.org_id.in_(ids)))
    db.session.execute(insert(IdentityStamp), [{"org_id": i, "refreshed_at": now} for i in ids])
    return len(rows)


def _keys_of(org_ids: set[int]) -> list[tuple[int, str, str]]:
    return list(db.session.execute(select(IdentityKey.org_id, IdentityKey.kind, IdentityKey.value)
                                   .where(IdentityKey.org_id.in_(sorted(org_ids)))))


def _holders(wanted: dict[str, set[str]]) -> list[tuple[int, str, str]]:
    clauses = [and_(IdentityKey.kind == kind, IdentityKey.value.in_(sorted(values))) for kind, values in wanted.items()]
    if not clauses:
        return []
    return list(db.session.execute(select(IdentityKey.org_id, IdentityKey.kind, IdentityKey.value)
                                   .where(or_(*clauses))))


UNSTAMPED_INLINE = 1000  # suppliers without keys yet (new since the sweep's last run) rebuilt inline, at most


def refresh_unstamped(limit: int = UNSTAMPED_INLINE) -> int:
    """Rebuild the keys of the suppliers that have none yet, if there are at most `limit` of them (a fresh
    install's whole library is the sweep's work); returns how many were rebuilt."""
    from accounts.models import Org, OrgKind

    ids = list(db.session.scalars(select(Org.id).where(
        Org.kind == OrgKind.SUPPLIER, ~exists(select(IdentityStamp.org_id).where(IdentityStamp.org_id == Org.id)))
        .limit(limit + 1)))
    if not ids or len(ids) > limit:
        return 0
    refresh(ids)
    return len(ids)


def group_of(org_id: int, hops: int = MAX_HOPS) -> dict:
    """The connected group around a supplier: its members, and each link (the kind, the shared value, the
    organisations holding it). A supplier whose keys were never built (registered since the sweep's last
    run) has them, and the other new suppliers theirs, built first."""
    if db.session.get(IdentityStamp, org_id) is None:
        refresh_unstamped()
    members, frontier = {org_id}, {org_id}
    seen: set[tuple[str, str]] = set()
    links: list[dict] = []
    for _ in range(hops):
        wanted: dict[str, set[str]] = {}
        for _org, kind, value in _keys_of(frontier):
            if (kind, value) not in seen:
                seen.add((kind, value))
                wanted.setdefault(kind, set()).add(value)
        holding: dict[tuple[str, str], set[int]] = {}
        for holder, kind, value in _holders(wanted):
            holding.setdefault((kind, value), set()).add(holder)
        found: set[int] = set()
        for (kind, value), orgs in sorted(holding.items()):
            if len(orgs) > 1:
                links.append({"kind": kind, "value": value, "orgs": sorted(orgs)})
                found |= orgs
        frontier = found - members
        members |= found
        if not frontier:
            break
    return {"org_id": org_id, "members": sorted(members), "links": links}


def groups_among(org_ids: Iterable[int]) -> list[dict]:
    """The groups holding two or more of the given organisations (a lot's bidders), each with its links,
    the links through third parties included. The given organisations' keys are rebuilt first."""
    ids = set(org_ids)
    refresh(ids)
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
