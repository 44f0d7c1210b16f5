"""Drafting, signing, publishing and voiding a contract, whatever it comes from.

The contract may not change what the records fixed (《政府采购法》第四十六条, 87号令第七十二条): the
parties, the subject, the price, the items and the documents it rests on come from its source
(`contracts.sources`), never typed in. Only the terms the records leave open (place of performance,
payment, acceptance, warranty, contacts, account, further agreements) are written by the drafter, and
only while nobody has signed.

The text both parties sign is a canonical JSON document (format `biaoyun-contract/1`); each party
signs its SHA-256 in its own browser or with `python -m crypto sign-document` (FORMAT.md §14), and the
server checks the signature against a signing key the signer registered for his organisation. The
first signature freezes the text; the second concludes the contract: the contract notice is published
at once (within the 2 working days of 实施条例第五十条) and the source is told (an award becomes
contracted and its lot settled). Writes audit in the caller's transaction and never commit; messages
are declared to run after the commit.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select

from accounts.models import Org, Role, User
from accounts.service import oversees, regions_under, verify_document_signature
from audit.service import record
from contracts import sources
from contracts.models import Contract, ContractSignature
from contracts.sources import ContractSource, Description, ToDraft
from contracts.transitions import ContractStatus, move
from core import clock, money
from core.after_commit import after_commit
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationError
from core.i18n import N_
from crypto import document_digest
from crypto.encoding import canonical_json

FORMAT = "biaoyun-contract/1"
PARTIES = ("purchaser", "supplier")
PARTY_ZH = {"purchaser": N_("采购人（甲方）"), "supplier": N_("供应商（乙方）")}
STATUS_ZH = {"draft": N_("草拟中"), "signing": N_("签署中"), "signed": N_("已签订并公告"), "voided": N_("已作废")}
OPEN = (ContractStatus.DRAFT, ContractStatus.SIGNING)

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


def contract_for(kind: str, source_id: int) -> Contract | None:
    """The contract of this source (an award, an order…), if one was drafted."""
    return db.session.scalar(select(Contract).where(Contract.source_kind == kind, Contract.source_id == source_id))


def source_of(contract: Contract) -> ContractSource:
    return sources.get(contract.source_kind)


def subject_of(contract: Contract, lock: bool = False) -> Any:
    """The object the contract rests on (the award, the order…)."""
    return source_of(contract).load(contract.source_id, lock)


def party_of(user: User | None, contract: Contract) -> str | None:
    """Which party the user signs for: 'purchaser', 'supplier' or None."""
    if user is None or not getattr(user, "is_authenticated", False) or user.org_id is None:
        return None
    if user.has_role(Role.PURCHASER) and user.org_id == contract.purchaser_org_id:
        return "purchaser"
    if user.has_role(Role.SUPPLIER) and user.org_id == contract.supplier_org_id:
        return "supplier"
    return None


def awaits_signature_of(user: User | None, contract: Contract) -> bool:
    """Whether the contract waits for this user's side to sign."""
    party = party_of(user, contract)
    return bool(party and contract.status in OPEN and party not in {s.party for s in contract.signatures})


def may_draft(user: User | None, contract: Contract) -> bool:
    """Whether this user may revise the contract's open terms (its source decides who drafts)."""
    return bool(user is not None and getattr(user, "is_authenticated", False)
                and source_of(contract).may_draft(user, subject_of(contract)))


def can_read(user: User | None, contract: Contract) -> bool:
    """A signed contract is public (its notice links it); before that the parties, the drafters, the
    region's supervisors and the administrator read it."""
    if contract.status is ContractStatus.SIGNED:
        return True
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(party_of(user, contract) or user.has_role(Role.ADMIN)
                or (user.org_id is not None and user.org_id == contract.agency_org_id)
                or (user.has_role(Role.SUPERVISOR) and oversees(user, contract.region_code))
                or may_draft(user, contract))


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


def build_document(facts: sources.Facts, terms: dict[str, str], revision: int) -> dict[str, Any]:
    """The contract as canonical data: everything but `terms` comes from the records."""
    doc: dict[str, Any] = {"format": FORMAT, "number": facts.number, "revision": revision,
                           "purchaser": _org(facts.purchaser_org_id), "supplier": _org(facts.supplier_org_id),
                           "amount_fen": facts.amount_fen, "amount_words": money.to_chinese_upper(facts.amount_fen),
                           **facts.fixed, "terms": terms}
    if facts.agency_org_id is not None:
        doc["agency"] = _org(facts.agency_org_id)
    return doc


def document_of(contract: Contract) -> dict[str, Any]:
    return json.loads(contract.document)


def describe(contract: Contract, *, localized: bool = False) -> Description:
    """The contract as its source describes it: in Chinese for the notice and the PDF, in the reader's
    language on a page (`localized`)."""
    if localized:
        from flask_babel import gettext

        return source_of(contract).describe(document_of(contract), gettext)
    return source_of(contract).describe(document_of(contract), sources.as_written)


def _store_document(contract: Contract, doc: dict[str, Any]) -> None:
    contract.document = canonical_json(doc).decode("utf-8")
    contract.sha256 = document_digest(doc).hex()


# ---------------------------------------------------------------- drafting

def draft_contract(user: User, kind: str, source_id: int, terms: dict[str, Any]) -> Contract:
    """The purchaser (or whoever the source lets draft) drafts the contract of a source, or revises the
    draft while nobody has signed; each revision has a new digest, so a signature can only cover the
    text its signer saw."""
    source = sources.get(kind)
    subject = source.load(source_id, True)
    if not source.may_draft(user, subject):
        raise Forbidden("只有本项目的采购人或代理机构可以起草合同。", code="not_project_party")
    refusal = source.refusal(subject, "draft")
    if refusal is not None:
        raise refusal
    clean = clean_terms(terms)
    facts = source.facts(subject)
    contract = contract_for(kind, source_id)
    now = clock.now()
    if contract is None:
        contract = Contract(source_kind=kind, source_id=source_id, region_code=facts.region_code,
                            purchaser_org_id=facts.purchaser_org_id, supplier_org_id=facts.supplier_org_id,
                            agency_org_id=facts.agency_org_id, number=facts.number, status=ContractStatus.DRAFT,
                            amount_fen=facts.amount_fen, revision=1, due_at=clock.end_of_local_day(facts.due),
                            drafted_by_id=user.id, drafted_at=now, document="", sha256="")
        db.session.add(contract)
    elif contract.status is not ContractStatus.DRAFT or contract.signatures:
        raise Conflict("合同已有一方签署，文本不能再修改。", code="contract_frozen")
    else:
        contract.revision += 1
        contract.drafted_by_id, contract.drafted_at = user.id, now
    _store_document(contract, build_document(facts, clean, contract.revision))
    db.session.flush()
    record("contract.drafted", contract, {"source": kind, "source_id": source_id, "number": contract.number,
                                          "revision": contract.revision, "sha256": contract.sha256,
                                          "amount_fen": contract.amount_fen})
    _declare_message(*drafted_message(contract))  # the supplier is asked to sign, page or API alike
    return contract


def drafted_message(contract: Contract) -> tuple[dict, list[int]]:
    """The message asking the supplier to check and sign the drafted contract, and its organisation."""
    return ({"title": "合同待签署", "body": f"{describe(contract).title}：采购人已起草合同，请核对后用签名密钥签署。",
             "level": "info", "url": f"/contracts/{contract.id}"}, [contract.supplier_org_id])


def signed_message(contract: Contract) -> tuple[dict, list[int]]:
    """The message telling both parties (and the agency) that the contract is signed and published."""
    orgs = [contract.supplier_org_id, contract.purchaser_org_id]
    if contract.agency_org_id is not None:
        orgs.append(contract.agency_org_id)
    return ({"title": "合同已签订并公告", "body": f"{describe(contract).title}：合同编号 {contract.number}。",
             "level": "success", "url": f"/contracts/{contract.id}"}, orgs)


def _declare_message(message: dict, org_ids: list[int]) -> None:
    from core.tasks import send_message

    after_commit(send_message.delay, message, org_ids=org_ids)


# ---------------------------------------------------------------- signing

def sign_contract(user: User, contract_id: int, sha256: str, signature: str) -> Contract:
    """A party signs the digest of the current text with its key. `sha256` is the digest the signer's
    browser computed from the text it showed: a text changed since then is refused, not signed."""
    contract = get_contract(contract_id, lock=True)
    source = source_of(contract)
    subject = source.load(contract.source_id, True)
    party = party_of(user, contract)
    if party is None:
        raise Forbidden("只有本合同的采购人或供应商可以签署。", code="not_contract_party")
    if contract.status not in OPEN:
        raise Conflict(f"合同{STATUS_ZH[contract.status.value]}，不能签署。", code="contract_not_signable")
    refusal = source.refusal(subject, "sign")
    if refusal is not None:
        raise refusal
    if any(s.party == party for s in contract.signatures):
        raise Conflict("您方已签署本合同。", code="already_signed")
    if (sha256 or "").strip().lower() != contract.sha256:
        raise Conflict("合同文本已更新，请重新核对后再签署。", code="contract_changed")
    key = verify_document_signature(user, document_of(contract), signature)
    contract.signatures.append(ContractSignature(party=party, user_id=user.id, org_id=user.org_id, key_id=key.id,
                                                 sha256=contract.sha256, signature=signature.strip(),
                                                 signed_at=clock.now()))
    if contract.status is ContractStatus.DRAFT:
        move(contract, ContractStatus.SIGNING)
    db.session.flush()
    record("contract.signed", contract, {"party": party, "key": key.fingerprint, "sha256": contract.sha256,
                                         "signature": signature.strip()})
    if {s.party for s in contract.signatures} == set(PARTIES):
        _conclude(contract, source, subject)
    return contract


def _conclude(contract: Contract, source: ContractSource, subject: Any) -> None:
    """Both parties signed: publish the contract notice, then the source concludes (award contracted…)."""
    from notices import kinds
    from notices.service import publish_notice

    now = clock.now()
    notice_subject, lot_id = source.notice_subject(subject)
    notice = publish_notice(notice_subject, kinds.CONTRACT, f"{describe(contract).title}合同公告",
                            contract_notice_body(contract), lot_id, region_code=contract.region_code)
    contract.signed_at, contract.notice_id = now, notice.id
    move(contract, ContractStatus.SIGNED)
    source.concluded(contract, subject)
    record("contract.concluded", contract, {"source": contract.source_kind, "source_id": contract.source_id,
                                            "notice": notice.id, "sha256": contract.sha256,
                                            "amount_fen": contract.amount_fen, "late": now > contract.due_at})
    _declare_message(*signed_message(contract))


def contract_notice_body(contract: Contract) -> str:
    doc, about = document_of(contract), describe(contract)
    lines = [f"合同编号：{doc['number']}", *about.subject_lines,
             f"采购人（甲方）：{doc['purchaser']['name']}", f"供应商（乙方）：{doc['supplier']['name']}",
             f"合同金额：{money.format_yuan(doc['amount_fen'])}元（{doc['amount_words']}）"]
    if about.delivery:
        lines.append(f"交付（服务）期限：{about.delivery}")
    lines += [f"{TERM_LABELS[name]}：{value}" for name, value in doc["terms"].items()]
    lines += [f"签订日期：{clock.format_local(max(s.signed_at for s in contract.signatures), '%Y-%m-%d')}",
              f"合同文本摘要（SHA-256）：{contract.sha256}",
              "双方均以本单位登记的签名密钥对上述摘要签名（FORMAT.md §14），签名及公钥指纹记入审计日志，"
              "任何人可下载合同文本自行核验。"]
    return "\n".join(lines)


def void_contract(kind: str, source_id: int) -> Contract | None:
    """The source is void before both parties signed: so is its contract (the source's own void calls
    this); a signed contract refuses, since it must be dealt with under contract law."""
    contract = contract_for(kind, source_id)
    if contract is None or contract.status is ContractStatus.VOIDED:
        return contract
    if contract.status is ContractStatus.SIGNED:
        raise Conflict("合同已签订并公告，不能再作废；请依法处理合同。", code="contract_already_signed")
    move(contract, ContractStatus.VOIDED)
    contract.voided_at = clock.now()
    record("contract.voided", contract, {"source": kind, "source_id": source_id, "sha256": contract.sha256})
    return contract


# ---------------------------------------------------------------- lists

def contracts_for(user: User, *, open_only: bool = False) -> list[Contract]:
    """The contracts this user drafts, signs or oversees, newest first; `open_only`: those not yet
    signed by both (the next-deadline bar asks on every page, so it reads only these)."""
    stmt = select(Contract).order_by(Contract.id.desc()).limit(200)
    if open_only:
        stmt = stmt.where(Contract.status.in_(OPEN))
    if user.has_role(Role.ADMIN):
        return list(db.session.scalars(stmt))
    if user.has_role(Role.SUPERVISOR):
        return list(db.session.scalars(stmt.where(Contract.region_code.in_(regions_under(user.region_code)))))
    if user.org_id is None:
        return []
    if user.has_role(Role.SUPPLIER):
        return list(db.session.scalars(stmt.where(Contract.supplier_org_id == user.org_id)))
    return list(db.session.scalars(stmt.where(or_(Contract.purchaser_org_id == user.org_id,
                                                  Contract.agency_org_id == user.org_id))))


def to_draft(user: User) -> list[tuple[ContractSource, ToDraft]]:
    """Every source of this user's, of every method, that waits for its contract to be drafted."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return [(source, item) for source in sources.all_sources() for item in source.to_draft(user)]


def signed_contracts(region_codes: list[str], since: datetime | None = None) -> list[Contract]:
    """Signed contracts of these regions (the finance intranet's export for payment)."""
    stmt = (select(Contract).where(Contract.status == ContractStatus.SIGNED, Contract.region_code.in_(region_codes))
            .order_by(Contract.signed_at, Contract.id))
    if since is not None:
        stmt = stmt.where(Contract.signed_at >= since)
    return list(db.session.scalars(stmt))
