"""What a draw needs to know about the project, behind one function the lead can rewire.

The draw never reads tender's tables anywhere else: `subject_for_project` is the single place
that couples expert_draw to tender.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.errors import NotFound

# The subject type of the project a draw serves, as its notices name it (`notices.models.Notice`): tender's
# project table.
PROJECT_SUBJECT = "tender_project"

@dataclass
class DrawSubject:
    """The project (or lot) a committee is drawn for."""

    title: str
    purchaser_org_id: int
    agency_org_id: int
    method: str  # glossary codes: public_tender, competitive_negotiation, …
    budget_fen: int
    region_code: str
    supplier_org_ids: set[int] = field(default_factory=set)  # registered or bid
    project_id: int | None = None
    lot_id: int | None = None
    is_complex: bool = False  # 技术复杂或社会影响较大, as the project states it
    complex_reason: str = ""


def subject_for_project(project_id: int, lot_id: int | None = None) -> DrawSubject:
    """Read tender's project, its lot, and the suppliers that registered for or bid on it."""
    try:
        from sqlalchemy import select

        from core.db import db
        from tender.models import Bid, Lot, Project, Registration
    except ImportError as exc:  # tender not installed in this deployment
        raise NotFound("招标项目模块不可用，请手工填写项目信息。", code="tender_unavailable") from exc
    project = db.session.get(Project, project_id)
    if project is None:
        raise NotFound("没有这个采购项目。", code="project_not_found")
    lot = db.session.get(Lot, lot_id) if lot_id is not None else None
    if lot_id is not None and (lot is None or lot.project_id != project.id):
        raise NotFound("项目中没有这个标项。", code="lot_not_found")
    suppliers = set(db.session.scalars(select(Registration.org_id).where(Registration.project_id == project.id)))
    bids = (
        select(Bid.org_id).where(Bid.lot_id == lot.id)
        if lot
        else (select(Bid.org_id).join(Lot, Lot.id == Bid.lot_id).where(Lot.project_id == project.id))
    )
    suppliers |= set(db.session.scalars(bids))
    budget = lot.budget_fen if lot else sum(x.budget_fen for x in project.lots)
    title = f"{project.title} {lot.name}" if lot else project.title
    return DrawSubject(
        title=title,
        purchaser_org_id=project.purchaser_org_id,
        agency_org_id=project.agency_org_id,
        method=str(project.method.value),
        budget_fen=budget,
        region_code=project.region_code,
        supplier_org_ids=suppliers,
        project_id=project.id,
        lot_id=lot.id if lot else None,
        is_complex=project.is_complex,
        complex_reason=project.complex_reason,
    )


def result_published_at(project_id: int | None, lot_id: int | None = None):
    """When the project's result notice (中标/成交结果公告) for this lot was first published, or None.

    The committee's names become public with the result (87号令): from then on the project's bidders may see
    them on the draw's pages and anyone may download the draw's audit record to check it. The notices are
    the kit's (`notices`), so this reads no tender table."""
    if project_id is None:
        return None
    from notices import kinds
    from notices.service import first_published_at

    return first_published_at(PROJECT_SUBJECT, project_id, kinds.RESULT, lot_id)
