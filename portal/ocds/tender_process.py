"""A tender project as one OCDS process (ocid `<prefix>-<project code>`), from its plan to payment.

Releases, each dated when its facts became public and identified by what produced it, so a release never
changes once published and a later fact is a new release:
- `planning` from plan/ when the project came from a plan (`plan.models.ProjectSource`): the published
  intention (采购意向, its needs as the rationale) and the confirmation (确认书) as the budget;
- `tender` at publication (the procurement notice): the buyer and procuring entity, one item per lot
  classified in the catalogue, the budget, the method, the tender period, the documents by digest;
  `tenderAmendment` for each correction notice; `tenderUpdate` when the opening fixed the bidders or the
  project closed, failed or was cancelled (the tender's status);
- `award` for each award once its result notice is out (suppliers, value, status; a voided award
  becomes `cancelled` in a later `awardUpdate`), `unsuccessful` awards for failed lots;
- `contract` for each signed contract (value, signature date, its award);
- `implementation` for each acceptance round decided (a milestone met or not met) and each payment
  reported by the finance intranet (a transaction from the purchaser to the supplier).

Everything is read for a batch of projects with a fixed number of queries (no query per project), so the
bulk download's cost grows with the processes, not with round trips per process.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, time

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from accounts.models import Org, Region
from contracts.models import Acceptance, Contract, ContractPayment
from contracts.transitions import AcceptanceStatus, ContractStatus
from core import clock
from core.db import db
from evaluation.models import Award, Candidate
from evaluation.transitions import AwardStatus
from notices.models import Notice
from plan.models import Confirmation, Intention, ProjectSource
from plan.transitions import IntentionStatus
from portal.ocds import build
from portal.ocds.sources import Process, ProcessSource, register
from tender.models import Bid, Lot, Project
from tender.transitions import BidStatus, LotStatus, ProjectStatus

SUBJECT = Project.__tablename__
METHOD = {"public_tender": "open", "invited_tender": "selective", "competitive_negotiation": "limited",
          "competitive_consultation": "limited", "inquiry": "limited", "single_source": "direct"}
METHOD_DETAILS = {"public_tender": "公开招标", "invited_tender": "邀请招标", "competitive_negotiation": "竞争性谈判",
                  "competitive_consultation": "竞争性磋商", "inquiry": "询价", "single_source": "单一来源"}
CATEGORY = {"goods": "goods", "services": "services", "works": "works"}
AWARD_STATUS = {AwardStatus.PENDING: "pending", AwardStatus.CONFIRMED: "pending", AwardStatus.NOTIFIED: "active",
                AwardStatus.CONTRACTED: "active", AwardStatus.VOIDED: "cancelled"}
PUBLISHED = (ProjectStatus.PUBLISHED, ProjectStatus.BIDDING, ProjectStatus.OPENING, ProjectStatus.OPENED,
             ProjectStatus.EVALUATING, ProjectStatus.CLOSED, ProjectStatus.FAILED, ProjectStatus.CANCELLED)
COUNTED_BIDS = (BidStatus.SUBMITTED, BidStatus.OPENED, BidStatus.REVOKED)


def tender_status(project: Project) -> str:
    if project.status in (ProjectStatus.PUBLISHED, ProjectStatus.BIDDING):
        return "active"
    if project.status == ProjectStatus.CANCELLED:
        return "cancelled"
    if project.status == ProjectStatus.FAILED:
        return "unsuccessful"
    if project.status == ProjectStatus.CLOSED:
        return "complete"
    return "active"  # opening, opened, evaluating: the tender stands, its award period runs


def keys(after: int, limit: int) -> list[int]:
    return list(db.session.scalars(select(Project.id).where(Project.id > after, Project.status.in_(PUBLISHED))
                                   .order_by(Project.id).limit(limit)))


def find(ocid: str) -> int | None:
    head = build.prefix() + "-"
    if not ocid.startswith(head):
        return None
    return db.session.scalar(select(Project.id).where(Project.code == ocid[len(head):],
                                                      Project.status.in_(PUBLISHED)))


class _Batch:
    """Everything the releases of a batch of projects need, loaded with one query per table."""

    def __init__(self, ids: Sequence[int]) -> None:
        self.projects = list(db.session.scalars(
            select(Project).where(Project.id.in_(ids)).options(selectinload(Project.lots),
                                                               selectinload(Project.documents))))
        self.notices: dict[int, list[Notice]] = defaultdict(list)
        for n in db.session.scalars(select(Notice).where(Notice.subject_type == SUBJECT, Notice.subject_id.in_(ids))
                                    .order_by(Notice.published_at, Notice.id)):
            self.notices[n.subject_id].append(n)
        self.bidders: dict[int, int] = dict(db.session.execute(
            select(Bid.project_id, func.count(func.distinct(Bid.org_id)))
            .where(Bid.project_id.in_(ids), Bid.status.in_(COUNTED_BIDS)).group_by(Bid.project_id)).all())
        lot_ids = [lot.id for p in self.projects for lot in p.lots]
        self.awards: dict[int, list[tuple[Award, Candidate, Bid]]] = defaultdict(list)
        for award, candidate, bid in db.session.execute(
                select(Award, Candidate, Bid).join(Candidate, Candidate.id == Award.candidate_id)
                .join(Bid, Bid.id == Candidate.bid_id).where(Award.lot_id.in_(lot_ids or [-1])).order_by(Award.id)):
            self.awards[award.lot_id].append((award, candidate, bid))
        award_ids = [a.id for rows in self.awards.values() for a, _c, _b in rows]
        self.contracts: dict[int, Contract] = {c.source_id: c for c in db.session.scalars(
            select(Contract).where(Contract.source_kind == "award", Contract.source_id.in_(award_ids or [-1]),
                                   Contract.status == ContractStatus.SIGNED))}
        contract_ids = [c.id for c in self.contracts.values()]
        self.acceptances: dict[int, list[Acceptance]] = defaultdict(list)
        for a in db.session.scalars(select(Acceptance).where(
                Acceptance.contract_id.in_(contract_ids or [-1]),
                Acceptance.status.in_((AcceptanceStatus.PASSED, AcceptanceStatus.FAILED))).order_by(Acceptance.round)):
            self.acceptances[a.contract_id].append(a)
        self.payments: dict[int, list[ContractPayment]] = defaultdict(list)
        for p in db.session.scalars(select(ContractPayment).where(ContractPayment.contract_id.in_(contract_ids or [-1]))
                                    .order_by(ContractPayment.paid_on, ContractPayment.id)):
            self.payments[p.contract_id].append(p)
        org_ids = {o for p in self.projects for o in (p.purchaser_org_id, p.agency_org_id)}
        org_ids |= {b.org_id for rows in self.awards.values() for _a, _c, b in rows}
        self.orgs: dict[int, Org] = {o.id: o for o in db.session.scalars(
            select(Org).where(Org.id.in_(org_ids or [-1])))}
        self.regions: dict[str, str] = dict(db.session.execute(select(Region.code, Region.name)).all())
        # plan/: where each project came from (its intention and the confirmation its lots drew from)
        self.sources: dict[int, tuple[Intention | None, Confirmation | None]] = {
            source.project_id: (source.intention, source.confirmation) for source in db.session.scalars(
                select(ProjectSource).where(ProjectSource.project_id.in_(ids))
                .options(selectinload(ProjectSource.intention), selectinload(ProjectSource.confirmation)))}
        codes = sorted({p.catalogue_code for p in self.projects})
        self.catalogue = _catalogue_names(codes)


def _catalogue_names(codes: list[str]) -> dict[str, str]:
    from registry.catalogue.service import names_of

    return names_of(codes) if codes else {}


def _items(project: Project, batch: _Batch) -> list[dict]:
    return [{"id": str(lot.number), "description": lot.name,
             "classification": build.classification(project.catalogue_code, batch.catalogue),
             "quantity": 1, "unit": {"name": "项", "value": build.value(lot.budget_fen)}} for lot in project.lots]


def _tender(project: Project, batch: _Batch, status: str, with_bidders: bool) -> dict:
    tender = {
        "id": project.code, "title": project.title, "status": status,
        "procuringEntity": build.org_ref(batch.orgs[project.agency_org_id]),
        "items": _items(project, batch), "value": build.value(project.budget_fen),
        "procurementMethod": METHOD[project.method.value],
        "procurementMethodDetails": METHOD_DETAILS[project.method.value],
        "mainProcurementCategory": CATEGORY[project.category.value],
        "awardCriteria": "priceOnly" if project.eval_method.value == "lowest_price" else "ratedCriteria",
        "submissionMethod": ["electronicSubmission"],
        "tenderPeriod": {"startDate": build.stamp(project.doc_start_at), "endDate": build.stamp(project.deadline)},
        "enquiryPeriod": {"startDate": build.stamp(project.doc_start_at),
                          "endDate": build.stamp(project.clarify_deadline)},
        "documents": [{"id": f"doc-{d.id}", "documentType": "biddingDocuments", "title": d.name,
                       "format": "application/octet-stream", "datePublished": build.stamp(project.published_at),
                       "description": f"SHA-256 {d.sha256}"} for d in project.documents],
    }
    if with_bidders and project.id in batch.bidders:
        tender["numberOfTenderers"] = batch.bidders[project.id]
    return tender


def _parties(project: Project, batch: _Batch) -> list[dict]:
    roles: dict[int, set[str]] = defaultdict(set)
    roles[project.purchaser_org_id].add("buyer")
    roles[project.agency_org_id].add("procuringEntity")
    for lot in project.lots:
        for award, _c, bid in batch.awards.get(lot.id, ()):
            if award.status != AwardStatus.PENDING:
                roles[bid.org_id].add("supplier")
    return [build.party(batch.orgs[org_id], r, batch.regions) for org_id, r in sorted(roles.items())]


def _release(project: Project, batch: _Batch, rid: str, date, tags: list[str], **sections) -> dict:
    return {"ocid": build.ocid(project.code), "id": f"{project.code}-{rid}", "date": build.stamp(date),
            "tag": tags, "initiationType": "tender", "language": "zh",
            "parties": _parties(project, batch), "buyer": build.org_ref(batch.orgs[project.purchaser_org_id]),
            **sections}


def _award(award: Award, candidate: Candidate, bid: Bid, lot: Lot, batch: _Batch, status: str) -> dict:
    out = {"id": str(award.id), "status": status, "date": build.stamp(award.confirmed_at or award.created_at),
           "value": build.value(candidate.price_fen), "suppliers": [build.org_ref(batch.orgs[bid.org_id])],
           "items": [{"id": str(lot.number), "description": lot.name, "quantity": 1}]}
    if award.voided_at is not None and status == "cancelled":
        out["description"] = award.void_reason or ""
    return out


def planning_section(intention: Intention | None, confirmation: Confirmation | None) -> dict:
    """OCDS planning from plan/: the intention's needs as the rationale, the confirmation (确认书) as the
    budget the process draws from."""
    planning: dict = {}
    if intention is not None:
        planning["rationale"] = intention.needs or intention.title
        planning["budget"] = {"id": f"intention-{intention.id}", "description": intention.title,
                              "amount": build.value(intention.budget_fen)}
    if confirmation is not None:
        planning["budget"] = {"id": confirmation.number, "description": confirmation.title,
                              "amount": build.value(confirmation.amount_fen), "project": confirmation.title}
    return planning


def _planning(project: Project, batch: _Batch) -> list[dict]:
    intention, confirmation = batch.sources.get(project.id, (None, None))
    out = []
    if intention is not None and intention.status == IntentionStatus.PUBLISHED and intention.published_at:
        out.append(_release(project, batch, f"planning-intention-{intention.id}", intention.published_at,
                            ["planning"], planning=planning_section(intention, None)))
    if confirmation is not None:
        out.append(_release(project, batch, f"planning-confirmation-{confirmation.id}", confirmation.issued_at,
                            ["planning"], planning=planning_section(intention, confirmation)))
    return out


def releases_of(project: Project, batch: _Batch) -> list[dict]:
    notices = batch.notices.get(project.id, [])
    out = _planning(project, batch)
    out.append(_release(project, batch, "tender", project.published_at, ["tender"],
                        tender=_tender(project, batch, "active", False)))
    for n in notices:
        if n.kind == "correction":
            out.append(_release(project, batch, f"amendment-{n.id}", n.published_at, ["tenderAmendment"],
                                tender={**_tender(project, batch, "active", False),
                                        "amendments": [{"id": str(n.id), "date": build.stamp(n.published_at),
                                                        "rationale": n.title, "description": n.body[:2000]}]}))
    status = tender_status(project)
    if status != "active" or project.opened_at is not None:
        at = project.opened_at or max([n.published_at for n in notices] or [project.published_at])
        if status != "active":
            at = max([n.published_at for n in notices] + [at])
        out.append(_release(project, batch, f"tender-{status}", at, ["tenderUpdate"],
                            tender=_tender(project, batch, status, True)))
    results = {n.lot_id: n for n in notices if n.kind == "result" and n.lot_id is not None}
    for lot in project.lots:
        for award, candidate, bid in batch.awards.get(lot.id, ()):
            notice = results.get(lot.id)
            if award.status in (AwardStatus.NOTIFIED, AwardStatus.CONTRACTED) or (
                    award.status == AwardStatus.VOIDED and award.notified_at is not None):
                out.append(_release(project, batch, f"award-{award.id}", award.notified_at or notice.published_at,
                                    ["award"], awards=[_award(award, candidate, bid, lot, batch, "active")]))
            if award.status == AwardStatus.VOIDED and award.notified_at is not None:
                out.append(_release(project, batch, f"award-{award.id}-cancelled", award.voided_at, ["awardUpdate"],
                                    awards=[_award(award, candidate, bid, lot, batch, "cancelled")]))
            contract = batch.contracts.get(award.id)
            if contract is not None:
                out.extend(_contract_releases(project, batch, award, contract))
        if lot.status == LotStatus.FAILED:
            failed = [n for n in notices if n.kind == "failure" and n.lot_id in (lot.id, None)]
            at = failed[0].published_at if failed else (project.opened_at or project.published_at)
            out.append(_release(project, batch, f"lot-{lot.number}-unsuccessful", at, ["award"], awards=[{
                "id": f"lot-{lot.number}-unsuccessful", "status": "unsuccessful", "date": build.stamp(at),
                "title": f"标项{lot.number} {lot.name}", "description": lot.failure_reason or "",
                "items": [{"id": str(lot.number), "description": lot.name, "quantity": 1}]}]))
    return out


def _contract(award: Award, contract: Contract, batch: _Batch) -> dict:
    return {"id": contract.number, "awardID": str(award.id), "status": "active",
            "value": build.value(contract.amount_fen), "dateSigned": build.stamp(contract.signed_at),
            "title": contract.number,
            "documents": [{"id": f"contract-{contract.id}", "documentType": "contractSigned",
                           "title": contract.number, "format": "application/json",
                           "description": f"SHA-256 {contract.sha256}",
                           "datePublished": build.stamp(contract.signed_at)}]}


def _contract_releases(project: Project, batch: _Batch, award: Award, contract: Contract) -> list[dict]:
    out = [_release(project, batch, f"contract-{contract.id}", contract.signed_at, ["contract"],
                    contracts=[_contract(award, contract, batch)])]
    purchaser, supplier = batch.orgs[project.purchaser_org_id], batch.orgs[award_supplier(batch, award)]
    milestones, transactions = [], []
    for acceptance in batch.acceptances.get(contract.id, ()):
        milestone = {"id": f"acceptance-{acceptance.id}", "title": f"履约验收 第{acceptance.round}轮",
                     "type": "delivery", "status": "met" if acceptance.passed else "notMet",
                     "dateModified": build.stamp(acceptance.decided_at), "description": acceptance.conclusion[:2000]}
        if acceptance.passed:
            milestone["dateMet"] = build.stamp(acceptance.decided_at)
        milestones.append(milestone)
        out.append(_release(project, batch, f"acceptance-{acceptance.id}", acceptance.decided_at, ["implementation"],
                            contracts=[{**_contract(award, contract, batch), "implementation": {
                                "milestones": list(milestones), "transactions": list(transactions)}}]))
    for payment in batch.payments.get(contract.id, ()):
        paid = datetime.combine(payment.paid_on, time(12), tzinfo=clock.LOCAL_TZ)  # a date: noon, Beijing
        transactions.append({"id": payment.voucher, "date": build.stamp(paid), "value": build.value(payment.amount_fen),
                             "payer": build.org_ref(purchaser), "payee": build.org_ref(supplier)})
        out.append(_release(project, batch, f"payment-{payment.id}", payment.recorded_at, ["implementation"],
                            contracts=[{**_contract(award, contract, batch), "implementation": {
                                "milestones": list(milestones), "transactions": list(transactions)}}]))
    return out


def award_supplier(batch: _Batch, award: Award) -> int:
    return next(bid.org_id for rows in batch.awards.values() for a, _c, bid in rows if a.id == award.id)


def build_batch(ids: Sequence[int]) -> list[Process]:
    batch = _Batch(ids)
    by_id = {p.id: p for p in batch.projects}
    return [Process(build.ocid(by_id[i].code), releases_of(by_id[i], batch)) for i in ids if i in by_id]


TENDER_SOURCE = register(ProcessSource("tender", keys=keys, build=build_batch, find=find))
