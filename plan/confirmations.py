"""确认书 and the budget drawn from it: the one public API projects and e-mall orders spend through.

A confirmation is issued once per approved plan (`issue_confirmation`) or recorded from the finance
intranet (`record_confirmation`, a signed message or a file line): numbered, its snapshot frozen and
hashed, the hash in the audit log. Nothing of it changes afterwards except `drawn_fen`, the total of its
held draws.

`draw_budget(confirmation, amount_fen, subject=…, actor=…)` takes money for a subject — any object with
an `id` (a tender lot, a mall order), stored as (kind, id), the kind being its table's name — under the
confirmation's row lock, so concurrent draws queue and the remainder never goes negative (the CHECK
constraint is the database's own backstop). `release_budget(draw, reason=…)` gives it back; releasing a
draw already released is a no-op (returns without a second audit event), so the listeners of a failed
lot and of a cancelled order may both fire safely. `release_subject(kind, id, reason)` releases every
held draw of a subject.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from sqlalchemy import func, select, update

from accounts.models import Org, OrgKind, Role, User
from audit.canonical import canonical_json
from audit.service import record
from core import clock
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationError
from plan.models import BudgetDraw, Confirmation, Plan
from plan.transitions import DrawStatus, PlanStatus, move

SOURCES = ("workflow", "intranet", "file")


def snapshot_hash(snapshot: dict[str, Any]) -> str:
    """SHA-256 of the snapshot's canonical JSON: what the audit log holds and anyone may recompute."""
    return hashlib.sha256(canonical_json(snapshot)).hexdigest()


def _next_number(region_code: str) -> str:
    prefix = f"QR-{region_code}-{clock.to_local(clock.now()).year}-"
    count = db.session.scalar(select(func.count()).select_from(Confirmation)
                              .where(Confirmation.number.like(prefix + "%")))
    return f"{prefix}{(count or 0) + 1:05d}"


def issue_confirmation(*, org: Org, title: str, catalogue_code: str, method: str, plan_type: str, amount_fen: int,
                       snapshot: dict[str, Any], source: str, plan_id: int | None = None,
                       message_id: int | None = None, number: str | None = None,
                       valid_until: date | None = None) -> Confirmation:
    """Freeze a confirmation (numbered here unless the intranet numbered it) and audit its hash."""
    if source not in SOURCES:
        raise ValidationError("确认书来源无效。", code="confirmation_source_invalid")
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise ValidationError("确认书金额须为正整数（分）。", code="confirmation_amount_invalid")
    if number and db.session.scalar(select(Confirmation.id).where(Confirmation.number == number)):
        raise Conflict(f"确认书 {number} 已存在。", code="confirmation_duplicate")
    number = number or _next_number(org.region_code)
    frozen = {**snapshot, "number": number, "org_id": org.id, "org_name": org.name, "amount_fen": amount_fen,
              "catalogue_code": catalogue_code, "method": method, "plan_type": plan_type, "source": source}
    row = Confirmation(number=number, region_code=org.region_code, org_id=org.id, plan_id=plan_id, title=title[:200],
                       catalogue_code=catalogue_code, method=method, plan_type=plan_type, amount_fen=amount_fen,
                       drawn_fen=0, snapshot=frozen, sha256=snapshot_hash(frozen), source=source,
                       message_id=message_id, issued_at=clock.now(), valid_until=valid_until)
    db.session.add(row)
    db.session.flush()
    record("plan.confirmation_issued", row, {"number": number, "sha256": row.sha256, "amount_fen": amount_fen,
                                             "plan": plan_id, "source": source, "message": message_id})
    return row


def get_confirmation(confirmation_id: int, *, lock: bool = False) -> Confirmation:
    stmt = select(Confirmation).where(Confirmation.id == confirmation_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    row = db.session.scalar(stmt)
    if row is None:
        raise NotFound("确认书不存在。", code="confirmation_not_found")
    return row


def confirmation_by_number(number: str) -> Confirmation | None:
    return db.session.scalar(select(Confirmation).where(Confirmation.number == number))


def remaining_fen(confirmation: Confirmation) -> int:
    """What is left to draw (as last read; `draw_budget` re-reads it under the lock)."""
    return confirmation.amount_fen - confirmation.drawn_fen


def is_intact(confirmation: Confirmation) -> bool:
    """Whether the stored snapshot still hashes to the recorded hash."""
    return snapshot_hash(confirmation.snapshot) == confirmation.sha256


def can_use(actor: User | None, confirmation: Confirmation) -> bool:
    """The confirmation's own unit (or one of its departments), or an agency of the region it entrusted
    (agencies and the centre run the unit's procurement: 政府采购法第十九条)."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.active or actor.org is None:
        return False
    org = actor.org
    if org.id == confirmation.org_id or org.parent_id == confirmation.org_id:
        return True
    return (actor.has_role(Role.AGENCY_STAFF) and org.kind in (OrgKind.AGENCY, OrgKind.CENTRAL_AGENCY)
            and org.region_code == confirmation.region_code)


def usable_confirmations(org_id: int) -> list[Confirmation]:
    """The unit's confirmations with money left and not expired, newest first."""
    today = clock.to_local(clock.now()).date()
    return list(db.session.scalars(
        select(Confirmation).outerjoin(Plan, Plan.id == Confirmation.plan_id)
        .where(Confirmation.org_id == org_id, Confirmation.drawn_fen < Confirmation.amount_fen,
               (Confirmation.valid_until.is_(None)) | (Confirmation.valid_until >= today),
               (Plan.id.is_(None)) | (Plan.status != PlanStatus.WITHDRAWN))
        .order_by(Confirmation.issued_at.desc(), Confirmation.id.desc())))


def subject_key(subject: object) -> tuple[str, int]:
    """(kind, id) of a drawing subject: its table's name (or its type's) and its id."""
    subject_id = getattr(subject, "id", None)
    if isinstance(subject_id, bool) or not isinstance(subject_id, int):
        raise ValidationError("支用对象须已保存（有编号）。", code="draw_subject_invalid")
    kind = getattr(subject, "__tablename__", None) or type(subject).__name__.lower()
    return str(kind)[:24], subject_id


def draw_budget(confirmation: Confirmation, amount_fen: int, *, subject: object, actor: User) -> BudgetDraw:
    """Take `amount_fen` from the confirmation for `subject`, under its row lock; refused (nothing changed)
    with `confirmation_overdrawn` when less remains, `draw_amount_invalid` for a non-positive amount,
    `confirmation_not_usable` for an actor whose organisation may not use it."""
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise ValidationError("支用金额须为正整数（分）。", code="draw_amount_invalid")
    kind, subject_id = subject_key(subject)
    if not can_use(actor, confirmation):
        raise Forbidden("本单位不能使用这份确认书。", code="confirmation_not_usable")
    locked = get_confirmation(confirmation.id, lock=True)
    if locked.valid_until is not None and locked.valid_until < clock.to_local(clock.now()).date():
        raise Conflict(f"确认书 {locked.number} 已过有效期。", code="confirmation_expired")
    if locked.plan is not None and locked.plan.status is PlanStatus.WITHDRAWN:
        raise Conflict(f"确认书 {locked.number} 的计划已撤回。", code="confirmation_withdrawn")
    # One conditional UPDATE: under PostgreSQL's row lock it never waits on a stale read, and on SQLite (no row
    # locks, reads outside the write transaction) it is what keeps two draws from both passing the check.
    taken = db.session.execute(
        update(Confirmation).where(Confirmation.id == locked.id,
                                   Confirmation.drawn_fen + amount_fen <= Confirmation.amount_fen)
        .values(drawn_fen=Confirmation.drawn_fen + amount_fen), execution_options={"synchronize_session": False})
    db.session.refresh(locked, ["drawn_fen"])
    if taken.rowcount != 1:
        left = remaining_fen(locked)
        raise Conflict(f"确认书 {locked.number} 剩余金额不足（剩余 {left} 分，需 {amount_fen} 分）。",
                       code="confirmation_overdrawn",
                       details={"remaining_fen": left, "amount_fen": amount_fen, "number": locked.number})
    draw = BudgetDraw(confirmation_id=locked.id, amount_fen=amount_fen, subject_kind=kind, subject_id=subject_id,
                      status=DrawStatus.HELD, drawn_by_id=actor.id, drawn_at=clock.now())
    db.session.add(draw)
    db.session.flush()
    record("plan.budget_drawn", locked, {"draw": draw.id, "amount_fen": amount_fen, "subject": [kind, subject_id],
                                         "drawn_fen": locked.drawn_fen, "remaining_fen": remaining_fen(locked)})
    return draw


def release_budget(draw: BudgetDraw, *, reason: str) -> None:
    """Give a held draw back to its confirmation (a failed lot, a cancelled order). A draw already released is
    left as it is: a no-op, no second audit event."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请说明释放原因。", code="release_reason_missing")
    confirmation = get_confirmation(draw.confirmation_id, lock=True)  # the confirmation first, as draw_budget
    draw = db.session.scalar(select(BudgetDraw).where(BudgetDraw.id == draw.id).with_for_update()
                             .execution_options(populate_existing=True))
    if draw.status is DrawStatus.RELEASED:
        return
    move(draw, DrawStatus.RELEASED, payload={"reason": reason[:200]})
    draw.released_at, draw.release_reason = clock.now(), reason[:200]
    db.session.flush()
    db.session.execute(update(Confirmation).where(Confirmation.id == confirmation.id)
                       .values(drawn_fen=Confirmation.drawn_fen - draw.amount_fen),
                       execution_options={"synchronize_session": False})
    db.session.refresh(confirmation, ["drawn_fen"])
    record("plan.budget_released", confirmation, {"draw": draw.id, "amount_fen": draw.amount_fen,
                                                  "subject": [draw.subject_kind, draw.subject_id],
                                                  "reason": reason[:200], "drawn_fen": confirmation.drawn_fen})


def draws_of_subject(kind: str, subject_id: int, *, held_only: bool = True) -> list[BudgetDraw]:
    stmt = select(BudgetDraw).where(BudgetDraw.subject_kind == kind, BudgetDraw.subject_id == subject_id)
    if held_only:
        stmt = stmt.where(BudgetDraw.status == DrawStatus.HELD)
    return list(db.session.scalars(stmt.order_by(BudgetDraw.id)))


def release_subject(kind: str, subject_id: int, reason: str) -> int:
    """Release every held draw of one subject; the count released (0 when there was none)."""
    draws = draws_of_subject(kind, subject_id)
    for draw in draws:
        release_budget(draw, reason=reason)
    return len(draws)


def draws_of(confirmation: Confirmation) -> list[BudgetDraw]:
    return list(db.session.scalars(select(BudgetDraw).where(BudgetDraw.confirmation_id == confirmation.id)
                                   .order_by(BudgetDraw.id)))
