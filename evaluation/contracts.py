"""The contract of an award (政府采购合同): drafted from the tender document and the winning bid,
signed by both parties with their own keys, published, and the lot closed.

The contract may not change what the tender document and the winning bid fixed (《政府采购法》
第四十六条, 87号令第七十二条): subject, price, delivery and the documents they rest on are taken from
the records, never typed in. Only the terms the records leave open (place of performance, payment,
acceptance, warranty, contacts, account, further agreements) are written by the purchaser or the
agency, and only while nobody has signed.

The text both parties sign is a canonical JSON document (format `biaoyun-contract/1`); each party
signs its SHA-256 in its own browser or with `python -m crypto sign-document` (FORMAT.md §14), and
the server checks the signature against a signing key the signer registered for his organisation.
The first signature freezes the text; the second concludes the contract: the contract notice is
published at once (within the 2 working days of 实施条例第五十条), the award becomes `contracted`
and the lot is settled, which closes the project once every lot is settled.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select

from accounts.models import Org, Role, User
from accounts.service import oversees, verify_document_signature
from audit.service import record
from core import clock, money
from core.after_commit import after_commit
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationError
from core.i18n import N_
from crypto import document_digest
from crypto.encoding import canonical_json
from evaluation import deadlines
from evaluation.models import Award, Candidate, Committee, Contract, ContractSignature
from evaluation.periods import award_blocked, contract_due
from evaluation.transitions import AwardStatus, ContractStatus, move

FORMAT = "biaoyun-contract/1"
PARTIES = ("purchaser", "supplier")
PARTY_ZH = {"purchaser": N_("采购人（甲方）"), "supplier": N_("供应商（乙方）")}
STATUS_ZH = {"draft": N_("草拟中"), "signing": N_("签署中"), "signed": N_("已签订并公告"), "voided": N_("已作废")}

# The terms the records leave open: (field, label, longest, required).
TERMS: tuple[tuple[str, str, int, bool], ...] = (
    ("performance_place", N_("履约地点"), 200, True),
    ("performance_period", N_("履约期限（投标文件承诺之内）"), 200, False),
    ("payment", N_("付款方式"), 1000, True),
    ("acceptance", N_("验收方式与标准"), 1000, True),
    ("warranty", N_("质量保证与售后服务"), 1000, False),
    ("purchaser_contact", N_("甲方联系人及电话"), 100, False),
    ("supplier_contact", N_("乙方联系人及电话"), 100, False),
    ("supplier_account", N_("乙方收款账户"), 200, False),
    ("other", N_("其他约定（不得对招标文件和投标文件作实质性修改）"), 2000, False),
)
TERM_LABELS = {name: label for name, label, _longest, _required in TERMS}


# ---------------------------------------------------------------- lookups and who is who

def get_contract(contract_id: int | None, lock: bool = False) -> Contract:
    stmt = select(Contract).where(Contract.id == contract_id)
    contract = db.session.scalar(stmt.with_for_update() if lock else stmt) if contract_id else None
    if contract is None:
        raise NotFound("合同不存在。", code="contract_not_found")
    return contract


def contract_of(award: Award) -> Contract | None:
    return db.session.scalar(select(Contract).where(Contract.award_id == award.id))


def context_of(contract_or_award: Contract | Award) -> tuple[Award, Committee, Any, Any]:
    """(award, committee, project, lot) of a contract or an award."""
    from evaluation.room import committee_for_lot, lot_of, project_of

    award = (db.session.get(Award, contract_or_award.award_id) if isinstance(contract_or_award, Contract)
             else contract_or_award)
    committee = committee_for_lot(award.lot_id)
    return award, committee, project_of(committee), lot_of(committee)


def winner_org_id(award: Award) -> int:
    from tender.models import Bid

    return db.session.get(Bid, award.candidate.bid_id).org_id


def party_of(user: User | None, contract: Contract) -> str | None:
    """Which party the user signs for: 'purchaser', 'supplier' or None."""
    if user is None or not getattr(user, "is_authenticated", False) or user.org_id is None:
        return None
    award, _committee, project, _lot = context_of(contract)
    if user.has_role(Role.PURCHASER) and user.org_id == project.purchaser_org_id:
        return "purchaser"
    if user.has_role(Role.SUPPLIER) and user.org_id == winner_org_id(award):
        return "supplier"
    return None


def awaits_signature_of(user: User | None, contract: Contract) -> bool:
    """Whether the contract waits for this user's side to sign."""
    party = party_of(user, contract)
    return bool(party and contract.status in (ContractStatus.DRAFT, ContractStatus.SIGNING)
                and party not in {s.party for s in contract.signatures})


def may_draft(user: User, project) -> bool:
    return bool(user and user.is_authenticated and (
        (user.has_role(Role.PURCHASER) and user.org_id == project.purchaser_org_id)
        or (user.has_role(Role.AGENCY_STAFF) and user.org_id == project.agency_org_id)))


def can_read(user: User | None, contract: Contract) -> bool:
    """A signed contract is public (its notice links it); before that the parties, the agency, the
    region's supervisors and the administrator read it."""
    if contract.status is ContractStatus.SIGNED:
        return True
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    _award, _committee, project, _lot = context_of(contract)
    return bool(party_of(user, contract) or may_draft(user, project) or user.has_role(Role.ADMIN)
                or (user.has_role(Role.SUPERVISOR) and oversees(user, project.region_code)))


# ---------------------------------------------------------------- the document

def clean_terms(terms: dict[str, Any] | None) -> dict[str, str]:
    """The open terms, trimmed and checked; every problem named at once (field → message)."""
    terms = terms or {}
    unknown = sorted(set(terms) - set(TERM_LABELS))
    errors: dict[str, str] = {name: "不是可约定的合同条款。" for name in unknown}
    out: dict[str, str] = {}
    for name, label, longest, required in TERMS:
        value = terms.get(name, "")
        value = value.strip() if isinstance(value, str) else None
        if value is None:
            errors[name] = f"{label}须为文字。"
        elif required and not value:
            errors[name] = f"请填写{label}。"
        elif len(value) > longest:
            errors[name] = f"{label}不能超过 {longest} 字。"
        elif value:
            out[name] = value
    if errors:
        raise ValidationError("合同条款有误：" + "；".join(errors.values()), code="contract_terms_invalid",
                              details={"fields": errors})
    return out


def _org(org_id: int) -> dict[str, str]:
    org = db.session.get(Org, org_id)
    return {"name": org.name, "uscc": org.uscc or ""}


def build_document(award: Award, number: str, terms: dict[str, str], revision: int) -> dict[str, Any]:
    """The contract as canonical data: everything fixed comes from the records, only `terms` was typed."""
    from notices import kinds
    from notices.service import notices_of
    from tender.models import Bid, OpeningRecord, TenderDocument

    _award, _committee, project, lot = context_of(award)
    bid = db.session.get(Bid, award.candidate.bid_id)
    line = db.session.scalar(select(OpeningRecord).where(OpeningRecord.bid_id == bid.id))
    documents = db.session.scalars(select(TenderDocument).where(TenderDocument.project_id == project.id)
                                   .order_by(TenderDocument.id))
    result = max((n.id for n in notices_of(project, kinds.RESULT) if n.lot_id == lot.id), default=None)
    amount = award.candidate.price_fen
    detail = (line.price_detail or {}) if line is not None else {}
    items = [{key: item[key] for key in ("ref", "name", "quantity", "unit_price_fen", "total_fen") if key in item}
             for item in detail.get("items") or [] if isinstance(item, dict)]
    return {
        "format": FORMAT,
        "number": number,
        "revision": revision,
        "project": {"code": project.code, "title": project.title, "method": project.method.value,
                    "category": project.category.value, "region": project.region_code},
        "lot": {"number": lot.number, "name": lot.name},
        "purchaser": _org(project.purchaser_org_id),
        "supplier": _org(bid.org_id),
        "agency": _org(project.agency_org_id),
        "amount_fen": amount,
        "amount_words": money.to_chinese_upper(amount),
        "delivery": line.delivery if line is not None else "",
        "items": items,
        "basis": {"tender_documents": [{"name": d.name, "sha256": d.sha256} for d in documents],
                  "bid_sha256": bid.sha256, "award": award.id, "result_notice": result},
        "terms": terms,
    }


def document_of(contract: Contract) -> dict[str, Any]:
    return json.loads(contract.document)


def _store_document(contract: Contract, doc: dict[str, Any]) -> None:
    contract.document = canonical_json(doc).decode("utf-8")
    contract.sha256 = document_digest(doc).hex()


# ---------------------------------------------------------------- drafting

def _award_for_contract(award_id: int) -> Award:
    award = db.session.scalar(select(Award).where(Award.id == award_id).with_for_update())
    if award is None:
        raise NotFound("定标记录不存在。", code="award_not_found")
    return award


def draft_contract(user: User, award_id: int, terms: dict[str, Any]) -> Contract:
    """The purchaser or the agency drafts the contract of a published award, or revises the draft
    while nobody has signed; each revision has a new digest, so a signature can only cover the text
    its signer saw."""
    award = _award_for_contract(award_id)
    _award, _committee, project, lot = context_of(award)
    if not may_draft(user, project):
        raise Forbidden("只有本项目的采购人或代理机构可以起草合同。", code="not_project_party")
    if award.status is not AwardStatus.NOTIFIED:
        raise Conflict("发布中标（成交）结果公告后才能起草合同。", code="award_not_notified")
    blocked = award_blocked(award)
    if blocked:
        raise Conflict(blocked, code="award_blocked")
    clean = clean_terms(terms)
    contract = contract_of(award)
    now = clock.now()
    if contract is None:
        contract = Contract(award_id=award.id, lot_id=lot.id, number=f"HT-{project.code}-{lot.number}",
                            status=ContractStatus.DRAFT, amount_fen=award.candidate.price_fen, revision=1,
                            due_at=clock.end_of_local_day(contract_due(award)), drafted_by_id=user.id, drafted_at=now,
                            document="", sha256="")
        db.session.add(contract)
    elif contract.status is not ContractStatus.DRAFT or contract.signatures:
        raise Conflict("合同已有一方签署，文本不能再修改。", code="contract_frozen")
    else:
        contract.revision += 1
        contract.drafted_by_id, contract.drafted_at = user.id, now
    _store_document(contract, build_document(award, contract.number, clean, contract.revision))
    db.session.flush()
    record("evaluation.contract_drafted", contract, {"award": award.id, "number": contract.number,
                                                     "revision": contract.revision, "sha256": contract.sha256,
                                                     "amount_fen": contract.amount_fen})
    _declare_message(*drafted_message(contract))  # the winner is asked to sign, page or API alike
    return contract


def drafted_message(contract: Contract) -> tuple[dict, list[int]]:
    """The message asking the winner to check and sign the drafted contract, and its organisation."""
    award, _committee, project, _lot = context_of(contract)
    return ({"title": "合同待签署", "body": f"{project.title}：采购人已起草合同，请核对后用签名密钥签署。",
             "level": "info", "url": f"/contracts/{contract.id}"}, [winner_org_id(award)])


def signed_message(contract: Contract) -> tuple[dict, list[int]]:
    """The message telling both parties and the agency that the contract is signed and published."""
    award, _committee, project, _lot = context_of(contract)
    return ({"title": "合同已签订并公告", "body": f"{project.title}：合同编号 {contract.number}。",
             "level": "success", "url": f"/contracts/{contract.id}"},
            [winner_org_id(award), project.purchaser_org_id, project.agency_org_id])


def _declare_message(message: dict, org_ids: list[int]) -> None:
    from core.tasks import send_message

    after_commit(send_message.delay, message, org_ids=org_ids)


# ---------------------------------------------------------------- signing

def sign_contract(user: User, contract_id: int, sha256: str, signature: str) -> Contract:
    """A party signs the digest of the current text with its key. `sha256` is the digest the signer's
    browser computed from the text it showed: a text changed since then is refused, not signed."""
    contract = get_contract(contract_id, lock=True)
    award = _award_for_contract(contract.award_id)
    party = party_of(user, contract)
    if party is None:
        raise Forbidden("只有本合同的采购人或中标供应商可以签署。", code="not_contract_party")
    if contract.status not in (ContractStatus.DRAFT, ContractStatus.SIGNING):
        raise Conflict(f"合同{STATUS_ZH[contract.status.value]}，不能签署。", code="contract_not_signable")
    if award.status is not AwardStatus.NOTIFIED:
        raise Conflict("中标结果已不再有效，不能签署合同。", code="award_not_notified")
    blocked = award_blocked(award)
    if blocked:
        raise Conflict(blocked, code="award_blocked")
    if any(s.party == party for s in contract.signatures):
        raise Conflict("您方已签署本合同。", code="already_signed")
    if (sha256 or "").strip().lower() != contract.sha256:
        raise Conflict("合同文本已更新，请重新核对后再签署。", code="contract_changed")
    key = verify_document_signature(user, document_of(contract), signature)
    now = clock.now()
    contract.signatures.append(ContractSignature(party=party, user_id=user.id, org_id=user.org_id, key_id=key.id,
                                                 sha256=contract.sha256, signature=signature.strip(),
                                                 signed_at=now))
    if contract.status is ContractStatus.DRAFT:
        move(contract, ContractStatus.SIGNING)
    db.session.flush()
    record("evaluation.contract_signed", contract, {"party": party, "key": key.fingerprint,
                                                    "sha256": contract.sha256, "signature": signature.strip()})
    if {s.party for s in contract.signatures} == set(PARTIES):
        _conclude(contract, award)
    return contract


def _conclude(contract: Contract, award: Award) -> None:
    """Both parties signed: publish the contract notice, the award is contracted, the lot settled."""
    from notices import kinds
    from notices.service import publish_notice
    from tender.service import settle_lot
    from tender.transitions import LotStatus

    _award, _committee, project, lot = context_of(award)
    now = clock.now()
    notice = publish_notice(project, kinds.CONTRACT, f"{project.title}（标项{lot.number}）合同公告",
                            contract_notice_body(contract), lot.id)
    contract.signed_at, contract.notice_id = now, notice.id
    move(contract, ContractStatus.SIGNED)
    award.contracted_at = now
    move(award, AwardStatus.CONTRACTED)
    settle_lot(lot, LotStatus.CONTRACTED)
    record("evaluation.contract_concluded", contract, {"award": award.id, "notice": notice.id,
                                                       "sha256": contract.sha256, "amount_fen": contract.amount_fen,
                                                       "late": clock.to_local(now).date() > contract_due(award)})
    _declare_message(*signed_message(contract))


def contract_notice_body(contract: Contract) -> str:
    doc = document_of(contract)
    signed = {s.party: s for s in contract.signatures}
    lines = [f"合同编号：{doc['number']}", f"项目编号：{doc['project']['code']}",
             f"项目名称：{doc['project']['title']}", f"标项：{doc['lot']['number']} {doc['lot']['name']}",
             f"采购人（甲方）：{doc['purchaser']['name']}", f"供应商（乙方）：{doc['supplier']['name']}",
             f"合同金额：{money.format_yuan(doc['amount_fen'])}元（{doc['amount_words']}）"]
    if doc.get("delivery"):
        lines.append(f"交付（服务）期限：{doc['delivery']}")
    lines += [f"{TERM_LABELS[name]}：{value}" for name, value in doc["terms"].items()]
    lines += [f"签订日期：{clock.format_local(max(s.signed_at for s in signed.values()), '%Y-%m-%d')}",
              f"合同文本摘要（SHA-256）：{contract.sha256}",
              "双方均以本单位登记的签名密钥对上述摘要签名（FORMAT.md §14），签名及公钥指纹记入审计日志，"
              "任何人可下载合同文本自行核验。"]
    return "\n".join(lines)


def void_contract(award: Award) -> Contract | None:
    """The award is void before both parties signed: so is its contract (called by `void_award`)."""
    contract = contract_of(award)
    if contract is None or contract.status is ContractStatus.VOIDED:
        return contract
    if contract.status is ContractStatus.SIGNED:
        raise Conflict("合同已签订并公告，不能再作废中标结果；请依法处理合同。", code="contract_already_signed")
    move(contract, ContractStatus.VOIDED)
    contract.voided_at = clock.now()
    record("evaluation.contract_voided", contract, {"award": award.id, "sha256": contract.sha256})
    return contract


# ---------------------------------------------------------------- lists

def contracts_for(user: User, *, open_only: bool = False) -> list[Contract]:
    """The contracts this user drafts, signs or oversees, newest first; `open_only`: those not yet
    signed by both (the next-deadline bar asks on every page, so it reads only these)."""
    from tender.models import Bid, Lot, Project

    stmt = (select(Contract).join(Lot, Lot.id == Contract.lot_id).join(Project, Project.id == Lot.project_id)
            .order_by(Contract.id.desc()).limit(200))
    if open_only:
        stmt = stmt.where(Contract.status.in_([ContractStatus.DRAFT, ContractStatus.SIGNING]))
    if user.has_role(Role.ADMIN):
        return list(db.session.scalars(stmt))
    if user.has_role(Role.SUPERVISOR):
        from accounts.service import regions_under

        return list(db.session.scalars(stmt.where(Project.region_code.in_(regions_under(user.region_code)))))
    if user.org_id is None:
        return []
    if user.has_role(Role.SUPPLIER):
        won = (select(Award.id).join(Candidate, Candidate.id == Award.candidate_id)
               .join(Bid, Bid.id == Candidate.bid_id).where(Bid.org_id == user.org_id))
        return list(db.session.scalars(stmt.where(Contract.award_id.in_(won))))
    column = Project.agency_org_id if user.has_role(Role.AGENCY_STAFF) else Project.purchaser_org_id
    return list(db.session.scalars(stmt.where(column == user.org_id)))


def awards_to_draft(user: User) -> list[Award]:
    """Published awards of this purchaser's or agency's projects that have no contract yet."""
    from tender.models import Lot, Project

    if user.org_id is None or not user.has_role(Role.PURCHASER, Role.AGENCY_STAFF):
        return []
    column = Project.agency_org_id if user.has_role(Role.AGENCY_STAFF) else Project.purchaser_org_id
    drafted = select(Contract.award_id)
    return list(db.session.scalars(
        select(Award).join(Lot, Lot.id == Award.lot_id).join(Project, Project.id == Lot.project_id)
        .where(column == user.org_id, Award.status == AwardStatus.NOTIFIED, Award.id.not_in(drafted))
        .order_by(Award.id)))


def signed_contracts(region_codes: list[str], since: datetime | None = None) -> list[Contract]:
    """Signed contracts of these regions (the finance intranet's export for payment)."""
    from tender.models import Lot, Project

    stmt = (select(Contract).join(Lot, Lot.id == Contract.lot_id).join(Project, Project.id == Lot.project_id)
            .where(Contract.status == ContractStatus.SIGNED, Project.region_code.in_(region_codes))
            .order_by(Contract.signed_at, Contract.id))
    if since is not None:
        stmt = stmt.where(Contract.signed_at >= since)
    return list(db.session.scalars(stmt))


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
    if state == "open" or award_blocked(award) is not None:  # no one is told to sign what they may not sign
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

