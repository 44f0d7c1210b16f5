"""The contract of an award (政府采购合同): the tender's source for the contract kit (`contracts`).

What the kit needs to know about an award: the winning bid and the tender document fix the parties,
the price, the items, the delivery and the documents the contract rests on; the purchaser or the
agency drafts; nothing may be drafted or signed before the result notice or while finance has the
procurement suspended over a complaint, and nothing is signed while a challenge waits for its answer
or (unless the region's rule says otherwise) before the challenge period is over; once both parties
signed, the award becomes `contracted` and the lot is settled, which closes the project once every lot
is settled. The 30 days of 政府采购法第四十六条 are watched here too: reminders to sign and the warning
to finance once they are over.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import gettext
from sqlalchemy import select

from accounts.models import Role, User
from audit.service import record
from contracts import service as kit
from contracts import sources
from contracts.models import Contract
from contracts.sources import ContractSource, Description, Facts, ToDraft
from core import clock
from core.db import db
from core.errors import Conflict, DomainError, NotFound
from core.i18n import N_
from evaluation import deadlines
from evaluation.models import Award, Committee
from evaluation.periods import award_blocked, contract_due, signing_held
from evaluation.transitions import AwardStatus, move

KIND = "award"
BID_FILE = N_("中标供应商的投标文件（密封投标包）")


# ---------------------------------------------------------------- lookups and who is who

def context_of(award: Award) -> tuple[Award, Committee, Any, Any]:
    """(award, committee, project, lot) of an award."""
    from evaluation.room import committee_for_lot, lot_of, project_of

    committee = committee_for_lot(award.lot_id)
    return award, committee, project_of(committee), lot_of(committee)


def award_of(contract: Contract) -> Award:
    return db.session.get(Award, contract.source_id)


def contract_of(award: Award) -> Contract | None:
    return kit.contract_for(KIND, award.id)


def winner_org_id(award: Award) -> int:
    from tender.models import Bid

    return db.session.get(Bid, award.candidate.bid_id).org_id


def may_draft(user: User, project) -> bool:
    return bool(user and user.is_authenticated and (
        (user.has_role(Role.PURCHASER) and user.org_id == project.purchaser_org_id)
        or (user.has_role(Role.AGENCY_STAFF) and user.org_id == project.agency_org_id)))


def draft_contract(user: User, award_id: int, terms: dict[str, Any]) -> Contract:
    """The purchaser or the agency drafts the contract of a published award (or revises the draft)."""
    return kit.draft_contract(user, KIND, award_id, terms)


def void_contract(award: Award) -> Contract | None:
    """The award is void before both parties signed: so is its contract (called by `void_award`)."""
    return kit.void_contract(KIND, award.id)


# ---------------------------------------------------------------- the source

def _load(award_id: int, lock: bool) -> Award:
    stmt = select(Award).where(Award.id == award_id)
    award = db.session.scalar(stmt.with_for_update() if lock else stmt)
    if award is None:
        raise NotFound("定标记录不存在。", code="award_not_found")
    return award


def _facts(award: Award) -> Facts:
    from notices import kinds
    from notices.service import notices_of
    from tender.models import Bid, OpeningRecord, TenderDocument

    _award, _committee, project, lot = context_of(award)
    bid = db.session.get(Bid, award.candidate.bid_id)
    line = db.session.scalar(select(OpeningRecord).where(OpeningRecord.bid_id == bid.id))
    documents = db.session.scalars(select(TenderDocument).where(TenderDocument.project_id == project.id)
                                   .order_by(TenderDocument.id))
    result = max((n.id for n in notices_of(project, kinds.RESULT) if n.lot_id == lot.id), default=None)
    detail = (line.price_detail or {}) if line is not None else {}
    items = [{key: item[key] for key in ("ref", "name", "quantity", "unit_price_fen", "total_fen") if key in item}
             for item in detail.get("items") or [] if isinstance(item, dict)]
    fixed = {
        "project": {"code": project.code, "title": project.title, "method": project.method.value,
                    "category": project.category.value, "region": project.region_code},
        "lot": {"number": lot.number, "name": lot.name},
        "delivery": line.delivery if line is not None else "",
        "items": items,
        "basis": {"tender_documents": [{"name": d.name, "sha256": d.sha256} for d in documents],
                  "bid_sha256": bid.sha256, "award": award.id, "result_notice": result},
    }
    return Facts(number=f"HT-{project.code}-{lot.number}", region_code=project.region_code,
                 purchaser_org_id=project.purchaser_org_id, supplier_org_id=bid.org_id,
                 agency_org_id=project.agency_org_id, amount_fen=award.candidate.price_fen,
                 due=contract_due(award), fixed=fixed)


def _may_draft(user: User, award: Award) -> bool:
    return may_draft(user, context_of(award)[2])


def _refusal(award: Award, stage: str) -> DomainError | None:
    if award.status is not AwardStatus.NOTIFIED:
        return Conflict("发布中标（成交）结果公告后才能起草合同。" if stage == "draft"
                        else "中标结果已不再有效，不能签署合同。", code="award_not_notified")
    blocked = award_blocked(award)
    if blocked:
        return Conflict(blocked, code="award_blocked")
    held = signing_held(award) if stage == "sign" else None
    return Conflict(held, code="signing_held") if held else None


def describe(doc: dict, _: Callable[..., str]) -> Description:
    """The award contract's document as the page (`_` = the page's gettext), the PDF and the notice read it."""
    from tender.service import METHOD_ZH

    project, lot, basis = doc["project"], doc["lot"], doc["basis"]
    lot_no = _("标项") + str(lot["number"])
    return Description(
        title=_("%(title)s（标项%(number)s）", title=project["title"], number=lot["number"]),
        subject=f"{project['code']} {project['title']} · {lot_no} {lot['name']}",
        subject_lines=[f"项目编号：{project['code']}", f"项目名称：{project['title']}",
                       f"采购方式：{METHOD_ZH.get(project['method'], project['method'])}",
                       f"标项：{lot['number']} {lot['name']}"],
        basis=[(d["name"], d["sha256"]) for d in basis["tender_documents"]] + [(_(BID_FILE), basis["bid_sha256"])],
        delivery=doc.get("delivery") or "")


def _notice_subject(award: Award) -> tuple[Any, int]:
    _award, _committee, project, lot = context_of(award)
    return project, lot.id


def _concluded(contract: Contract, award: Award) -> None:
    """Both parties signed: the award is contracted and the lot settled."""
    from tender.service import settle_lot
    from tender.transitions import LotStatus

    lot = context_of(award)[3]
    award.contracted_at = contract.signed_at
    move(award, AwardStatus.CONTRACTED)
    settle_lot(lot, LotStatus.CONTRACTED)


def awards_to_draft(user: User) -> list[Award]:
    """Published awards of this purchaser's or agency's projects that have no contract yet."""
    from tender.models import Lot, Project

    if user.org_id is None or not user.has_role(Role.PURCHASER, Role.AGENCY_STAFF):
        return []
    column = Project.agency_org_id if user.has_role(Role.AGENCY_STAFF) else Project.purchaser_org_id
    drafted = select(Contract.source_id).where(Contract.source_kind == KIND)
    return list(db.session.scalars(
        select(Award).join(Lot, Lot.id == Award.lot_id).join(Project, Project.id == Lot.project_id)
        .where(column == user.org_id, Award.status == AwardStatus.NOTIFIED, Award.id.not_in(drafted))
        .order_by(Award.id)))


def _to_draft(user: User) -> list[ToDraft]:
    out = []
    for award in awards_to_draft(user):
        _award, _committee, project, lot = context_of(award)
        out.append(ToDraft(award.id, gettext("%(title)s（标项%(number)s）", title=project.title, number=lot.number),
                           contract_due(award)))
    return out


AWARD = sources.register(ContractSource(
    kind=KIND, label=N_("中标（成交）结果"), load=_load, facts=_facts, may_draft=_may_draft, refusal=_refusal,
    describe=describe, notice_subject=_notice_subject, concluded=_concluded, to_draft=_to_draft))


# ---------------------------------------------------------------- the 30 days

REMIND_WORKDAYS = 3


def sweep_contract_deadlines() -> dict[str, list[int]]:
    """Every published award's signing reminder or warning in the caller's transaction; the chronograph runs
    `remind_contract_due` one award per transaction (evaluation/timed.py). Returns the ids to notify."""
    from core.chronograph import due_objects, step

    out: dict[str, list[int]] = {"remind": [], "overdue": []}
    for award in due_objects(step("evaluation.remind_contract_due")):
        state = remind_contract_due(award)
        if state:
            out[state].append(award.id)
    return out


def remind_contract_due(award: Award) -> str | None:
    """A published award whose contract is not signed yet: within `REMIND_WORKDAYS` working days of the end
    of the 30 days both parties are reminded (once a day); once overdue the region's finance bureau is
    warned (once). Idempotent: what was sent is read back from the audit log. Returns "remind" or
    "overdue" when one is due now."""
    from accounts.service import finance_orgs
    from audit.service import payloads_of

    today = clock.to_local(clock.now()).date()
    due = contract_due(award)
    state = deadlines.deadline_state(due, today, remind_workdays=REMIND_WORKDAYS).value
    if state == "open" or award_blocked(award) is not None or signing_held(award) is not None:
        # no one is told to sign what they may not sign yet
        return None
    action = "evaluation.contract_overdue" if state == "overdue" else "evaluation.contract_reminded"
    sent = payloads_of(action, award)
    if (state == "overdue" and sent) or any(p.get("day") == today.isoformat() for p in sent):
        return None
    _award, _committee, project, _lot = context_of(award)
    record(action, award, {"day": today.isoformat(), "due": due.isoformat(), "project": project.code,
                           "finance_orgs": finance_orgs(project.region_code) if state == "overdue" else []},
           actor="system:evaluation-sweep")
    return state
