"""The agency registry's writes and reads: online registration, particulars and staff, listing (a
completeness check, never an approval), changes updated within the region's working days, the
supervisor's marks, and the public list.

Every write checks who acts and the listing's status, changes rows, audits and flushes; the caller
commits once, so a refused step leaves nothing half-stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import date

from sqlalchemy import func, select

from accounts import posts
from accounts.models import Org, OrgKind, Region, Role, User
from accounts.orgs import Person, check_person
from accounts.service import create_org, create_user, is_valid_uscc, oversees
from audit.service import record
from core import clock, workdays
from core.after_commit import after_commit
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationError
from core.transitions import move
from registry.agencies.models import AgencyListing, AgencyRating, AgencyStaff, ListingStatus
from registry.agencies.rules import rule

PHONE = re.compile(r"^(1\d{10}|0\d{2,3}-?\d{7,8})$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PUBLIC_STATUSES = (ListingStatus.LISTED, ListingStatus.SUSPENDED)


@dataclass
class Particulars:
    """What an agency states about itself (the organisation's name and USCC are fixed at sign-up)."""

    legal_rep: str = ""
    address: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    email: str = ""
    scope: str = ""


@dataclass
class StaffMember:
    name: str
    id_last4: str
    title: str = ""
    phone: str = ""


LIMITS = {"legal_rep": 60, "address": 200, "contact_name": 60, "contact_phone": 20, "email": 120, "scope": 2000}
REQUIRED = {"legal_rep": "法定代表人", "address": "办公地址", "contact_name": "联系人", "contact_phone": "联系电话"}
LABELS = {**REQUIRED, "email": "电子邮箱", "scope": "代理业务范围"}


# ---------------------------------------------------------------- who

def listing_of_org(org_id: int | None) -> AgencyListing | None:
    if org_id is None:
        return None
    return db.session.scalar(select(AgencyListing).where(AgencyListing.org_id == org_id))


def get_listing(listing_id: int, lock: bool = False) -> AgencyListing:
    stmt = select(AgencyListing).where(AgencyListing.id == listing_id)
    listing = db.session.scalar(stmt.with_for_update() if lock else stmt)
    if listing is None:
        raise NotFound("代理机构不存在。", code="agency_not_found")
    return listing


def my_listing(user: User) -> AgencyListing:
    """The listing of the agency the user administers; anyone else is refused."""
    listing = listing_of_org(user.org_id) if user.is_authenticated else None
    if listing is None:
        raise NotFound("您的单位不是已登记的代理机构。", code="agency_not_found")
    if not posts.can_manage(user, listing.org):
        raise Forbidden("只有代理机构的管理员可以维护登记信息。", code="not_org_admin")
    return listing


def is_overseer(user: User | None, listing: AgencyListing) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return user.has_role(Role.ADMIN) or (user.has_role(Role.SUPERVISOR) and oversees(user, listing.region_code))


# ---------------------------------------------------------------- registration

def sign_up(org_name: str, uscc: str, region_code: str, admin: Person, password: str, repeated: str) -> User:
    """A new agency registers online: its organisation, its administrator's account and a draft listing.
    A malformed or already registered USCC is refused before anything is stored."""
    org_name = (org_name or "").strip()
    if not 2 <= len(org_name) <= 120:
        raise ValidationError("请填写机构名称。", code="org_name_missing", details={"field": "org_name"})
    uscc = (uscc or "").strip().upper()
    if not is_valid_uscc(uscc):
        raise ValidationError("统一社会信用代码无效（18 位，校验位不符）。", code="uscc_invalid",
                              details={"field": "uscc"})
    if db.session.get(Region, region_code or "") is None:
        raise ValidationError("请选择所在区划。", code="region_unknown", details={"field": "region_code"})
    if password != repeated:
        raise ValidationError("两次输入的密码不一致。", code="password_mismatch", details={"field": "password2"})
    person = check_person(admin)
    org = create_org(org_name, OrgKind.AGENCY, region_code, uscc)
    user = create_user(person.username, person.name, password, [Role.AGENCY_STAFF], region_code, org=org,
                       phone=person.phone or None)
    user.org_admin = True
    now = clock.now()
    listing = AgencyListing(org_id=org.id, region_code=region_code, registered_at=now, updated_at=now,
                            contact_name=person.name, contact_phone=person.phone)
    db.session.add(listing)
    db.session.flush()
    record("registry.agency_registered", listing, {"org": org.id, "name": org_name, "uscc": uscc, "admin": user.id})
    return user


def check_particulars(data: Particulars) -> Particulars:
    clean = Particulars(**{f.name: (getattr(data, f.name) or "").strip() for f in fields(Particulars)})
    for name, limit in LIMITS.items():
        if len(getattr(clean, name)) > limit:
            raise ValidationError(f"“{LABELS[name]}”过长（不超过 {limit} 字）。", code="field_too_long",
                                  details={"field": name})
    if clean.contact_phone and not PHONE.match(clean.contact_phone):
        raise ValidationError("联系电话应为手机号码或带区号的固定电话。", code="phone_invalid",
                              details={"field": "contact_phone"})
    if clean.email and not EMAIL.match(clean.email):
        raise ValidationError("电子邮箱格式不正确。", code="email_invalid", details={"field": "email"})
    return clean


def missing(listing: AgencyListing) -> list[str]:
    """What a complete registration still lacks (Chinese, for the agency's page)."""
    gaps = [f"{label}" for name, label in REQUIRED.items() if not getattr(listing, name)]
    need = rule(listing.region_code, "agency_min_staff")
    if len(listing.staff) < need:
        gaps.append(f"专职人员（至少 {need} 名，已填 {len(listing.staff)} 名）")
    return gaps


def _touched(listing: AgencyListing) -> None:
    listing.updated_at = clock.now()


def update_particulars(user: User, data: Particulars) -> AgencyListing:
    """The agency changes its particulars; on a listed agency this is the update of its open change, if any."""
    listing = my_listing(user)
    _editable(listing)
    clean = check_particulars(data)
    changed = {f.name: getattr(clean, f.name) for f in fields(Particulars)
               if getattr(clean, f.name) != getattr(listing, f.name)}
    for name, new in changed.items():
        setattr(listing, name, new)
    _touched(listing)
    db.session.flush()
    record("registry.agency_particulars_updated", listing, {"fields": sorted(changed)})
    return listing


def _editable(listing: AgencyListing) -> None:
    if listing.status is ListingStatus.REMOVED:
        raise Conflict("已移出名录的代理机构不能修改登记信息。", code="agency_removed")


def check_staff(member: StaffMember) -> StaffMember:
    name = (member.name or "").strip()
    if not 1 <= len(name) <= 60:
        raise ValidationError("请填写人员姓名。", code="staff_name_missing", details={"field": "name"})
    last4 = (member.id_last4 or "").strip().upper()
    if not re.fullmatch(r"\d{3}[\dX]", last4):
        raise ValidationError("身份证号后四位应为 4 位数字（末位可为 X）。", code="staff_id_invalid",
                              details={"field": "id_last4"})
    phone = (member.phone or "").strip()
    if phone and not PHONE.match(phone):
        raise ValidationError("联系电话应为手机号码或带区号的固定电话。", code="phone_invalid",
                              details={"field": "phone"})
    title = (member.title or "").strip()[:60]
    return StaffMember(name, last4, title, phone)


def add_staff(user: User, member: StaffMember) -> AgencyStaff:
    listing = my_listing(user)
    _editable(listing)
    clean = check_staff(member)
    if any(s.name == clean.name and s.id_last4 == clean.id_last4 for s in listing.staff):
        raise Conflict(f"{clean.name} 已在专职人员名单中。", code="staff_duplicate")
    row = AgencyStaff(name=clean.name, id_last4=clean.id_last4, title=clean.title, phone=clean.phone,
                      added_at=clock.now())
    listing.staff.append(row)
    _touched(listing)
    db.session.flush()
    record("registry.agency_staff_added", listing, {"staff": row.id, "name": clean.name})
    return row


def remove_staff(user: User, staff_id: int) -> AgencyListing:
    """A staff member leaves. A listed agency keeps at least the region's minimum on its list."""
    listing = my_listing(user)
    _editable(listing)
    row = next((s for s in listing.staff if s.id == staff_id), None)
    if row is None:
        raise NotFound("该人员不在名单中。", code="staff_not_found")
    need = rule(listing.region_code, "agency_min_staff")
    if listing.status is not ListingStatus.DRAFT and len(listing.staff) - 1 < need:
        raise Conflict(f"名录中的代理机构至少应有 {need} 名专职人员：请先补充人员再删除。",
                       code="staff_below_minimum")
    listing.staff.remove(row)
    _touched(listing)
    db.session.flush()
    record("registry.agency_staff_removed", listing, {"staff": staff_id, "name": row.name})
    return listing


def submit_listing(user: User) -> AgencyListing:
    """Complete the registration: once nothing is missing the agency is listed (no approval step)."""
    listing = my_listing(user)
    if listing.status is not ListingStatus.DRAFT:
        raise Conflict("登记已完成，无需再次提交。", code="already_listed")
    gaps = missing(listing)
    if gaps:
        raise ValidationError("登记信息不完整：" + "、".join(gaps) + "。", code="listing_incomplete",
                              details={"missing": gaps})
    move(listing, ListingStatus.LISTED)
    listing.listed_at = clock.now()
    record("registry.agency_listed", listing, {"staff": len(listing.staff)})
    return listing


# ---------------------------------------------------------------- changes within the period

def note_change(user: User, changed_on: date, note: str) -> AgencyListing:
    """The agency says its particulars changed on `changed_on`: the update is due within the region's
    working days of that day (the chronograph warns when it is not done in time)."""
    listing = my_listing(user)
    if listing.status not in PUBLIC_STATUSES:
        raise Conflict("只有已在名录中的代理机构需要登记信息变更。", code="not_listed")
    if listing.change_on is not None:
        raise Conflict("已有一项未完成的信息变更，请先完成更新。", code="change_open")
    today = clock.to_local(clock.now()).date()
    if changed_on > today:
        raise ValidationError("变更日期不能晚于今天。", code="change_date_future", details={"field": "changed_on"})
    note = (note or "").strip()
    if not 1 <= len(note) <= 200:
        raise ValidationError("请简要说明变更内容（不超过 200 字）。", code="change_note_missing",
                              details={"field": "note"})
    days = rule(listing.region_code, "agency_update_workdays")
    listing.change_on, listing.change_note = changed_on, note
    listing.update_due_at = clock.end_of_local_day(workdays.period_end_workdays(changed_on, days))
    listing.overdue_warned_at = None
    db.session.flush()
    record("registry.agency_change_noted", listing, {"changed_on": changed_on.isoformat(), "note": note,
                                                     "workdays": days, "due": listing.update_due_at.isoformat()})
    return listing


def finish_update(user: User) -> AgencyListing:
    """The agency has brought its particulars and staff up to date: the open change closes (late or not)."""
    listing = my_listing(user)
    if listing.change_on is None:
        raise Conflict("没有未完成的信息变更。", code="no_change_open")
    late = clock.now() > listing.update_due_at
    payload = {"changed_on": listing.change_on.isoformat(), "late": late}
    listing.change_on, listing.update_due_at, listing.change_note = None, None, ""
    listing.overdue_warned_at = None
    _touched(listing)
    db.session.flush()
    record("registry.agency_update_finished", listing, payload)
    return listing


def is_update_overdue(listing: AgencyListing) -> bool:
    return listing.update_due_at is not None and clock.now() > listing.update_due_at


def warn_overdue_update(listing: AgencyListing) -> bool:
    """The chronograph's step: an open change past its due time warns the agency and the supervisors once."""
    if listing.update_due_at is None or listing.overdue_warned_at is not None or not is_update_overdue(listing):
        return False
    listing.overdue_warned_at = clock.now()
    record("registry.agency_update_overdue", listing, {"changed_on": listing.change_on.isoformat(),
                                                       "due": listing.update_due_at.isoformat()},
           actor="system:sweep")
    message = {"title": "代理机构信息逾期未更新", "level": "warning", "url": "/agencies/mine",
               "body": f"{listing.org.name} 于 {listing.change_on.isoformat()} 发生的信息变更未在期限内完成更新。"}
    after_commit(_send, message, _supervisors(listing.region_code), [listing.org_id])
    return True


def _send(message: dict, user_ids: list[int], org_ids: list[int]) -> None:
    from core.tasks import send_message

    send_message.delay(message, user_ids=user_ids, org_ids=org_ids)


def _supervisors(region_code: str) -> list[int]:
    users = db.session.scalars(select(User).where(User.active.is_(True)))
    return [u.id for u in users if u.has_role(Role.SUPERVISOR) and oversees(u, region_code)]


# ---------------------------------------------------------------- the supervisor's marks

MARKS = {"suspend": ListingStatus.SUSPENDED, "restore": ListingStatus.LISTED, "remove": ListingStatus.REMOVED}


def mark_listing(user: User, listing_id: int, mark: str, reason: str) -> AgencyListing:
    """The supervisor suspends (暂停), restores or removes (移出名录) a listed agency, with a reason."""
    listing = get_listing(listing_id, lock=True)
    if not is_overseer(user, listing):
        raise Forbidden("只有本地区的监管部门可以标记代理机构。", code="not_overseer")
    if mark not in MARKS:
        raise ValidationError("未知的操作。", code="mark_unknown", details={"field": "mark"})
    reason = (reason or "").strip()
    if not 1 <= len(reason) <= 300:
        raise ValidationError("请填写原因（不超过 300 字）。", code="reason_missing", details={"field": "reason"})
    move(listing, MARKS[mark], payload={"reason": reason})
    listing.mark_reason = "" if mark == "restore" else reason
    record("registry.agency_marked", listing, {"mark": mark, "reason": reason})
    return listing


def listings_overseen(user: User) -> list[AgencyListing]:
    rows = db.session.scalars(select(AgencyListing).join(Org).order_by(Org.name))
    return [r for r in rows if is_overseer(user, r)]


# ---------------------------------------------------------------- the public list

@dataclass
class PublicEntry:
    listing: AgencyListing
    staff_count: int
    rating: float | None
    ratings: int
    overdue: bool
    by_dimension: dict[str, float]  # each dimension's average, over the ratings


def _dimension_averages(org_ids: list[int]) -> dict[int, dict[str, float]]:
    sums: dict[int, dict[str, list[int]]] = {}
    rows = db.session.execute(select(AgencyRating.agency_org_id, AgencyRating.scores)
                              .where(AgencyRating.agency_org_id.in_(org_ids)))
    for org_id, scores in rows:
        for code, value in scores.items():
            sums.setdefault(org_id, {}).setdefault(code, []).append(value)
    return {org_id: {code: round(sum(v) / len(v), 2) for code, v in codes.items()} for org_id, codes in sums.items()}


def public_list() -> list[PublicEntry]:
    """Listed and suspended agencies, by name, with their staff count and average rating (overall and per
    dimension)."""
    stats = dict((org_id, (avg, n)) for org_id, avg, n in db.session.execute(
        select(AgencyRating.agency_org_id, func.avg(AgencyRating.average), func.count())
        .group_by(AgencyRating.agency_org_id)))
    rows = db.session.scalars(select(AgencyListing).join(Org).where(AgencyListing.status.in_(PUBLIC_STATUSES))
                              .order_by(Org.name))
    rows = list(rows)
    dimensions = _dimension_averages([r.org_id for r in rows])
    out = []
    for r in rows:
        avg, n = stats.get(r.org_id, (None, 0))
        out.append(PublicEntry(r, len(r.staff), round(float(avg), 2) if avg is not None else None, n,
                               is_update_overdue(r), dimensions.get(r.org_id, {})))
    return out
