"""Account opening (账户开通): finance opens the purchasing units of its region and their departments;
each organisation's administrator creates and deactivates its people.

A unit is opened with its administrator's account; the administrator's first password is made here
and shown once to whoever opened it (never stored in clear), like an API token's secret. Every write
audits and flushes; the caller commits, so a refused step leaves nothing behind.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select

from accounts import posts
from accounts.models import Org, OrgKind, Role, User
from accounts.service import create_org, create_user, is_valid_uscc, oversees, regions_under
from audit.service import record
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationError

# The role a new person gets from the kind of organisation they belong to.
ROLE_OF_KIND = {OrgKind.PURCHASER: Role.PURCHASER, OrgKind.DEPARTMENT: Role.PURCHASER,
                OrgKind.AGENCY: Role.AGENCY_STAFF, OrgKind.CENTRAL_AGENCY: Role.AGENCY_STAFF,
                OrgKind.SUPPLIER: Role.SUPPLIER, OrgKind.FINANCE: Role.FINANCE_REVIEWER}
USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,31}$")
PHONE = re.compile(r"^1\d{10}$")


@dataclass
class NewAccount:
    user: User
    password: str  # the first password, shown once to whoever made the account


@dataclass
class Person:
    username: str
    name: str
    phone: str = ""


def is_finance(user: User | None, region_code: str | None = None) -> bool:
    """Staff of a finance bureau (业务科 or 采监科) overseeing `region_code`, or the platform admin."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return False
    if user.has_role(Role.ADMIN):
        return True
    staff = (user.has_role(Role.FINANCE_REVIEWER, Role.SUPERVISOR) and user.org is not None
             and user.org.kind == OrgKind.FINANCE)
    return staff and (region_code is None or oversees(user, region_code))


def require_finance(user: User, region_code: str | None = None) -> None:
    if not is_finance(user, region_code):
        raise Forbidden("只有本地区财政部门可以开通采购单位账户。", code="not_finance")


def check_person(person: Person) -> Person:
    username = (person.username or "").strip().lower()
    if not USERNAME.match(username):
        raise ValidationError("用户名为 3–32 位小写字母、数字或 _ . -，以字母或数字开头。", code="username_invalid",
                              details={"field": "username"})
    name = (person.name or "").strip()
    if not 1 <= len(name) <= 60:
        raise ValidationError("请填写姓名。", code="name_missing", details={"field": "name"})
    phone = (person.phone or "").strip()
    if phone and not PHONE.match(phone):
        raise ValidationError("手机号码应为 11 位数字。", code="phone_invalid", details={"field": "phone"})
    if db.session.scalar(select(User.id).where(User.username == username)):
        raise Conflict(f"用户名 {username} 已被使用。", code="username_taken", details={"field": "username"})
    return Person(username, name, phone)


def _new_account(org: Org, person: Person, admin: bool) -> NewAccount:
    password = secrets.token_urlsafe(9)
    user = create_user(person.username, person.name, password, [ROLE_OF_KIND[org.kind]], org.region_code, org=org,
                       phone=person.phone or None)
    user.org_admin = admin
    return NewAccount(user, password)


def open_purchaser(actor: User, name: str, uscc: str, region_code: str, admin: Person) -> NewAccount:
    """Finance opens a purchasing unit (采购单位) of its region with its administrator's account and the
    standard posts. A duplicate or malformed USCC is refused before anything is stored."""
    require_finance(actor, region_code)
    name = (name or "").strip()
    if not 2 <= len(name) <= 120:
        raise ValidationError("请填写单位名称。", code="org_name_missing", details={"field": "name"})
    uscc = (uscc or "").strip().upper()
    if not is_valid_uscc(uscc):
        raise ValidationError("统一社会信用代码无效（18 位，校验位不符）。", code="uscc_invalid",
                              details={"field": "uscc"})
    person = check_person(admin)
    org = create_org(name, OrgKind.PURCHASER, region_code, uscc)
    posts.ensure_standard_posts(org)
    account = _new_account(org, person, admin=True)
    record("accounts.purchaser_opened", org, {"name": name, "uscc": uscc, "region": region_code,
                                              "admin": account.user.id})
    return account


def purchasers_of(actor: User) -> list[Org]:
    """The purchasing units the finance user oversees, by name."""
    require_finance(actor)
    regions = regions_under(actor.region_code) if not actor.has_role(Role.ADMIN) else None
    stmt = select(Org).where(Org.kind == OrgKind.PURCHASER).order_by(Org.name)
    if regions is not None:
        stmt = stmt.where(Org.region_code.in_(regions))
    return list(db.session.scalars(stmt))


def get_org(org_id: int) -> Org:
    org = db.session.get(Org, org_id)
    if org is None:
        raise NotFound("单位不存在。", code="org_not_found")
    return org


def departments_of(org: Org) -> list[Org]:
    return list(db.session.scalars(select(Org).where(Org.parent_id == org.id).order_by(Org.name)))


def open_department(actor: User, unit_id: int, name: str) -> Org:
    """Finance (or the unit's own administrator) adds a department (内设部门) to a purchasing unit."""
    unit = get_org(unit_id)
    if unit.kind != OrgKind.PURCHASER:
        raise ValidationError("只能为采购单位设立内设部门。", code="not_purchaser")
    if not (is_finance(actor, unit.region_code) or posts.can_manage(actor, unit)):
        raise Forbidden("只有财政部门或本单位管理员可以设立内设部门。", code="not_finance")
    name = (name or "").strip()
    if not 1 <= len(name) <= 60:
        raise ValidationError("请填写部门名称。", code="org_name_missing", details={"field": "name"})
    if any(d.name == name for d in departments_of(unit)):
        raise Conflict(f"{unit.name} 已有部门“{name}”。", code="department_duplicate", details={"field": "name"})
    dept = create_org(name, OrgKind.DEPARTMENT, unit.region_code)
    dept.parent_id = unit.id
    posts.ensure_standard_posts(dept)
    record("accounts.department_opened", dept, {"unit": unit.id, "name": name})
    return dept


def people_of(org: Org) -> list[User]:
    return list(db.session.scalars(select(User).where(User.org_id == org.id).order_by(User.active.desc(), User.name)))


def create_member(actor: User, org_id: int, person: Person) -> NewAccount:
    """The administrator adds a person to the organisation (or to one of its departments)."""
    org = get_org(org_id)
    posts.require_manager(actor, org)
    if org.kind not in ROLE_OF_KIND:
        raise ValidationError("此类单位不能添加人员。", code="org_kind_refused")
    account = _new_account(org, check_person(person), admin=False)
    record("accounts.member_created", account.user, {"org": org.id, "by": actor.id})
    return account


def _member(actor: User, user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.org is None:
        raise NotFound("人员不存在。", code="user_not_found")
    posts.require_manager(actor, user.org)
    return user


def deactivate_member(actor: User, user_id: int) -> User:
    """Stop a person's account (they can no longer log in); their posts are given up, the record stays."""
    user = _member(actor, user_id)
    if user.id == actor.id:
        raise Conflict("不能停用自己的账户。", code="self_deactivation")
    if not user.active:
        raise Conflict("该账户已停用。", code="already_inactive")
    user.active = False
    held = posts.posts_held(user)
    for post in held:
        post.holders[:] = [h for h in post.holders if h.user_id != user.id]
    db.session.flush()
    record("accounts.member_deactivated", user, {"org": user.org_id, "posts": [p.code for p in held]})
    return user


def activate_member(actor: User, user_id: int) -> User:
    user = _member(actor, user_id)
    if user.active:
        raise Conflict("该账户正在使用。", code="already_active")
    user.active = True
    db.session.flush()
    record("accounts.member_activated", user, {"org": user.org_id})
    return user
