"""Writes on the expert library: register, review, suspend, leave, relations, credit records.

Every function checks its guard and status, changes state, records the audit event and
flushes; the view or task commits once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from accounts.activation import is_valid_phone
from accounts.models import Org, Region, Role, User
from accounts.orgnames import normalise_name, normalised_sql
from audit.service import record
from core import clock
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationError
from core.transitions import move
from registry.experts.models import (
    CreditKind,
    CreditRecord,
    CreditRule,
    Expert,
    ExpertLeave,
    ExpertRelation,
    ExpertSpecialty,
    ExpertStatus,
    RelationKind,
    Specialty,
)

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
REVIEWER_ROLES = (Role.FINANCE_REVIEWER, Role.SUPERVISOR, Role.ADMIN)

# Values of the national default credit rule row, created once when no row exists; the rules in
# force are always read from the table (regions override them with their own rows).
DEFAULT_CREDIT_RULE = {
    "no_show_points": 6,
    "late_decline_points": 2,
    "misconduct_points": 12,
    "window_days": 365,
    "suspend_points": 12,
    "suspend_days": 180,
    "tier_b_points": 1,
    "tier_c_points": 6,
}


# ---------------------------------------------------------------- identity checks


def birth_date_of(id_number: str) -> date | None:
    """The birth date in an 18-digit resident ID number whose check digit is right, else None."""
    code = (id_number or "").strip().upper()
    if len(code) != 18 or not code[:17].isdigit() or code[17] not in ID_CHECK:
        return None
    if ID_CHECK[sum(int(c) * w for c, w in zip(code[:17], ID_WEIGHTS, strict=True)) % 11] != code[17]:
        return None
    try:
        return date(int(code[6:10]), int(code[10:12]), int(code[12:14]))
    except ValueError:
        return None


def id_check_char(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


# ---------------------------------------------------------------- reads


def get_expert(expert_id: int) -> Expert:
    expert = db.session.get(Expert, expert_id)
    if expert is None:
        raise NotFound("没有这位专家。", code="expert_not_found")
    return expert


def expert_of_user(user: User) -> Expert | None:
    return db.session.scalar(select(Expert).where(Expert.user_id == user.id))


def specialty_tree() -> list[Specialty]:
    return list(db.session.scalars(select(Specialty).order_by(Specialty.code)))


def leaf_specialties() -> list[Specialty]:
    parents = set(db.session.scalars(select(Specialty.parent_code).where(Specialty.parent_code.is_not(None))))
    return [s for s in specialty_tree() if s.code not in parents]


def region_subtree(code: str) -> set[str]:
    """`code` and every region below it (regions are few: load them once per call)."""
    children: dict[str | None, list[str]] = {}
    for region_code, parent in db.session.execute(select(Region.code, Region.parent_code)):
        children.setdefault(parent, []).append(region_code)
    found, todo = set(), [code]
    while todo:
        node = todo.pop()
        found.add(node)
        todo.extend(children.get(node, []))
    return found


def list_experts(status: ExpertStatus | None = None) -> list[Expert]:
    query = select(Expert).order_by(Expert.id)
    if status is not None:
        query = query.where(Expert.status == status)
    return list(db.session.scalars(query))


# ---------------------------------------------------------------- status transitions


def _move(expert: Expert, to: ExpertStatus, reason: str = "") -> None:
    move(expert, to, payload={"reason": reason})
    expert.status_reason = reason


def require_reviewer(user: User) -> None:
    if not user.has_role(*REVIEWER_ROLES):
        raise Forbidden("只有财政部门可以审核专家。", code="not_reviewer")


def lock_expert(expert: Expert) -> Expert:
    return db.session.execute(select(Expert).where(Expert.id == expert.id).with_for_update()).scalar_one()


def admit_expert(reviewer: User, expert: Expert) -> Expert:
    """Finance admits a pending expert into the library (入库)."""
    require_reviewer(reviewer)
    expert = lock_expert(expert)
    expert.admitted_at = clock.now()
    expert.reviewed_by_id = reviewer.id
    _move(expert, ExpertStatus.ACTIVE, "")
    return expert


def reject_expert(reviewer: User, expert: Expert, reason: str) -> Expert:
    require_reviewer(reviewer)
    if not reason.strip():
        raise ValidationError("请填写不予入库的理由。", code="reason_required")
    expert = lock_expert(expert)
    expert.reviewed_by_id = reviewer.id
    _move(expert, ExpertStatus.REJECTED, reason.strip())
    return expert


def suspend_expert(actor: User | None, expert: Expert, reason: str, until: date | None = None) -> Expert:
    """Bar an active expert from draws (by finance, or by the credit rule with actor None)."""
    if actor is not None:
        require_reviewer(actor)
    if not reason.strip():
        raise ValidationError("请填写暂停的理由。", code="reason_required")
    expert = lock_expert(expert)
    expert.suspended_until = until
    _move(expert, ExpertStatus.SUSPENDED, reason.strip())
    return expert


def reinstate_expert(actor: User | None, expert: Expert) -> Expert:
    if actor is not None:
        require_reviewer(actor)
    expert = lock_expert(expert)
    expert.suspended_until = None
    _move(expert, ExpertStatus.ACTIVE, "")
    return expert


def remove_expert(actor: User, expert: Expert, reason: str) -> Expert:
    require_reviewer(actor)
    if not reason.strip():
        raise ValidationError("请填写清退的理由。", code="reason_required")
    _move(lock_expert(expert), ExpertStatus.REMOVED, reason.strip())
    return expert


def suspension_over(today: date):
    """The SQL condition of a timed suspension that has ended by `today` (a local date)."""
    return (Expert.status == ExpertStatus.SUSPENDED) & Expert.suspended_until.is_not(None) \
        & (Expert.suspended_until < today)


def end_due_suspensions(today: date) -> int:
    """Reinstate experts whose timed suspension has ended (idempotent; the sweep reinstates each in its
    own transaction, expert_draw/timed.py)."""
    due = list(db.session.scalars(select(Expert).where(suspension_over(today)).with_for_update()))
    for expert in due:
        reinstate_expert(None, expert)
    return len(due)


# ---------------------------------------------------------------- registration


@dataclass
class Registration:
    name: str
    id_number: str
    phone: str
    region_code: str
    employer_name: str
    specialty_codes: list[str]
    employer_org_id: int | None = None
    title: str = ""
    qualification: str = ""
    email: str | None = None


def _check_registration(data: Registration, *, exclude_id: int | None = None) -> date:
    birth = birth_date_of(data.id_number)
    if not data.name.strip():
        raise ValidationError("请填写姓名。", code="name_required")
    if birth is None:
        raise ValidationError("身份证号码无效（长度、出生日期或校验位不符）。", code="id_number_invalid")
    if not is_valid_phone(data.phone):
        raise ValidationError("联系电话格式不正确。", code="phone_invalid")
    if db.session.get(Region, data.region_code) is None:
        raise ValidationError("所在区划不存在。", code="region_invalid")
    if data.employer_org_id is not None and db.session.get(Org, data.employer_org_id) is None:
        raise ValidationError("工作单位不存在。", code="employer_invalid")
    if not data.employer_name.strip():
        raise ValidationError("请填写工作单位。", code="employer_required")
    leaves = {s.code for s in leaf_specialties()}
    if not data.specialty_codes or not set(data.specialty_codes) <= leaves:
        raise ValidationError("请至少选择一个评审专业（须为末级专业）。", code="specialty_invalid")
    taken = db.session.scalar(select(Expert.id).where(Expert.id_number == data.id_number.strip().upper()))
    if taken is not None and taken != exclude_id:
        raise Conflict("该身份证号码已在专家库中登记。", code="id_number_taken")
    return birth


def _fill(expert: Expert, data: Registration, birth: date) -> None:
    expert.name = data.name.strip()
    expert.id_number = data.id_number.strip().upper()
    expert.birth_date = birth
    expert.phone = data.phone.strip()
    expert.email = data.email
    expert.region_code = data.region_code
    expert.employer_org_id = data.employer_org_id
    expert.employer_name = data.employer_name.strip()
    expert.title = data.title.strip()
    expert.qualification = data.qualification.strip()
    expert.specialty_rows = [ExpertSpecialty(specialty_code=c) for c in sorted(set(data.specialty_codes))]


def register_expert(user: User, data: Registration) -> Expert:
    """An expert registers online; a rejected one corrects and applies again (back to pending)."""
    if not user.has_role(Role.EXPERT):
        raise Forbidden("只有专家账户可以登记入库申请。", code="not_expert")
    expert = expert_of_user(user)
    if expert is not None and expert.status not in (ExpertStatus.PENDING, ExpertStatus.REJECTED):
        raise Conflict("您已入库，资料变更请联系财政部门。", code="already_registered")
    if expert is None and (imported := _imported_match(data)) is not None:
        return _claim(user, imported)
    birth = _check_registration(data, exclude_id=expert.id if expert else None)
    if expert is None:
        expert = Expert(user_id=user.id, registered_at=clock.now(), status=ExpertStatus.PENDING)
        db.session.add(expert)
    _fill(expert, data, birth)
    db.session.flush()
    if expert.status == ExpertStatus.REJECTED:
        _move(expert, ExpertStatus.PENDING, "")
    record(
        "registry.expert_registered",
        expert,
        {"specialties": expert.specialty_codes, "region": expert.region_code},
    )
    return expert


def _imported_match(data: Registration) -> Expert | None:
    """An imported expert (no account yet) with the same ID number, name and phone: the same person."""
    found = db.session.scalar(
        select(Expert).where(Expert.id_number == data.id_number.strip().upper(), Expert.user_id.is_(None))
    )
    if found is not None and found.name == data.name.strip() and found.phone == data.phone.strip():
        return found
    return None


def _claim(user: User, expert: Expert) -> Expert:
    """Link an imported library record to the expert's own account; the status stays as imported."""
    expert.user_id = user.id
    db.session.flush()
    record("registry.expert_claimed", expert, {"user_id": user.id})
    return expert


def known_org(name_or_uscc: str) -> int | None:
    """The registry's organisation a declared relation names — by USCC when one is given, else by its
    name compared loosely (as employers are) — so that avoidance matches it by id."""
    text = name_or_uscc.strip().upper()
    if len(text) == 18 and text.isalnum():
        found = db.session.scalar(select(Org.id).where(Org.uscc == text))
        if found is not None:
            return found
    ids = db.session.scalars(select(Org.id).where(normalised_sql(Org.name) == normalise_name(name_or_uscc))).all()
    return ids[0] if len(ids) == 1 else None


def add_relation(
    expert: Expert,
    kind: RelationKind | str,
    org_name: str,
    org_id: int | None = None,
    start_on: date | None = None,
    end_on: date | None = None,
    note: str = "",
) -> ExpertRelation:
    """Declare a relation (past employer, relative's employer, shareholding)."""
    kind = RelationKind(kind)
    if not org_name.strip():
        raise ValidationError("请填写单位名称。", code="org_name_required")
    if kind == RelationKind.PAST_EMPLOYER and end_on is None:
        raise ValidationError("曾任职单位须填写离职日期。", code="end_date_required")
    if start_on and end_on and start_on > end_on:
        raise ValidationError("开始日期不能晚于结束日期。", code="dates_reversed")
    if org_id is None:
        org_id = known_org(org_name)
    relation = ExpertRelation(
        expert_id=expert.id,
        kind=kind,
        org_name=org_name.strip(),
        org_id=org_id,
        start_on=start_on,
        end_on=end_on,
        note=note,
    )
    db.session.add(relation)
    db.session.flush()
    record("registry.expert_relation_added", expert, {"relation_id": relation.id, "kind": kind.value})
    return relation


def add_leave(expert: Expert, start_on: date, end_on: date, reason: str = "") -> ExpertLeave:
    """The expert declares a period of unavailability; it takes effect at once for new draws."""
    if start_on > end_on:
        raise ValidationError("请假开始日期不能晚于结束日期。", code="dates_reversed")
    if end_on < clock.to_local(clock.now()).date():
        raise ValidationError("不能登记已经过去的请假。", code="leave_in_past")
    leave = ExpertLeave(
        expert_id=expert.id, start_on=start_on, end_on=end_on, reason=reason.strip(), created_at=clock.now()
    )
    db.session.add(leave)
    db.session.flush()
    record(
        "registry.expert_leave_added",
        expert,
        {"leave_id": leave.id, "start_on": start_on.isoformat(), "end_on": end_on.isoformat()},
    )
    return leave


def cancel_leave(expert: Expert, leave_id: int) -> None:
    leave = db.session.get(ExpertLeave, leave_id)
    if leave is None or leave.expert_id != expert.id:
        raise NotFound("没有这条请假记录。", code="leave_not_found")
    db.session.delete(leave)
    db.session.flush()
    record("registry.expert_leave_cancelled", expert, {"leave_id": leave_id})


# ---------------------------------------------------------------- credit


def credit_rule_for(region_code: str | None) -> CreditRule:
    """The rule row of the nearest region (county, city, province), else the national default."""
    region = db.session.get(Region, region_code) if region_code else None
    for node in region.lineage() if region else []:
        rule = db.session.scalar(select(CreditRule).where(CreditRule.region_code == node.code))
        if rule is not None:
            return rule
    rule = db.session.scalar(
        select(CreditRule).where(CreditRule.region_code.is_(None)).order_by(CreditRule.id).limit(1)
    )
    if rule is None:
        rule = CreditRule(region_code=None, **DEFAULT_CREDIT_RULE)
        db.session.add(rule)
        db.session.flush()
    return rule


def credit_points(expert: Expert, at: datetime, rule: CreditRule | None = None) -> int:
    rule = rule or credit_rule_for(expert.region_code)
    since = at - timedelta(days=rule.window_days)
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(CreditRecord.points), 0)).where(
                CreditRecord.expert_id == expert.id,
                CreditRecord.occurred_at > since,
                CreditRecord.occurred_at <= at,
            )
        )
        or 0
    )


def credit_tier(points: int, rule: CreditRule) -> str:
    """'A' (clean), 'B' or 'C' by the penalty points in the rule's window."""
    if points < rule.tier_b_points:
        return "A"
    return "B" if points < rule.tier_c_points else "C"


def record_credit(
    expert: Expert, kind: CreditKind | str, note: str = "", source: str = "", actor: User | None = None
) -> CreditRecord:
    """Add a credit record; the region's rule may suspend the expert as a consequence."""
    kind = CreditKind(kind)
    rule = credit_rule_for(expert.region_code)
    now = clock.now()
    entry = CreditRecord(
        expert_id=expert.id,
        kind=kind,
        points=rule.points_for(kind),
        occurred_at=now,
        note=note,
        source=source,
        recorded_by_id=actor.id if actor else None,
    )
    db.session.add(entry)
    db.session.flush()
    points = credit_points(expert, now, rule)
    record(
        "registry.expert_credit_recorded",
        expert,
        {
            "kind": kind.value,
            "points": entry.points,
            "window_points": points,
            "source": source,
            "rule_version": rule.version,
        },
    )
    if points >= rule.suspend_points and expert.status == ExpertStatus.ACTIVE:
        until = clock.to_local(now).date() + timedelta(days=rule.suspend_days)
        suspend_expert(None, expert, f"信用记分 {points} 分，达到暂停标准 {rule.suspend_points} 分", until)
    return entry
