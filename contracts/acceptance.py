"""The acceptance of a signed contract (履约验收, 财库〔2016〕205号) and what follows from it: payment due,
the supplier's performance rating, the acceptance notice where the region wants one.

The purchaser organises it: the group (its own staff; experts or a testing body when the contract is at
or above the region's amount; the supplier's representative may join) and the day. It records the
result against the contract's own items — an item that is not in the contract cannot be accepted — and
every member signs the report's SHA-256 with his registered key (FORMAT.md §14), as the contract's
parties did. Once all signed, the round is passed (every item accepted) or failed. A pass fixes the day
payment falls due (30 days for small and medium enterprises, 保障中小企业款项支付条例第八条), rates the
supplier's performance and tells those who wait for it (`on_accepted`: a performance security goes back,
deposits/). A failure records its remedy: the supplier rectifies by a date and the purchaser organises
the next round, or the purchaser terminates the contract for breach (the rating says so). Writes audit
in the caller's transaction and never commit.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from accounts.models import Org, Role, User
from accounts.service import verify_document_signature
from audit.service import record
from contracts import rules  # noqa: F401  (declares the keys read here)
from contracts.models import Acceptance, AcceptanceMember, Contract, PerformanceRating
from contracts.service import describe, document_of, get_contract, source_of, subject_of
from contracts.transitions import AcceptanceStatus, ContractStatus, move
from core import clock
from core.after_commit import after_commit
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationError
from core.i18n import N_
from crypto import document_digest
from crypto.encoding import canonical_json
from region_rules import store

FORMAT = "biaoyun-acceptance/1"
MODES = {"purchaser": N_("采购人自行验收"), "experts": N_("邀请专家参加验收"),
         "third_party": N_("邀请第三方检测机构验收")}
MEMBER_ROLES = {"purchaser": N_("采购人"), "expert": N_("专家"), "third_party": N_("第三方检测机构"),
                "supplier": N_("供应商代表")}
REMEDIES = {"rectify": N_("限期整改后重新验收"), "terminate": N_("解除合同（供应商违约）")}
STATUS_ZH = {"organised": N_("待验收"), "signing": N_("验收报告签署中"), "passed": N_("验收合格"),
             "failed": N_("验收不合格")}

# Those told when a contract's acceptance passes (deposits/ releases a performance security); each gets
# (contract, acceptance) in the caller's transaction.
ACCEPTED: list[Callable[[Contract, Acceptance], None]] = []


def on_accepted(fn: Callable[[Contract, Acceptance], None]) -> Callable[[Contract, Acceptance], None]:
    ACCEPTED.append(fn)
    return fn


# ---------------------------------------------------------------- lookups

def rounds_of(contract: Contract) -> list[Acceptance]:
    return list(db.session.scalars(select(Acceptance).where(Acceptance.contract_id == contract.id)
                                   .order_by(Acceptance.round)))


def get_acceptance(acceptance_id: int | None, lock: bool = False) -> Acceptance:
    stmt = select(Acceptance).where(Acceptance.id == acceptance_id)
    row = db.session.scalar(stmt.with_for_update() if lock else stmt) if acceptance_id else None
    if row is None:
        raise NotFound("验收记录不存在。", code="acceptance_not_found")
    return row


def is_purchaser(user: User | None, contract: Contract) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.has_role(Role.PURCHASER)
                and user.org_id == contract.purchaser_org_id)


def member_of(user: User | None, acceptance: Acceptance) -> AcceptanceMember | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return next((m for m in acceptance.members if m.user_id == user.id), None)


def required_mode(contract: Contract) -> bool:
    """Whether the region asks experts or a testing body for a contract of this amount."""
    return contract.amount_fen >= store.value(contract.region_code, "contract.acceptance_expert_threshold_fen")


def document_of_acceptance(acceptance: Acceptance) -> dict[str, Any]:
    return json.loads(acceptance.document) if acceptance.document else {}


# ---------------------------------------------------------------- organising

def organise_acceptance(user: User, contract_id: int, mode: str, member_ids: list[int], scheduled_on: date,
                        third_party: str = "") -> Acceptance:
    """The purchaser sets the acceptance group and the day, for a signed contract whose last round (if any)
    failed with a rectification."""
    contract = get_contract(contract_id, lock=True)
    if not is_purchaser(user, contract):
        raise Forbidden("只有本合同的采购人可以组织验收。", code="not_contract_purchaser")
    if contract.status is not ContractStatus.SIGNED:
        raise Conflict("合同签订并公告后才能组织验收。", code="contract_not_signed")
    previous = rounds_of(contract)
    last = previous[-1] if previous else None
    if last is not None and not (last.status is AcceptanceStatus.FAILED and last.remedy == "rectify"):
        raise Conflict("本合同已有进行中或已完成的验收。" if last.status is not AcceptanceStatus.FAILED
                       else "验收不合格后须先确定整改措施。", code="acceptance_exists")
    errors: dict[str, str] = {}
    if mode not in MODES:
        errors["mode"] = "请选择验收方式。"
    elif mode == "purchaser" and required_mode(contract):
        errors["mode"] = "合同金额达到本地区规定数额，验收须邀请专家或第三方检测机构参加。"
    third_party = (third_party or "").strip()
    if mode == "third_party" and not third_party:
        errors["third_party"] = "请填写第三方检测机构名称。"
    if len(third_party) > 120:
        errors["third_party"] = "第三方检测机构名称不能超过 120 字。"
    if not isinstance(scheduled_on, date):
        errors["scheduled_on"] = "请填写验收日期。"
    members = _members(contract, user, mode, member_ids, errors)
    if errors:
        raise ValidationError("验收安排有误：" + "；".join(errors.values()), code="acceptance_invalid",
                              details={"fields": errors})
    row = Acceptance(contract_id=contract.id, round=(last.round + 1) if last else 1, mode=mode,
                     third_party=third_party if mode == "third_party" else "", scheduled_on=scheduled_on,
                     organised_by_id=user.id, organised_at=clock.now(), status=AcceptanceStatus.ORGANISED,
                     members=members)
    db.session.add(row)
    db.session.flush()
    record("contract.acceptance_organised", row, {"contract": contract.id, "round": row.round, "mode": mode,
                                                  "members": [m.user_id for m in members],
                                                  "scheduled_on": scheduled_on.isoformat()})
    _declare_message(contract, row, "验收已安排",
                     f"{describe(contract).title}：{scheduled_on.isoformat()} 进行第 {row.round} 次履约验收。",
                     [m.user_id for m in members if m.user_id != user.id], [contract.supplier_org_id])
    return row


def _members(contract: Contract, organiser: User, mode: str, member_ids: list[int],
             errors: dict[str, str]) -> list[AcceptanceMember]:
    """The group: the organiser, then each named user with the role his account gives him."""
    out = [AcceptanceMember(user_id=organiser.id, role="purchaser")]
    wanted = {"experts": "expert", "third_party": "third_party"}.get(mode)
    roles_found: set[str] = set()
    for uid in dict.fromkeys(member_ids or []):
        user = db.session.get(User, uid) if isinstance(uid, int) else None
        if user is None or not user.active:
            errors["members"] = "验收小组成员不存在或已停用。"
            continue
        if uid == organiser.id:
            continue
        if user.has_role(Role.EXPERT):
            role = "expert"
        elif user.org_id == contract.purchaser_org_id:
            role = "purchaser"
        elif user.org_id == contract.supplier_org_id:
            role = "supplier"
        elif mode == "third_party":
            role = "third_party"
        else:
            errors["members"] = f"{user.name}不是采购人、供应商人员或评审专家，不能加入验收小组。"
            continue
        roles_found.add(role)
        out.append(AcceptanceMember(user_id=uid, role=role))
    if wanted and wanted not in roles_found and "members" not in errors:
        errors["members"] = ("请邀请至少一名专家参加验收。" if wanted == "expert"
                             else "请添加第三方检测机构的验收人员。")
    return out


# ---------------------------------------------------------------- the result and the report

def record_result(user: User, acceptance_id: int, items: list[dict[str, Any]], delivery_due_on: date,
                  delivered_on: date, conclusion: str) -> Acceptance:
    """The purchaser records the result item by item against the contract's items; the report (canonical
    JSON) is then signed by every member. Unsigned, it may be recorded again (a new digest)."""
    acceptance = get_acceptance(acceptance_id, lock=True)
    contract = get_contract(acceptance.contract_id)
    if not is_purchaser(user, contract):
        raise Forbidden("只有本合同的采购人可以记录验收结果。", code="not_contract_purchaser")
    if acceptance.status not in (AcceptanceStatus.ORGANISED, AcceptanceStatus.SIGNING):
        raise Conflict("本次验收已完成，结果不能再修改。", code="acceptance_decided")
    if any(m.signed_at for m in acceptance.members):
        raise Conflict("验收报告已有成员签署，不能再修改。", code="acceptance_frozen")
    contracted = {str(i.get("ref")): i for i in document_of(contract).get("items") or []}
    errors: dict[str, str] = {}
    clean: list[dict[str, Any]] = []
    seen: set[str] = set()
    for n, item in enumerate((items or []) if contracted else [], 1):
        ref = str(item.get("ref", "")).strip() if isinstance(item, dict) else ""
        if ref not in contracted:
            errors[f"items.{n}"] = f"第 {n} 项不是本合同的标的（序号 {ref or '空'}）。"
            continue
        if ref in seen:
            errors[f"items.{n}"] = f"合同标的 {ref} 重复验收。"
            continue
        seen.add(ref)
        quantity = contracted[ref].get("quantity")
        accepted = item.get("accepted_quantity", quantity)
        if not isinstance(accepted, int | float) or isinstance(accepted, bool) or accepted < 0 or (
                isinstance(quantity, int | float) and accepted > quantity):
            errors[f"items.{n}"] = f"合同标的 {ref} 的验收数量须在 0 至合同数量之间。"
            continue
        passed = item.get("passed")
        if not isinstance(passed, bool):
            errors[f"items.{n}"] = f"请说明合同标的 {ref} 是否验收合格。"
            continue
        note = str(item.get("note") or "").strip()
        if not passed and not note:
            errors[f"items.{n}"] = f"合同标的 {ref} 不合格，请写明问题。"
            continue
        clean.append({"ref": ref, "name": contracted[ref].get("name", ""), "quantity": quantity,
                      "accepted_quantity": accepted, "passed": passed, "note": note[:500]})
    if contracted and not errors and seen != set(contracted):
        missing = "、".join(sorted(set(contracted) - seen))
        errors["items"] = f"每一项合同标的都须记录验收结果（未验收：{missing}）。"
    if not contracted and not errors:
        if len(items or []) != 1 or not isinstance(items[0], dict) or not isinstance(items[0].get("passed"), bool):
            errors["items"] = "合同没有分项清单：请记录整体是否验收合格。"
        else:
            note = str(items[0].get("note") or "").strip()
            if not items[0]["passed"] and not note:
                errors["items"] = "验收不合格，请写明问题。"
            clean.append({"ref": "", "name": "合同标的（整体）", "quantity": None, "accepted_quantity": None,
                          "passed": items[0]["passed"], "note": note[:500]})
    for name, value in (("delivery_due_on", delivery_due_on), ("delivered_on", delivered_on)):
        if not isinstance(value, date):
            errors[name] = "请填写日期。"
    if isinstance(delivered_on, date) and delivered_on > clock.to_local(clock.now()).date():
        errors["delivered_on"] = "交付日期不能晚于今天。"
    conclusion = (conclusion or "").strip()
    if not conclusion:
        errors["conclusion"] = "请填写验收结论。"
    elif len(conclusion) > 2000:
        errors["conclusion"] = "验收结论不能超过 2000 字。"
    if errors:
        raise ValidationError("验收结果有误：" + "；".join(errors.values()), code="acceptance_result_invalid",
                              details={"fields": errors})
    acceptance.items, acceptance.conclusion = clean, conclusion
    acceptance.delivery_due_on, acceptance.delivered_on = delivery_due_on, delivered_on
    acceptance.passed = all(i["passed"] for i in clean)
    doc = _report(contract, acceptance)
    acceptance.document = canonical_json(doc).decode("utf-8")
    acceptance.sha256 = document_digest(doc).hex()
    acceptance.recorded_at = clock.now()
    if acceptance.status is AcceptanceStatus.ORGANISED:
        move(acceptance, AcceptanceStatus.SIGNING)
    db.session.flush()
    record("contract.acceptance_recorded", acceptance, {"contract": contract.id, "round": acceptance.round,
                                                        "passed": acceptance.passed, "sha256": acceptance.sha256})
    _declare_message(contract, acceptance, "验收报告待签署",
                     f"{describe(contract).title}：第 {acceptance.round} 次验收报告已记录，请核对后签署。",
                     [m.user_id for m in acceptance.members if m.user_id != user.id], [])
    return acceptance


def _report(contract: Contract, acceptance: Acceptance) -> dict[str, Any]:
    names = {m.user_id: db.session.get(User, m.user_id).name for m in acceptance.members}
    return {"format": FORMAT, "contract": {"number": contract.number, "sha256": contract.sha256},
            "round": acceptance.round, "mode": acceptance.mode, "third_party": acceptance.third_party,
            "scheduled_on": acceptance.scheduled_on.isoformat(),
            "delivery_due_on": acceptance.delivery_due_on.isoformat(),
            "delivered_on": acceptance.delivered_on.isoformat(), "items": acceptance.items,
            "passed": acceptance.passed, "conclusion": acceptance.conclusion,
            "members": [{"name": names[m.user_id], "role": m.role} for m in acceptance.members]}


def sign_report(user: User, acceptance_id: int, sha256: str, signature: str) -> Acceptance:
    """A member signs the report's digest with his key; the last signature decides the round."""
    acceptance = get_acceptance(acceptance_id, lock=True)
    member = member_of(user, acceptance)
    if member is None:
        raise Forbidden("只有验收小组成员可以签署验收报告。", code="not_acceptance_member")
    if acceptance.status is not AcceptanceStatus.SIGNING:
        raise Conflict("验收报告不在签署阶段。", code="acceptance_not_signable")
    if member.signed_at is not None:
        raise Conflict("您已签署本验收报告。", code="already_signed")
    if (sha256 or "").strip().lower() != acceptance.sha256:
        raise Conflict("验收报告已更新，请重新核对后再签署。", code="acceptance_changed")
    key = verify_document_signature(user, document_of_acceptance(acceptance), signature)
    member.key_id, member.sha256, member.signature = key.id, acceptance.sha256, signature.strip()
    member.signed_at = clock.now()
    db.session.flush()
    record("contract.acceptance_signed", acceptance, {"member": user.id, "key": key.fingerprint,
                                                      "sha256": acceptance.sha256, "signature": signature.strip()})
    if all(m.signed_at for m in acceptance.members):
        _decide(acceptance)
    return acceptance


def _decide(acceptance: Acceptance) -> None:
    contract = get_contract(acceptance.contract_id, lock=True)
    now = clock.now()
    acceptance.decided_at = now
    if not acceptance.passed:
        move(acceptance, AcceptanceStatus.FAILED)
        record("contract.acceptance_failed", acceptance, {"contract": contract.id, "round": acceptance.round})
        _declare_message(contract, acceptance, "验收不合格",
                         f"{describe(contract).title}：第 {acceptance.round} 次验收不合格，"
                         "采购人将确定整改或解除合同。",
                         [], [contract.supplier_org_id, contract.purchaser_org_id])
        return
    move(acceptance, AcceptanceStatus.PASSED)
    supplier = db.session.get(Org, contract.supplier_org_id)
    key = "contract.sme_payment_days" if supplier.is_sme else "contract.payment_days"
    days = store.value(contract.region_code, key)
    accepted_on = clock.to_local(now).date()
    contract.accepted_at = now
    contract.payment_due_at = clock.end_of_local_day(accepted_on + timedelta(days=days))
    if store.value(contract.region_code, "contract.acceptance_notice_required"):
        acceptance.notice_id = _publish_notice(contract, acceptance).id
    rating = _rate(contract, acceptance)
    record("contract.accepted", acceptance, {"contract": contract.id, "round": acceptance.round,
                                             "payment_due": (accepted_on + timedelta(days=days)).isoformat(),
                                             "payment_days": days, "sme": supplier.is_sme,
                                             "notice": acceptance.notice_id, "score": rating.score})
    for fn in ACCEPTED:
        fn(contract, acceptance)
    _declare_message(contract, acceptance, "验收合格",
                     f"{describe(contract).title}：验收合格，应于 {(accepted_on + timedelta(days=days)).isoformat()} "
                     "前支付合同款项。", [], [contract.supplier_org_id, contract.purchaser_org_id])


def _publish_notice(contract: Contract, acceptance: Acceptance):
    from notices import kinds
    from notices.service import publish_notice

    source_subject, lot_id = _notice_subject(contract)
    lines = [f"合同编号：{contract.number}", *describe(contract).subject_lines,
             f"验收方式：{MODES[acceptance.mode]}"
             + (f"（{acceptance.third_party}）" if acceptance.third_party else ""),
             f"验收日期：{acceptance.scheduled_on.isoformat()}", f"验收结论：{acceptance.conclusion}",
             f"验收报告摘要（SHA-256）：{acceptance.sha256}"]
    return publish_notice(source_subject, kinds.ACCEPTANCE, f"{describe(contract).title}验收结果公告",
                          "\n".join(lines), lot_id, region_code=contract.region_code)


def _notice_subject(contract: Contract):
    return source_of(contract).notice_subject(subject_of(contract))


def _rate(contract: Contract, acceptance: Acceptance) -> PerformanceRating:
    """On time, accepted at the first round, no defect: 5; each shortfall costs a point (never below 1)."""
    rounds = rounds_of(contract)
    defects = sum(1 for r in rounds for i in (r.items or []) if not i["passed"])
    on_time = acceptance.delivered_on <= acceptance.delivery_due_on
    first = acceptance.round == 1
    score = max(1, 5 - (0 if on_time else 1) - (0 if first else 1) - min(defects, 2))
    rating = db.session.get(PerformanceRating, contract.id) or PerformanceRating(contract_id=contract.id)
    rating.supplier_org_id, rating.on_time, rating.first_round = contract.supplier_org_id, on_time, first
    rating.defects, rating.score, rating.rated_at = defects, score, clock.now()
    db.session.add(rating)
    return rating


def decide_remedy(user: User, acceptance_id: int, remedy: str, due_on: date | None, note: str) -> Acceptance:
    """After a failed round: the supplier rectifies by `due_on` (then the next round), or the contract is
    terminated for breach, which rates the supplier at the bottom."""
    acceptance = get_acceptance(acceptance_id, lock=True)
    contract = get_contract(acceptance.contract_id)
    if not is_purchaser(user, contract):
        raise Forbidden("只有本合同的采购人可以确定整改措施。", code="not_contract_purchaser")
    if acceptance.status is not AcceptanceStatus.FAILED or acceptance.remedy is not None:
        raise Conflict("只有验收不合格且尚未确定措施的，才能确定整改措施。", code="remedy_not_open")
    note = (note or "").strip()
    errors: dict[str, str] = {}
    if remedy not in REMEDIES:
        errors["remedy"] = "请选择处理方式。"
    if remedy == "rectify" and (not isinstance(due_on, date) or due_on <= clock.to_local(clock.now()).date()):
        errors["remedy_due_on"] = "请填写今天之后的整改期限。"
    if not note:
        errors["remedy_note"] = "请写明整改要求或解除合同的理由。"
    elif len(note) > 500:
        errors["remedy_note"] = "说明不能超过 500 字。"
    if errors:
        raise ValidationError("整改措施有误：" + "；".join(errors.values()), code="remedy_invalid",
                              details={"fields": errors})
    acceptance.remedy, acceptance.remedy_note = remedy, note
    acceptance.remedy_due_on = due_on if remedy == "rectify" else None
    if remedy == "terminate":
        rating = db.session.get(PerformanceRating, contract.id) or PerformanceRating(contract_id=contract.id)
        rating.supplier_org_id, rating.on_time, rating.first_round = contract.supplier_org_id, False, False
        rating.defects = sum(1 for i in (acceptance.items or []) if not i["passed"])
        rating.score, rating.rated_at = 1, clock.now()
        db.session.add(rating)
    db.session.flush()
    record("contract.acceptance_remedy", acceptance, {"contract": contract.id, "remedy": remedy, "note": note,
                                                      "due_on": due_on.isoformat() if due_on else None})
    _declare_message(contract, acceptance, "验收不合格的处理",
                     f"{describe(contract).title}：{REMEDIES[remedy]}。{note}", [], [contract.supplier_org_id])
    return acceptance


# ---------------------------------------------------------------- reading

def performance_of(org_id: int) -> dict[str, Any]:
    """A supplier's record over its accepted or terminated contracts (what its credit reads)."""
    rows = list(db.session.scalars(select(PerformanceRating).where(PerformanceRating.supplier_org_id == org_id)))
    if not rows:
        return {"contracts": 0, "average": None, "late": 0, "defects": 0}
    return {"contracts": len(rows), "average": round(sum(r.score for r in rows) / len(rows), 2),
            "late": sum(1 for r in rows if not r.on_time), "defects": sum(r.defects for r in rows)}


def poor_performances(org_id: int, since: datetime, at_most: int = 2) -> list[PerformanceRating]:
    """The supplier's contracts rated `at_most` or lower since `since` (what its credit score deducts for)."""
    return list(db.session.scalars(select(PerformanceRating).where(
        PerformanceRating.supplier_org_id == org_id, PerformanceRating.score <= at_most,
        PerformanceRating.rated_at >= since).order_by(PerformanceRating.rated_at)))


def _declare_message(contract: Contract, acceptance: Acceptance, title: str, body: str, user_ids: list[int],
                     org_ids: list[int]) -> None:
    from core.tasks import send_message

    if user_ids or org_ids:
        after_commit(send_message.delay, {"title": title, "body": body, "level": "info",
                                          "url": f"/contracts/{contract.id}#acceptance"},
                     user_ids=user_ids, org_ids=org_ids)
