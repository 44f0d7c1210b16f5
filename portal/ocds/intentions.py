"""Published procurement intentions (采购意向公开, plan/) that no tender project has taken up yet, each its own
OCDS process (ocid `<prefix>-YX-<id>`) with one `planning` release; once a project is created from the
intention its planning releases move into the project's process (`tender_process`) and the intention
leaves this source, so a visitor finds each intention once.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import exists, select

from accounts.models import Org, Region
from core.db import db
from plan.models import Intention, ProjectSource
from plan.transitions import IntentionStatus
from portal.ocds import build
from portal.ocds.sources import Process, ProcessSource, register
from portal.ocds.tender_process import planning_section

PREFIX = "YX-"


def _open():
    taken = exists(select(ProjectSource.id).where(ProjectSource.intention_id == Intention.id))
    return (Intention.status == IntentionStatus.PUBLISHED) & Intention.published_at.is_not(None) & ~taken


def keys(after: int, limit: int) -> list[int]:
    return list(db.session.scalars(select(Intention.id).where(Intention.id > after, _open())
                                   .order_by(Intention.id).limit(limit)))


def find(ocid: str) -> int | None:
    head = build.prefix() + "-" + PREFIX
    tail = ocid[len(head):] if ocid.startswith(head) else ""
    if not tail.isdigit() or len(tail) > 18:
        return None
    return db.session.scalar(select(Intention.id).where(Intention.id == int(tail), _open()))


def build_batch(ids: Sequence[int]) -> list[Process]:
    rows = {i.id: i for i in db.session.scalars(select(Intention).where(Intention.id.in_(ids)))}
    orgs = {o.id: o for o in db.session.scalars(select(Org).where(Org.id.in_({i.org_id for i in rows.values()})))}
    regions = dict(db.session.execute(select(Region.code, Region.name)).all())
    out = []
    for key in ids:
        intention = rows.get(key)
        if intention is None:
            continue
        buyer = orgs[intention.org_id]
        ocid = build.ocid(f"{PREFIX}{intention.id}")
        out.append(Process(ocid, [{
            "ocid": ocid, "id": f"{PREFIX}{intention.id}-planning", "date": build.stamp(intention.published_at),
            "tag": ["planning"], "initiationType": "tender", "language": "zh",
            "parties": [build.party(buyer, ["buyer"], regions)], "buyer": build.org_ref(buyer),
            "planning": planning_section(intention, None),
            "tender": {"id": f"{PREFIX}{intention.id}", "title": intention.title, "status": "planning",
                       "value": build.value(intention.budget_fen)}}]))
    return out


INTENTION_SOURCE = register(ProcessSource("intention", keys=keys, build=build_batch, find=find))
