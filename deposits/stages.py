"""What the deposits need to know of the tender and its award, read through those packages' public
functions only: the lot and its project, who bid, and the award notice and the signed contract."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from core.db import db
from core.errors import NotFound
from tender.models import Bid, Lot, Project
from tender.transitions import BidStatus, LotStatus, ProjectStatus

# bids that took part in the opening (or are still waiting to): their deposits follow the award
TOOK_PART = (BidStatus.SUBMITTED, BidStatus.OPENED, BidStatus.REVOKED, BidStatus.VOIDED)


@dataclass(frozen=True)
class AwardFacts:
    """The published award of a lot: when its notice went out, when its contract was signed, who won."""

    notified_at: datetime
    contracted_at: datetime | None
    winner_org_id: int
    other_org_ids: list[int]
    price_fen: int  # the winning price: the contract amount a performance security is a share of


def lot_of(lot_id: int) -> tuple[Lot, Project]:
    lot = db.session.get(Lot, lot_id)
    if lot is None:
        raise NotFound("标项不存在。", code="lot_not_found")
    return lot, db.session.get(Project, lot.project_id)


def bidder_org_ids(lot_id: int) -> set[int]:
    """The organisations whose bid for the lot took part (not withdrawn nor replaced)."""
    return set(db.session.scalars(select(Bid.org_id).where(Bid.lot_id == lot_id, Bid.status.in_(TOOK_PART))))


def withdrawals(lot_id: int) -> dict[int, datetime]:
    """The organisations that withdrew their bid for the lot and have none submitted now → when they withdrew
    (87号令 Art 38: the deposit goes back within 5 working days of the withdrawal)."""
    rows = db.session.execute(select(Bid.org_id, Bid.status, Bid.closed_at).where(Bid.lot_id == lot_id)).all()
    current = {org for org, status, _at in rows if status is BidStatus.SUBMITTED}
    out: dict[int, datetime] = {}
    for org, status, at in rows:
        if status is BidStatus.WITHDRAWN and org not in current and at is not None:
            out[org] = max(out.get(org, at), at)
    return out


def is_ended(lot: Lot, project: Project) -> bool:
    """The lot failed (废标, too few bids) or the project was cancelled: every deposit goes back."""
    return lot.status is LotStatus.FAILED or project.status in (ProjectStatus.CANCELLED, ProjectStatus.FAILED)


def bidding_closed(project: Project) -> bool:
    return project.status not in (ProjectStatus.DRAFT, ProjectStatus.PUBLISHED, ProjectStatus.BIDDING)


def award_facts(lot_id: int) -> AwardFacts | None:
    """The lot's award once its notice is published (中标通知书发出), else None."""
    from evaluation import service as evaluation

    committee = evaluation.committee_for_lot(lot_id)
    award = evaluation.award_of(committee) if committee is not None else None
    if award is None or award.notified_at is None:
        return None
    winner, others = evaluation.award_recipients(award)
    return AwardFacts(award.notified_at, award.contracted_at, winner, others, award.candidate.price_fen)


def lot_of_contract(contract) -> int | None:
    """The lot a contract was signed for, when it comes from a tender award (contracts' source `award`)."""
    if contract.source_kind != "award":
        return None
    from evaluation.contracts import award_of

    return award_of(contract).lot_id
