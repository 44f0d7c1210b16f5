"""E-mall orders (电子卖场, mall/) as OCDS processes, one per order (ocid `<prefix>-DS-<order number>`): an
order bought from a catalogue of admitted listings is a direct award from an electronic catalogue, so its
process opens at the award (the order confirmed by the store), then the contract (signed, where the order
has one), and implementation: acceptance as a milestone, payment as a transaction. Orders never confirmed
(lapsed, cancelled before confirmation) awarded nothing and are not published.

The items are the order's lines, classified in the procurement catalogue, with their quantity and unit price.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from accounts.models import Org, Region
from core.db import db
from mall.models import Order
from portal.ocds import build
from portal.ocds.sources import Process, ProcessSource, register

PREFIX = "DS-"
KIND_DETAILS = {"supermarket": "电子卖场（网上超市）", "designated": "电子卖场（定点服务）"}


def keys(after: int, limit: int) -> list[int]:
    return list(db.session.scalars(select(Order.id).where(Order.id > after, Order.confirmed_at.is_not(None))
                                   .order_by(Order.id).limit(limit)))


def find(ocid: str) -> int | None:
    head = build.prefix() + "-" + PREFIX
    if not ocid.startswith(head):
        return None
    return db.session.scalar(select(Order.id).where(Order.number == ocid[len(head):],
                                                    Order.confirmed_at.is_not(None)))


def _items(order: Order, names: dict[str, str]) -> list[dict]:
    return [{"id": str(line.id), "description": line.title, "classification": build.classification(
        line.catalogue_code, names), "quantity": line.quantity,
        "unit": {"name": line.unit or "件", "value": build.value(line.unit_price_fen)}} for line in order.lines]


def _releases(order: Order, orgs: dict[int, Org], regions: dict[str, str], names: dict[str, str]) -> list[dict]:
    buyer, supplier = orgs[order.purchaser_org_id], orgs[order.supplier_org_id]
    ocid = build.ocid(PREFIX + order.number)
    head = {"ocid": ocid, "initiationType": "tender", "language": "zh",
            "parties": [build.party(buyer, ["buyer", "procuringEntity"], regions),
                        build.party(supplier, ["supplier", "tenderer"], regions)],
            "buyer": build.org_ref(buyer)}
    tender = {"id": PREFIX + order.number, "title": f"电子卖场订单 {order.number}", "status": "complete",
              "procurementMethod": "direct", "procurementMethodDetails": KIND_DETAILS.get(order.kind, "电子卖场"),
              "items": _items(order, names), "value": build.value(order.amount_fen),
              "procuringEntity": build.org_ref(buyer)}
    award = {"id": f"{PREFIX}{order.number}-award", "status": "active", "date": build.stamp(order.confirmed_at),
             "value": build.value(order.amount_fen), "suppliers": [build.org_ref(supplier)],
             "items": _items(order, names)}
    out = [{**head, "id": f"{PREFIX}{order.number}-award", "date": build.stamp(order.confirmed_at),
            "tag": ["tender", "award"], "tender": tender, "awards": [award]}]
    contract = {"id": f"{PREFIX}{order.number}-contract", "awardID": award["id"], "status": "active",
                "value": build.value(order.amount_fen)}
    if order.contract_signed_at is not None:
        contract["dateSigned"] = build.stamp(order.contract_signed_at)
        out.append({**head, "id": f"{PREFIX}{order.number}-contract", "date": build.stamp(order.contract_signed_at),
                    "tag": ["contract"], "contracts": [contract]})
    milestones, transactions = [], []
    if order.accepted_at is not None:
        milestones.append({"id": "acceptance", "title": "验收", "type": "delivery", "status": "met",
                           "dateMet": build.stamp(order.accepted_at)})
        out.append({**head, "id": f"{PREFIX}{order.number}-accepted", "date": build.stamp(order.accepted_at),
                    "tag": ["implementation"], "contracts": [{**contract, "implementation": {
                        "milestones": list(milestones)}}]})
    if order.paid_at is not None:
        transactions.append({"id": f"{order.number}-payment", "date": build.stamp(order.paid_at),
                             "value": build.value(order.amount_fen), "payer": build.org_ref(buyer),
                             "payee": build.org_ref(supplier)})
        out.append({**head, "id": f"{PREFIX}{order.number}-paid", "date": build.stamp(order.paid_at),
                    "tag": ["implementation"], "contracts": [{**contract, "implementation": {
                        "milestones": list(milestones), "transactions": transactions}}]})
    return out


def build_batch(ids: Sequence[int]) -> list[Process]:
    from registry.catalogue.service import names_of

    rows = {o.id: o for o in db.session.scalars(select(Order).where(Order.id.in_(ids))
                                                .options(selectinload(Order.lines)))}
    org_ids = {o.purchaser_org_id for o in rows.values()} | {o.supplier_org_id for o in rows.values()}
    orgs = {o.id: o for o in db.session.scalars(select(Org).where(Org.id.in_(org_ids or {-1})))}
    regions = dict(db.session.execute(select(Region.code, Region.name)).all())
    codes = sorted({line.catalogue_code for o in rows.values() for line in o.lines})
    names = names_of(codes) if codes else {}
    return [Process(build.ocid(PREFIX + rows[i].number), _releases(rows[i], orgs, regions, names))
            for i in ids if i in rows]


MALL_SOURCE = register(ProcessSource("mall_order", keys=keys, build=build_batch, find=find))
