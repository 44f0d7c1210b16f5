"""Projects: create, publish (custody policy frozen), correction notices, clarifications,
supplier registration and document access.

Every function checks role, status and clock, changes state, writes its audit event and
flushes; the view or task commits once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, select

import crypto
from accounts.models import KeyPurpose, Org, OrgKind, PublicKey, Role, User
from audit.canonical import canonical_json
from audit.service import record
from beacon import current_chain
from core import clock, files, rooms
from core.after_commit import after_commit
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, PayloadTooLarge, ValidationError
from core.i18n import N_
from notices import kinds
from notices.models import Notice
from notices.service import notices_of, publish_notice
from region_rules.store import version as rules_version
from tender import custody, filestore, vault
from tender.keys import load_pem_public
from tender.models import (
    TLOCK_ID,
    TLOCK_LABEL,
    Clarification,
    Lot,
    Project,
    ProjectCustodian,
    Registration,
    TenderDocument,
)
from tender.rules import TENDER_METHODS, notice_period, rule
from tender.transitions import (
    Category,
    EvalMethod,
    LotStatus,
    Method,
    OpeningMode,
    ProjectStatus,
    move,
)

MiB = 1024 * 1024
MAX_DOCUMENT_BYTES = 200 * MiB  # a tender document; the request itself may be larger (MAX_CONTENT_LENGTH)
OPEN_FOR_SUPPLIERS = (ProjectStatus.PUBLISHED, ProjectStatus.BIDDING)
CATEGORY_ZH = {"goods": N_("货物"), "services": N_("服务"), "works": N_("工程")}
# tender's procurement notice (招标公告 / 采购公告 of every method it runs); the kit owns the shared kinds
TENDER_NOTICE = kinds.register("tender", N_("采购公告"))
# Hooks of the packages around the tender (plan/): what may stop a publication (a project without its
# procurement intention, a region that needs a confirmation), as {field: message}; and what a lot's end
# gives back (its budget draw) when it fails or its project is cancelled. Appended once at register().
PUBLISH_CHECKS: list[Callable[[Project], dict[str, str]]] = []
LOT_ENDED: list[Callable[[Lot, str], None]] = []
METHOD_ZH = {"public_tender": N_("公开招标"), "invited_tender": N_("邀请招标"),
             "competitive_negotiation": N_("竞争性谈判"), "competitive_consultation": N_("竞争性磋商"),
             "inquiry": N_("询价"), "single_source": N_("单一来源")}


# ---------------------------------------------------------------- who may do what

def is_project_staff(user: User, project: Project) -> bool:
    """Agency staff of the agency running the project."""
    return bool(user and user.is_authenticated and user.has_role(Role.AGENCY_STAFF)
                and user.org_id == project.agency_org_id)


def is_supplier(user: User) -> bool:
    return bool(user and user.is_authenticated and user.has_role(Role.SUPPLIER) and user.org is not None
                and user.org.kind == OrgKind.SUPPLIER and user.active)


def is_overseer(user: User) -> bool:
    return bool(user and user.is_authenticated and user.has_role(Role.SUPERVISOR, Role.ADMIN))


def is_custodian(user: User, project: Project) -> bool:
    return bool(user and user.is_authenticated and any(c.user_id == user.id for c in project.custodians))


def registration_of(user: User, project: Project) -> Registration | None:
    if not is_supplier(user):
        return None
    return db.session.scalar(select(Registration).where(Registration.project_id == project.id,
                                                        Registration.org_id == user.org_id))


def require_staff(user: User, project: Project) -> None:
    if not is_project_staff(user, project):
        raise Forbidden("只有本项目代理机构的经办人可以执行此操作。", code="not_project_staff")


def get_project(project_id: int, lock: bool = False) -> Project:
    stmt = select(Project).where(Project.id == project_id)
    project = db.session.scalar(stmt.with_for_update() if lock else stmt)
    if project is None:
        raise NotFound("项目不存在。", code="project_not_found")
    return project


def can_view(user: User | None, project: Project) -> bool:
    """Drafts are seen by the agency (and overseers); everything published is public."""
    if project.status != ProjectStatus.DRAFT:
        return True
    return bool(user is not None and (is_project_staff(user, project) or is_overseer(user)))


# ---------------------------------------------------------------- validation

def _err(errors: dict[str, str], field: str, message: str) -> None:
    errors.setdefault(field, message)


def _enum(errors: dict[str, str], data: dict, field: str, enum_cls, label: str):
    try:
        return enum_cls(data.get(field))
    except ValueError:
        _err(errors, field, f"{label}无效。")
        return None


def _time(errors: dict[str, str], data: dict, field: str, label: str) -> datetime | None:
    value = data.get(field)
    if value is None or value == "":
        _err(errors, field, f"请填写{label}。")
        return None
    try:
        return clock.as_utc(value) if isinstance(value, datetime) else clock.parse_iso_utc(value, field)
    except (ValueError, TypeError):
        _err(errors, field, f"{label}格式无效（需带时区，例如 2026-12-01T09:30:00+08:00）。")
        return None


def _criterion_items(errors: dict[str, str], i: int, name: str, weight: int, raw: Any) -> list[dict] | None:
    """A criterion's 评分细则: [{"text", "points"}], each with its own range, their points adding up to the
    criterion's weight (what the experts see beside each box). None after an error."""
    if raw in (None, []):
        return []
    if not isinstance(raw, list):
        _err(errors, "criteria", f"第 {i} 项评分因素“{name}”的评分细则格式无效。")
        return None
    items = []
    for j, sub in enumerate(raw, start=1):
        text = str((sub or {}).get("text", "")).strip() if isinstance(sub, dict) else ""
        points = sub.get("points") if isinstance(sub, dict) else None
        if not text or isinstance(points, bool) or not isinstance(points, int) or points < 0:
            _err(errors, "criteria", f"“{name}”的第 {j} 条评分细则需要内容和非负整数分值。")
            return None
        items.append({"text": text[:500], "points": points})
    if sum(x["points"] for x in items) != weight:
        _err(errors, "criteria", f"“{name}”的评分细则分值之和应为 {weight}，当前为 {sum(x['points'] for x in items)}。")
        return None
    return items


def check_criteria(errors: dict[str, str], region_code: str, category: Category | None,
                   eval_method: EvalMethod | None, criteria: Any, price_fixed: bool) -> list[dict]:
    """Weights sum to 100; the price weight respects the region's floor (and cap) for the category."""
    clean: list[dict] = []
    if not isinstance(criteria, list):
        _err(errors, "criteria", "评分标准格式无效。")
        return clean
    for i, item in enumerate(criteria, start=1):
        name = str((item or {}).get("name", "")).strip()
        weight = (item or {}).get("weight")
        if not name or isinstance(weight, bool) or not isinstance(weight, int) or weight < 0:
            _err(errors, "criteria", f"第 {i} 项评分因素需要名称和非负整数分值。")
            return clean
        entry = {"name": name, "weight": weight, "price": bool(item.get("price"))}
        items = _criterion_items(errors, i, name, weight, item.get("items"))
        if items is None:
            return clean
        if items:
            entry["items"] = items
        clean.append(entry)
    if eval_method != EvalMethod.SCORING or category is None:
        return clean
    total = sum(c["weight"] for c in clean)
    if total != 100:
        _err(errors, "criteria", f"各评分因素分值之和必须为 100，当前为 {total}。")
    price = sum(c["weight"] for c in clean if c["price"])
    if price_fixed:
        if price:
            _err(errors, "criteria", "价格固定的项目不得设置价格分。")
        return clean
    low = rule(region_code, f"price_weight_min.{category.value}")
    high = rule(region_code, f"price_weight_max.{category.value}")
    if not low <= price <= high:
        _err(errors, "criteria", f"{CATEGORY_ZH[category.value]}项目的价格分值比重应在 {low}%–{high}% 之间，"
                                 f"当前为 {price}%。")
    return clean


SME_RATES = (("sme_percent", "evaluation.sme_small_micro", "小微企业价格扣除比例"),
             ("sme_consortium_percent", "evaluation.sme_consortium", "联合体、分包价格扣除比例"))


def check_sme_rates(errors: dict[str, str], region_code: str, category: Category | None,
                    data: dict[str, Any]) -> dict[str, Decimal | None]:
    """The deduction rates the tender document grants, each within the region's band for the category
    (财库〔2020〕46号 Art 9, 财库〔2022〕19号); empty: the band's low end."""
    rates: dict[str, Decimal | None] = {}
    for field, stem, label in SME_RATES:
        raw = data.get(field)
        rates[field] = None
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        try:
            if isinstance(raw, bool):
                raise InvalidOperation
            value = Decimal(str(raw).strip())
            if not value.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            _err(errors, field, f"{label}应为百分数，如 10 或 10.5。")
            continue
        if category is not None:
            band = f"{stem}_works" if category == Category.WORKS else stem
            low, high = rule(region_code, f"{band}_low"), rule(region_code, f"{band}_high")
            if not low <= value <= high:
                _err(errors, field, f"{label}应在本地区规定的 {low}%–{high}% 之间，当前为 {value}%。")
                continue
        rates[field] = value.quantize(Decimal("0.01"))
    return rates


def check_lots(errors: dict[str, str], lots: Any) -> list[dict]:
    clean: list[dict] = []
    if not isinstance(lots, list) or not lots:
        _err(errors, "lots", "至少需要一个标项。")
        return clean
    for i, lot in enumerate(lots, start=1):
        name = str((lot or {}).get("name", "")).strip()
        budget, ceiling = (lot or {}).get("budget_fen"), (lot or {}).get("max_price_fen")
        if not name:
            _err(errors, "lots", f"标项 {i} 缺少名称。")
        elif not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in (budget, ceiling)):
            _err(errors, "lots", f"标项 {i} 的预算金额和最高限价必须是正数。")
        elif ceiling > budget:
            _err(errors, "lots", f"标项 {i} 的最高限价不得高于预算金额。")
        else:
            clean.append({"name": name[:200], "budget_fen": budget, "max_price_fen": ceiling})
    return clean


def check_timeline(errors: dict[str, str], project: Project | SimpleNamespace, at: datetime,
                   confirm_year: int | None = None) -> None:
    """Order of the dates, and the method's legal periods (of a project, or of an input not yet written
    onto one), counted by local calendar dates as the Civil Code counts them (Art 201, 203): the day the
    documents are first issued is not counted, and a period ending on a rest day ends on the next working
    day. Tenders: 20 days from the first issue of the documents (政府采购法 Art 35) and documents on offer
    for 5 working days (87号令 Art 24); negotiation, inquiry and single source count working days and
    have no tender document period. A date in a year the working-day calendar does not cover is refused
    unless `confirm_year` names that year (the period would be counted on Monday–Friday alone)."""
    from core.workdays import get_calendar, period_end_calendar_days

    p = project
    if not (p.notice_at <= p.doc_start_at <= p.doc_end_at <= p.deadline):
        _err(errors, "timeline", "时间顺序应为：公告时间 ≤ 文件发售开始 ≤ 文件发售结束 ≤ 投标截止时间。")
    if p.clarify_deadline > p.deadline:
        _err(errors, "clarify_deadline", "澄清截止时间不得晚于投标截止时间。")
    calendar = get_calendar()
    days = _period_days(p, at)
    missing = uncovered_years(p, at)
    if missing and missing != [confirm_year]:
        years = "、".join(str(y) for y in missing)
        _err(errors, "calendar", f"工作日历尚未载入 {years} 年的法定节假日安排，不能据此计算期限；请先由财政监管人员"
                                 f"添加 {years} 年的节假日安排，或确认按周一至周五计算（须写明确认的年份 {years}）。")
    start, deadline = days["doc_start_at"], days["deadline"]
    length, in_workdays = notice_period(p.region_code, p.method.value)
    if in_workdays:
        earliest = calendar.add_workdays(start, length)
        unit = "个工作日"
    else:
        earliest = period_end_calendar_days(start, length, calendar)
        unit = "日"
    if deadline < earliest:
        _err(errors, "deadline", f"自文件开始发出之日（{start.isoformat()}，当日不计入）至投标截止"
                                 f"不得少于 {length} {unit}，截止日期最早为 {earliest.isoformat()}；"
                                 f"当前为 {deadline.isoformat()}。")
    if p.method.value in TENDER_METHODS:
        doc_days = rule(p.region_code, "min_doc_workdays")
        if calendar.workdays_between(start, days["doc_end_at"]) < doc_days:
            _err(errors, "doc_end_at", f"招标文件提供期限不得少于 {doc_days} 个工作日（开始之日不计入），最早至 "
                                       f"{calendar.add_workdays(start, doc_days).isoformat()}。")
    if p.deadline <= at:
        _err(errors, "deadline", "投标截止时间已过。")


def _period_days(project: Project | SimpleNamespace, at: datetime) -> dict[str, date]:
    """The local dates the legal periods are counted between; documents issued before `at` count from `at`."""
    days = {name: clock.to_local(getattr(project, name)).date() for name in ("doc_start_at", "doc_end_at", "deadline")}
    days["doc_start_at"] = max(days["doc_start_at"], clock.to_local(at).date())
    return days


def uncovered_years(project: Project | SimpleNamespace, at: datetime | None = None) -> list[int]:
    """Years of the project's periods that the working-day calendar lacks: publishing then needs the
    agency's confirmation naming the year (the page asks for it before anyone presses 发布)."""
    from core.workdays import get_calendar

    calendar = get_calendar()
    return sorted({d.year for d in _period_days(project, at or clock.now()).values() if not calendar.covers(d)})


def _confirm_year(data: dict[str, Any]) -> int | None:
    """The year the agency confirmed to count on Monday–Friday alone (`confirm_uncovered_year`)."""
    value = data.get("confirm_uncovered_year")
    return value if isinstance(value, int) and not isinstance(value, bool) else (
        int(value) if isinstance(value, str) and value.isdigit() else None)


def raise_if(errors: dict[str, str], code: str = "project_invalid") -> None:
    if errors:
        raise ValidationError("；".join(errors.values()), code=code, details={"fields": errors})


def _check_custody(errors: dict[str, str], region_code: str, holders: list, k: int) -> str:
    """The no-single-party rule (tender/custody.py); returns the error code to raise with."""
    problem = custody.check_custody(region_code, holders, k)
    if problem is None:
        return "project_invalid"
    _err(errors, "custodians", problem.message)
    return problem.code


# ---------------------------------------------------------------- create and edit (drafts)

TIME_FIELDS = (("notice_at", "公告时间"), ("doc_start_at", "文件发售开始时间"), ("doc_end_at", "文件发售结束时间"),
               ("clarify_deadline", "澄清截止时间"), ("deadline", "投标截止（开标）时间"))
TIME_NAMES = tuple(name for name, _label in TIME_FIELDS)


@dataclass
class ProjectSpec:
    """A checked project input: the project's own columns, its lots and its custodians."""

    columns: dict[str, Any]
    lots: list[dict]
    custodians: list[User]
    include_vault: bool
    include_tlock: bool = False


def _custodian_users(errors: dict[str, str], user_ids: Any) -> list[User]:
    users: list[User] = []
    if not isinstance(user_ids, list):
        _err(errors, "custodians", "密钥保管人格式无效。")
        return users
    for uid in dict.fromkeys(user_ids):
        custodian = db.session.get(User, uid) if isinstance(uid, int) else None
        if custodian is None or not custodian.active:
            _err(errors, "custodians", f"密钥保管人 {uid} 不存在。")
        elif latest_encrypt_key(custodian) is None:
            _err(errors, "custodians", f"{custodian.name} 尚未登记加密公钥，不能担任密钥保管人。")
        else:
            users.append(custodian)
    return users


def latest_encrypt_key(user: User) -> PublicKey | None:
    return db.session.scalar(select(PublicKey).where(
        PublicKey.user_id == user.id, PublicKey.purpose == KeyPurpose.ENCRYPT, PublicKey.revoked_at.is_(None))
        .order_by(PublicKey.created_at.desc(), PublicKey.id.desc()).limit(1))


def _next_code(region_code: str, at: datetime) -> str:
    prefix = f"BY-{region_code}-{clock.to_local(at).year}-"
    count = db.session.scalar(select(func.count()).select_from(Project).where(Project.code.like(prefix + "%")))
    return f"{prefix}{(count or 0) + 1:04d}"


def check_project_data(region_code: str, data: dict[str, Any], at: datetime) -> ProjectSpec:
    """The one validation of a project's input, for create and edit alike: each field, the region's
    criteria rules, lots, custody (custodians, vault, k of n), opening mode and the method's legal
    periods counted from `at`. Raises `ValidationError` (`project_invalid`, every field's message in
    `details["fields"]`); changes nothing."""
    errors: dict[str, str] = {}
    title = str(data.get("title") or "").strip()
    if not title:
        _err(errors, "title", "请填写项目名称。")
    purchaser = db.session.get(Org, data.get("purchaser_org_id")) if isinstance(
        data.get("purchaser_org_id"), int) else None
    if purchaser is None or purchaser.kind != OrgKind.PURCHASER:
        _err(errors, "purchaser_org_id", "请选择采购单位。")
    catalogue = str(data.get("catalogue_code") or "").strip().upper()
    if not (2 <= len(catalogue) <= 20 and catalogue[0] in "ABC" and catalogue[1:].isalnum()):
        _err(errors, "catalogue_code", "采购目录编码无效（如 A02010104）。")
    category = _enum(errors, data, "category", Category, "采购类型")
    method = _enum(errors, data, "method", Method, "采购方式")
    eval_method = _enum(errors, data, "eval_method", EvalMethod, "评审方法")
    opening_mode = _enum(errors, data, "opening_mode", OpeningMode, "开标解密方式")
    price_fixed = bool(data.get("price_fixed"))
    is_complex = bool(data.get("is_complex"))
    complex_reason = str(data.get("complex_reason") or "").strip()
    if is_complex and not complex_reason:
        _err(errors, "complex_reason", "请说明项目技术复杂或社会影响较大的理由（评标委员会须为7人以上单数）。")
    criteria = check_criteria(errors, region_code, category, eval_method, data.get("criteria") or [], price_fixed)
    sme_rates = check_sme_rates(errors, region_code, category, data)
    lots = check_lots(errors, data.get("lots"))
    times = {f: _time(errors, data, f, label) for f, label in TIME_FIELDS}
    custodians = _custodian_users(errors, data.get("custodian_user_ids") or [])
    include_vault = data.get("include_vault", True) is not False
    include_tlock = data.get("include_tlock") is True
    n = len(custodians) + (1 if include_vault else 0) + (1 if include_tlock else 0)
    k = data.get("k")
    if n == 0:
        _err(errors, "custodians", "至少需要一个密钥保管人（可包括平台时间保险库）。")
    elif isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= n:
        _err(errors, "k", f"开启门限 k 必须在 1 到 {n} 之间。")
    code = "project_invalid"
    if "custodians" not in errors and "k" not in errors:
        code = _check_custody(errors, region_code, custody.spec_holders(
            custodians, include_vault, [tlock_holder()] if include_tlock else []), k)
    window = data.get("decrypt_window_minutes", 30)
    if isinstance(window, bool) or not isinstance(window, int) or not 5 <= window <= 24 * 60:
        _err(errors, "decrypt_window_minutes", "解密时限应在 5 分钟到 24 小时之间。")
    if method is not None and all(times.values()):
        check_timeline(errors, SimpleNamespace(region_code=region_code, method=method, **times), at,
                       _confirm_year(data))
    raise_if(errors, code)
    columns = {"title": title[:200], "purchaser_org_id": purchaser.id, "catalogue_code": catalogue,
               "category": category, "method": method, "eval_method": eval_method, "criteria": criteria,
               "price_fixed": price_fixed, "same_brand_counts_once": bool(data.get("same_brand_counts_once")),
               "is_complex": is_complex, "complex_reason": complex_reason[:300] if is_complex else "",
               "opening_mode": opening_mode, "decrypt_window_minutes": window, "k": k, **sme_rates, **times}
    return ProjectSpec(columns, lots, custodians, include_vault, include_tlock)


def _apply_spec(project: Project, spec: ProjectSpec) -> None:
    """Write a checked input onto a (new or draft) project. Lots are changed in place by number and
    custodians kept by id, so the unique (project, number) and (project, custodian) rows never clash."""
    for name, value in spec.columns.items():
        setattr(project, name, value)
    current = list(project.lots)
    for number, values in enumerate(spec.lots, start=1):
        if number <= len(current):
            for name, value in values.items():
                setattr(current[number - 1], name, value)
        else:
            project.lots.append(Lot(number=number, **values))
    del project.lots[len(spec.lots):]
    kept = {c.custodian_id: c for c in project.custodians}
    members = []
    for user in spec.custodians:
        member = kept.get(f"u{user.id}") or ProjectCustodian(custodian_id=f"u{user.id}", user_id=user.id,
                                                               public_key_pem="")
        member.label = user.name[:120]
        members.append(member)
    if spec.include_vault:
        members.append(kept.get(vault.VAULT_ID) or ProjectCustodian(custodian_id=vault.VAULT_ID,
                                                                   label=vault.VAULT_LABEL, public_key_pem=""))
    if spec.include_tlock:
        members.append(kept.get(TLOCK_ID) or ProjectCustodian(custodian_id=TLOCK_ID, label=TLOCK_LABEL,
                                                              public_key_pem=""))
    for position, member in enumerate(members):
        member.position = position
    project.custodians = members


def project_input(project: Project) -> dict[str, Any]:
    """The project as create/update input: what the edit form shows, what PATCH merges onto, and
    (its canonical JSON) what the audit event of an edit hashes."""
    return {
        "title": project.title, "purchaser_org_id": project.purchaser_org_id,
        "catalogue_code": project.catalogue_code, "category": project.category.value,
        "method": project.method.value, "eval_method": project.eval_method.value,
        "criteria": [{"name": c["name"], "weight": c["weight"], "price": bool(c.get("price"))}
                     | ({"items": c["items"]} if c.get("items") else {}) for c in project.criteria],
        "price_fixed": project.price_fixed, "same_brand_counts_once": project.same_brand_counts_once,
        "is_complex": project.is_complex, "complex_reason": project.complex_reason,
        **{field: None if getattr(project, field) is None else str(getattr(project, field))
           for field, _stem, _label in SME_RATES},
        "lots": [{"name": lot.name, "budget_fen": lot.budget_fen, "max_price_fen": lot.max_price_fen}
                 for lot in project.lots],
        **{name: clock.as_utc(getattr(project, name)).isoformat() for name in TIME_NAMES},
        "opening_mode": project.opening_mode.value, "decrypt_window_minutes": project.decrypt_window_minutes,
        "custodian_user_ids": [c.user_id for c in project.custodians if c.user_id is not None],
        "include_vault": any(c.is_vault for c in project.custodians),
        "include_tlock": any(c.is_tlock for c in project.custodians), "k": project.k,
    }


def _digest(obj: Any) -> str:
    return hashlib.sha256(canonical_json(obj)).hexdigest()


def create_project(user: User, data: dict[str, Any]) -> Project:
    """An agency creates a draft project from the form (purchaser, lots, methods, timeline, custody)."""
    if not (user.has_role(Role.AGENCY_STAFF) and user.org is not None
            and user.org.kind in (OrgKind.AGENCY, OrgKind.CENTRAL_AGENCY)):
        raise Forbidden("只有采购代理机构或采购中心的经办人可以创建项目。", code="not_agency")
    now = clock.now()
    region_code = user.org.region_code
    spec = check_project_data(region_code, data, now)
    project = Project(code=_next_code(region_code, now), region_code=region_code, agency_org_id=user.org_id,
                      created_by_id=user.id, created_at=now)
    _apply_spec(project, spec)
    db.session.add(project)
    db.session.flush()
    record("tender.project_created", project, {
        "code": project.code, "lots": len(project.lots), "budget_fen": project.budget_fen,
        "method": project.method.value, "opening_mode": project.opening_mode.value, "k": project.k,
        "n": len(project.custodians)})
    return project


def update_project(user: User, project_id: int, data: dict[str, Any], partial: bool = False) -> Project:
    """The agency edits its draft: the same input and the same checks as `create_project`; lots and
    custodians are replaced as given. `partial`: fields missing from `data` keep their values (PATCH).
    Documents are managed by `add_document` / `remove_document`. A refusal changes nothing."""
    project = get_project(project_id, lock=True)
    require_staff(user, project)
    if project.status != ProjectStatus.DRAFT:
        raise Conflict("只有草稿可以编辑；项目发布后请通过更正公告修改。", code="project_not_draft")
    before = project_input(project)
    if partial:
        data = {**before, **data}
    spec = check_project_data(project.region_code, data, clock.now())
    _apply_spec(project, spec)
    db.session.flush()
    after = project_input(project)
    changed = sorted(name for name in after if after[name] != before[name])
    if changed:
        record("tender.project_updated", project, {
            "code": project.code, "changed": changed, "before_sha256": _digest(before),
            "after_sha256": _digest(after), "lots": len(project.lots), "budget_fen": project.budget_fen,
            "k": project.k, "n": len(project.custodians)})
    return project


# ---------------------------------------------------------------- documents

def add_document(user: User, project: Project, name: str, stream) -> TenderDocument:
    require_staff(user, project)
    if project.status != ProjectStatus.DRAFT:
        raise Conflict("项目发布后，招标文件只能通过更正公告修改。", code="project_not_draft")
    name = files.upload_name(name, what="招标文件")
    if not name:
        raise ValidationError("请选择要上传的文件。", code="document_missing")
    try:
        with filestore.temp_upload(stream, max_bytes=MAX_DOCUMENT_BYTES) as upload:
            if upload.size == 0:
                raise ValidationError("上传的文件是空的。", code="document_empty")
            path = filestore.keep(upload, f"docs/{project.id}")
    except filestore.UploadTooLarge:
        raise PayloadTooLarge(f"招标文件不能超过 {files.size_text(MAX_DOCUMENT_BYTES)}（{MAX_DOCUMENT_BYTES} 字节）。",
                              code="document_too_large", details={"max_bytes": MAX_DOCUMENT_BYTES}) from None
    doc = TenderDocument(project_id=project.id, name=name, path=path, size=upload.size, sha256=upload.sha256,
                         uploaded_at=clock.now())
    db.session.add(doc)
    db.session.flush()
    record("tender.document_added", doc, {"project": project.code, "name": name, "sha256": upload.sha256})
    return doc


def remove_document(user: User, project_id: int, doc_id: int) -> TenderDocument:
    """The agency takes a wrong document off its draft. Published documents never change (corrections
    go through `publish_correction`). The caller deletes the file after the commit (`discard_file`)."""
    project = get_project(project_id, lock=True)
    require_staff(user, project)
    if project.status != ProjectStatus.DRAFT:
        raise Conflict("项目发布后，招标文件不能删除，只能通过更正公告修改。", code="project_not_draft")
    doc = db.session.get(TenderDocument, doc_id)
    if doc is None or doc.project_id != project.id:
        raise NotFound("文件不存在。", code="document_not_found")
    record("tender.document_removed", doc, {"project": project.code, "name": doc.name, "sha256": doc.sha256})
    project.documents.remove(doc)
    db.session.flush()
    return doc


def discard_file(path: str) -> None:
    """After the commit that removed a document: delete its file unless another document still uses it
    (a project redone by another method shares its predecessor's files)."""
    if not db.session.scalar(select(func.count()).select_from(TenderDocument).where(TenderDocument.path == path)):
        filestore.remove(path)


def can_download(user: User, project: Project) -> bool:
    if is_project_staff(user, project) or is_overseer(user):
        return True
    return project.status != ProjectStatus.DRAFT and registration_of(user, project) is not None


def document_for(user: User, project: Project, doc_id: int) -> TenderDocument:
    doc = db.session.get(TenderDocument, doc_id)
    if doc is None or doc.project_id != project.id:
        raise NotFound("文件不存在。", code="document_not_found")
    if not can_download(user, project):
        raise Forbidden("请先报名本项目，再下载招标文件。", code="not_registered")
    if is_supplier(user):
        record("tender.document_downloaded", doc, {"project": project.code, "org": user.org_id})
    return doc


# ---------------------------------------------------------------- publication

def policy_for(project: Project, lot: Lot) -> dict[str, Any]:
    """A lot's custody policy. The time-lock custodian is frozen to the configured beacon chain (hash and
    pinned public key) and to the first round published at or after the opening time."""
    members: list[crypto.Custodian | crypto.TlockCustodian] = []
    for c in project.custodians:
        if c.is_tlock:
            chain = current_chain()
            members.append(crypto.TlockCustodian(c.custodian_id, chain.chain_hash, chain.public_key,
                                                 chain.round_at(project.deadline), c.label))
        else:
            members.append(crypto.Custodian(c.custodian_id, load_pem_public(c.public_key_pem), c.label))
    return crypto.make_policy(project.code, str(lot.number), project.k, members)


def beacon_description(project: Project) -> dict[str, Any] | None:
    """What the tender page and notice say about the time-lock custodian: which beacon, which round, when."""
    target = tlock_of(project)
    if target is None:
        return None
    chain = current_chain()
    same_chain = chain.chain_hash == target["chain_hash"]
    public = same_chain and chain.is_public
    opens_at = None
    if same_chain:
        opens_at = clock.as_utc(datetime.fromtimestamp(chain.round_time(target["round"]), tz=clock.UTC))
    return {"public": public, "round": target["round"], "chain_hash": target["chain_hash"],
            "opens_at": opens_at, "known": same_chain}


def tlock_notice_lines(project: Project) -> list[str]:
    info = beacon_description(project)
    if info is None:
        return []
    beacon = ("drand 公共随机信标 quicknet（由多家独立机构联合签名）" if info["public"] else
              "本平台服务器上运行的本地信标（其时间锁仅与运行它的服务器同等可信）")
    return [f"时间锁保管人：{beacon}，第 {info['round']} 轮，链哈希 {info['chain_hash']}"]


def tlock_holder(custodian_id: str = TLOCK_ID) -> custody.Holder:
    """The time-lock custodian for the no-single-party rule: its own party on the public drand chain,
    the platform's on the local beacon (whose key lives on this machine)."""
    chain = current_chain()
    return custody.timelock_holder(custodian_id, chain.chain_hash, independent=chain.is_public)


def tlock_of(project: Project) -> dict[str, Any] | None:
    """The time-lock custodian's frozen target of a published project (chain hash, key, round), or None."""
    for lot in project.lots:
        for entry in (lot.policy or {}).get("custodians", []):
            if "tlock" in entry:
                return entry["tlock"]
    return None


def canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


HALL_NAMESPACE = "/opening"  # the opening hall's Socket.IO namespace (tender.events)


def announce_after_commit(project_id: int, what: str) -> None:
    """Push the hall's new state to its watchers once this change has committed (never if it rolls back)."""
    after_commit(rooms.announce, HALL_NAMESPACE, project_id, what)


def publish_project(user: User, project_id: int, *, confirm_uncovered_year: int | None = None) -> Project:
    """Validate, freeze each lot's custody policy, publish the tender notice with the policy hashes.
    `confirm_uncovered_year`: the agency's explicit confirmation, naming the year, that a period in a
    year the working-day calendar does not cover is counted on Monday–Friday alone (audited)."""
    project = get_project(project_id, lock=True)
    require_staff(user, project)
    now = clock.now()
    errors: dict[str, str] = {}
    check_timeline(errors, project, now, confirm_uncovered_year)
    if not project.documents:
        _err(errors, "documents", "发布前请上传招标文件。")
    for member in project.custodians:
        if member.is_vault:
            member.public_key_pem = vault.public_key_pem()
            continue
        if member.is_tlock:
            continue  # frozen in the policy (chain, key, round), not a PEM
        key = latest_encrypt_key(member.user)
        if key is None:
            _err(errors, "custodians", f"密钥保管人 {member.label} 的加密公钥已吊销，请重新登记或更换保管人。")
        else:
            member.public_key_id, member.public_key_pem = key.id, key.pem
    code = _check_custody(errors, project.region_code, custody.holders_of_project(project), project.k)
    for check in PUBLISH_CHECKS:
        errors.update(check(project))
    raise_if(errors, code)
    move(project, ProjectStatus.PUBLISHED)
    project.published_at = now
    project.published_rules_version = rules_version(project.region_code, now)
    hashes = {}
    for lot in project.lots:
        policy = policy_for(project, lot)
        lot.policy_json = canonical(policy)
        lot.policy_hash = crypto.policy_hash(policy).hex()
        hashes[str(lot.number)] = lot.policy_hash
    body = "\n".join([
        f"项目编号：{project.code}", f"采购单位：{project.purchaser.name}", f"采购代理机构：{project.agency.name}",
        f"采购目录：{project.catalogue_code}",
        f"投标截止（开标）时间：{clock.format_local(project.deadline)}（北京时间）",
        f"开标方式：网上开标，{'保管人联合解密' if project.opening_mode == OpeningMode.CUSTODIAN else '投标人自行解密'}"
        f"（{project.k}/{len(project.custodians)} 门限）",
        *[f"标项 {lot.number}《{lot.name}》托管策略哈希：{lot.policy_hash}" for lot in project.lots],
        *tlock_notice_lines(project)])
    publish_notice(project, TENDER_NOTICE, f"{project.title} 采购公告", body)
    if project.notice_at <= now:
        move(project, ProjectStatus.BIDDING)
    db.session.flush()
    record("tender.project_published", project, {"code": project.code, "policy_hashes": hashes,
                                                  "deadline": project.deadline.isoformat(),
                                                  "status": project.status.value,
                                                  "confirmed_uncovered_year": confirm_uncovered_year,
                                                  "rules_version": project.published_rules_version})
    announce_after_commit(project.id, "published")
    return project


def open_for_bids(project: Project) -> bool:
    """published -> bidding once the notice time has come (the sweep calls this)."""
    if project.status != ProjectStatus.PUBLISHED or project.notice_at > clock.now():
        return False
    move(project, ProjectStatus.BIDDING)
    record("tender.bidding_opened", project, {"code": project.code}, actor="system:sweep")
    return True


def settle_lot(lot: Lot, outcome: LotStatus, reason: str = "") -> None:
    """The end of an evaluated lot: its contract signed (CONTRACTED), or the lot failed in the
    evaluation (FAILED, with its 废标 notice). Once every lot of the project is settled the project
    closes: CLOSED when at least one contract was signed, FAILED when none. The caller audits."""
    project = get_project(lot.project_id, lock=True)
    move(lot, outcome)
    if outcome is LotStatus.FAILED:
        lot.failure_reason = reason[:200]
        publish_notice(project, kinds.FAILURE, f"{project.title} 标项{lot.number} 废标公告", reason, lot.id)
        for ended in LOT_ENDED:
            ended(lot, reason or "标项废标")
    settled = (LotStatus.CONTRACTED, LotStatus.FAILED)
    if project.status is ProjectStatus.EVALUATING and all(x.status in settled for x in project.lots):
        closed = any(x.status is LotStatus.CONTRACTED for x in project.lots)
        move(project, ProjectStatus.CLOSED if closed else ProjectStatus.FAILED)
        record("tender.project_closed", project, {"code": project.code, "status": project.status.value,
                                                  "lots": {str(x.number): x.status.value for x in project.lots}})


def cancel_project(user: User, project_id: int, reason: str) -> Project:
    project = get_project(project_id, lock=True)
    require_staff(user, project)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请填写终止原因。", code="reason_missing")
    move(project, ProjectStatus.CANCELLED)
    for lot in project.lots:
        for ended in LOT_ENDED:
            ended(lot, f"项目终止：{reason}")
    if project.published_at:
        publish_notice(project, kinds.FAILURE, f"{project.title} 终止公告", reason)
    record("tender.project_cancelled", project, {"code": project.code, "reason": reason})
    announce_after_commit(project.id, "cancelled")
    return project


def redo_failed_lots(user: User, project_id: int, method: str, reason: str) -> Project:
    """Start a new draft for the failed lots of a project, by another procurement method.

    The new draft keeps purchaser, evaluation, custody and documents; its timeline starts now
    and meets the new method's minimum periods (the agency edits the draft to change it)."""
    from tender.transitions import METHOD_SWITCHES

    old = get_project(project_id)
    require_staff(user, old)
    failed = [lot for lot in old.lots if lot.status == LotStatus.FAILED]
    if not failed or old.status not in (ProjectStatus.OPENING, ProjectStatus.OPENED, ProjectStatus.FAILED,
                                        ProjectStatus.EVALUATING, ProjectStatus.CLOSED):
        raise Conflict("只有开标后废标的标项可以变更采购方式重新采购。", code="nothing_failed")
    if method not in METHOD_SWITCHES.get(old.method.value, ()):
        raise ValidationError(f"{old.method.value} 废标后不能变更为 {method}。", code="method_switch_refused")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请填写变更采购方式的理由（如财政部门的批复文号）。", code="reason_missing")
    now = clock.now()
    from core.workdays import get_calendar

    doc_days = rule(old.region_code, "min_doc_workdays") if method in TENDER_METHODS else 0
    length, in_workdays = notice_period(old.region_code, method)
    today = clock.to_local(now).date()
    calendar = get_calendar()
    last = max(calendar.add_workdays(today, doc_days),
               calendar.add_workdays(today, length) if in_workdays else
               calendar.next_workday(today + timedelta(days=length)))
    deadline = now + timedelta(days=(last - today).days + 1)
    doc_end = now + timedelta(days=(calendar.add_workdays(today, doc_days) - today).days + 1)
    data = {"title": f"{old.title}（{'、'.join(str(lot.number) for lot in failed)}标项重新采购）",
            "purchaser_org_id": old.purchaser_org_id, "catalogue_code": old.catalogue_code,
            "category": old.category.value, "method": method, "eval_method": old.eval_method.value,
            "criteria": old.criteria, "price_fixed": old.price_fixed,
            "same_brand_counts_once": old.same_brand_counts_once,
            "is_complex": old.is_complex, "complex_reason": old.complex_reason,
            "lots": [{"name": lot.name, "budget_fen": lot.budget_fen, "max_price_fen": lot.max_price_fen}
                     for lot in failed],
            "notice_at": now, "doc_start_at": now, "doc_end_at": min(doc_end, deadline),
            "clarify_deadline": deadline - timedelta(days=1), "deadline": deadline,
            "opening_mode": old.opening_mode.value, "decrypt_window_minutes": old.decrypt_window_minutes,
            "custodian_user_ids": [c.user_id for c in old.custodians if c.user_id is not None],
            "include_vault": any(c.is_vault for c in old.custodians),
            "include_tlock": any(c.is_tlock for c in old.custodians), "k": old.k}
    new = create_project(user, data)
    new.previous_project_id = old.id
    for doc in old.documents:
        db.session.add(TenderDocument(project_id=new.id, name=doc.name, path=doc.path, size=doc.size,
                                      sha256=doc.sha256, uploaded_at=now))
    db.session.flush()
    record("tender.method_switched", new, {"from_project": old.code, "from_method": old.method.value,
                                           "to_method": method, "lots": [lot.number for lot in failed],
                                           "reason": reason})
    return new


def _move_deadline_if_needed(project: Project, now: datetime) -> datetime | None:
    """A clarification or correction less than N days (rule) before the deadline moves it."""
    days = rule(project.region_code, "clarification_min_days")
    if project.deadline - now >= timedelta(days=days):
        return None
    old = project.deadline
    project.deadline = now + timedelta(days=days)
    record("tender.deadline_moved", project, {"code": project.code, "from": old.isoformat(),
                                              "to": project.deadline.isoformat(), "rule_days": days})
    return project.deadline


def publish_correction(user: User, project_id: int, title: str, body: str) -> Notice:
    """Publish a correction notice (moving the deadline when the legal period requires it); once
    committed, the hall is told and every registered supplier gets a message."""
    project = get_project(project_id, lock=True)
    require_staff(user, project)
    if project.status not in OPEN_FOR_SUPPLIERS:
        raise Conflict("只有公告期或投标期的项目可以发布更正公告。", code="project_not_open")
    title, body = (title or "").strip(), (body or "").strip()
    if not title or not body:
        raise ValidationError("请填写更正公告的标题和内容。", code="notice_invalid")
    now = clock.now()
    moved = _move_deadline_if_needed(project, now)
    if moved:
        body += (f"\n\n因更正内容距投标截止不足法定期限，投标截止（开标）时间顺延至 "
                 f"{clock.format_local(moved)}（北京时间）。")
    notice = publish_notice(project, kinds.CORRECTION, title, body)
    record("tender.correction_published", notice, {"project": project.code, "title": notice.title})
    announce_after_commit(project.id, "correction")
    after_commit(notify_registered, project.id, f"更正公告：{notice.title}", notice.body)
    return notice


# ---------------------------------------------------------------- suppliers

def register_supplier(user: User, project_id: int) -> Registration:
    project = get_project(project_id)
    if not is_supplier(user):
        raise Forbidden("只有已入库的供应商可以报名。", code="not_supplier")
    if project.status not in OPEN_FOR_SUPPLIERS or clock.now() >= project.deadline:
        raise Conflict("本项目当前不接受报名。", code="registration_closed")
    existing = registration_of(user, project)
    if existing is not None:
        return existing
    reg = Registration(project_id=project.id, org_id=user.org_id, user_id=user.id, registered_at=clock.now())
    db.session.add(reg)
    db.session.flush()
    record("tender.supplier_registered", reg, {"project": project.code, "org": user.org_id})
    announce_after_commit(project.id, "changed")
    return reg


MAX_CONSORTIUM_MEMBERS = 10


def declare_consortium(user: User, project_id: int, members: list[dict[str, Any]]) -> Registration:
    """A registered supplier bidding as a consortium (联合体, 政府采购法第24条) names its other members by
    name and USCC before the deadline; an empty list means it bids alone. Each member is checked for credit
    with the bidder (a consortium is tainted by any member)."""
    from accounts.service import is_valid_uscc

    project = get_project(project_id)
    reg = registration_of(user, project)
    if reg is None:
        raise Forbidden("请先报名本项目。", code="not_registered")
    if project.status not in OPEN_FOR_SUPPLIERS or clock.now() >= project.deadline:
        raise Conflict("投标截止后不能再变更联合体成员。", code="registration_closed")
    if not isinstance(members, list) or len(members) > MAX_CONSORTIUM_MEMBERS:
        raise ValidationError(f"联合体成员最多 {MAX_CONSORTIUM_MEMBERS} 家。", code="consortium_invalid")
    cleaned, seen = [], {user.org.uscc} if user.org and user.org.uscc else set()
    for i, member in enumerate(members, start=1):
        name = str((member or {}).get("name", "")).strip()[:120]
        uscc = str((member or {}).get("uscc", "")).strip().upper()
        if not name:
            raise ValidationError(f"第 {i} 个联合体成员缺少名称。", code="consortium_member_name_required")
        if not is_valid_uscc(uscc):
            raise ValidationError(f"联合体成员“{name}”的统一社会信用代码无效。", code="consortium_member_uscc_invalid")
        if uscc in seen:
            raise ValidationError(f"联合体成员“{name}”重复或与投标人相同。", code="consortium_member_duplicate")
        seen.add(uscc)
        org = db.session.scalar(select(Org).where(Org.uscc == uscc))
        cleaned.append({"name": name, "uscc": uscc, "org_id": org.id if org else None})
    reg.consortium_members = cleaned or None
    record("tender.consortium_declared", reg, {"project": project.code, "org": user.org_id, "members": cleaned})
    return reg


def consortium_members(project_id: int, org_id: int) -> list[dict[str, Any]]:
    """The other members of a bidder's consortium ([] when it bids alone)."""
    reg = db.session.scalar(select(Registration).where(Registration.project_id == project_id,
                                                       Registration.org_id == org_id))
    return list(reg.consortium_members or []) if reg is not None else []


def ask_question(user: User, project_id: int, question: str) -> Clarification:
    project = get_project(project_id)
    if registration_of(user, project) is None:
        raise Forbidden("请先报名本项目，再提出疑问。", code="not_registered")
    if project.status not in OPEN_FOR_SUPPLIERS or clock.now() > project.clarify_deadline:
        raise Conflict("澄清（提问）截止时间已过。", code="questions_closed")
    question = (question or "").strip()
    if not question or len(question) > 4000:
        raise ValidationError("请填写问题（不超过 4000 字）。", code="question_invalid")
    item = Clarification(project_id=project.id, asked_by_org_id=user.org_id, question=question,
                         asked_at=clock.now())
    db.session.add(item)
    db.session.flush()
    record("tender.question_asked", item, {"project": project.code})
    announce_after_commit(project.id, "changed")
    return item


def answer_question(user: User, clarification_id: int, answer: str) -> Clarification:
    """Publish the answer to every registered supplier, without naming who asked (a clarification
    notice; once committed, the hall is told and the registered suppliers get a message)."""
    item = db.session.get(Clarification, clarification_id)
    if item is None:
        raise NotFound("问题不存在。", code="clarification_not_found")
    project = get_project(item.project_id, lock=True)
    require_staff(user, project)
    if item.answer is not None:
        raise Conflict("此问题已答复。", code="already_answered")
    if project.status not in OPEN_FOR_SUPPLIERS:
        raise Conflict("项目已截止，不能再发布澄清。", code="project_not_open")
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError("请填写答复内容。", code="answer_invalid")
    now = clock.now()
    item.answer, item.answered_at = answer, now
    moved = _move_deadline_if_needed(project, now)
    body = f"问：{item.question}\n答：{answer}"
    if moved:
        body += f"\n\n投标截止（开标）时间顺延至 {clock.format_local(moved)}（北京时间）。"
    publish_notice(project, kinds.CLARIFICATION, f"{project.title} 澄清", body)
    record("tender.question_answered", item, {"project": project.code, "deadline_moved": moved is not None})
    announce_after_commit(project.id, "clarification")
    after_commit(notify_registered, project.id, "澄清答复已发布", answer)
    return item


def registered_org_ids(project_id: int) -> list[int]:
    return list(db.session.scalars(select(Registration.org_id).where(Registration.project_id == project_id)))


def notify_registered(project_id: int, title: str, body: str) -> None:
    """A real-time message to every registered supplier (a follow-up, run after the commit; a courtesy only)."""
    from core.tasks import send_message

    try:
        send_message.delay({"title": title, "body": body[:500], "level": "info", "url": f"/tender/{project_id}"},
                     org_ids=registered_org_ids(project_id))
    except Exception:
        import logging

        logging.getLogger(__name__).exception("message to registered suppliers not sent")


def clarifications_for(user: User, project: Project) -> list[Clarification]:
    """Staff see every question; registered suppliers see the answered ones and their own."""
    rows = list(db.session.scalars(select(Clarification).where(Clarification.project_id == project.id)
                                   .order_by(Clarification.asked_at)))
    if is_project_staff(user, project) or is_overseer(user):
        return rows
    if registration_of(user, project) is None:
        return []
    return [c for c in rows if c.answer is not None or c.asked_by_org_id == user.org_id]


def notices_for(user: User | None, project: Project) -> list[Notice]:
    """Public notices for all; clarification notices for registered suppliers and staff only."""
    rows = notices_of(project)
    private_ok = user is not None and user.is_authenticated and (
        is_project_staff(user, project) or is_overseer(user) or registration_of(user, project) is not None)
    return [n for n in rows if n.kind.public or private_ok]


def public_projects(limit: int = 50) -> list[Project]:
    return list(db.session.scalars(select(Project).where(Project.status != ProjectStatus.DRAFT)
                                   .order_by(Project.published_at.desc()).limit(limit)))


def projects_of_agency(user: User) -> list[Project]:
    return list(db.session.scalars(select(Project).where(Project.agency_org_id == user.org_id)
                                   .order_by(Project.created_at.desc())))


def projects_of_purchaser(user: User) -> list[Project]:
    """The projects procured for the user's purchasing unit, once published (a draft is the agency's)."""
    if user.org_id is None:
        return []
    return list(db.session.scalars(select(Project).where(Project.purchaser_org_id == user.org_id,
                                                         Project.status != ProjectStatus.DRAFT)
                                   .order_by(Project.created_at.desc())))


def projects_of_supplier(user: User) -> list[Project]:
    return list(db.session.scalars(select(Project).join(Registration, Registration.project_id == Project.id)
                                   .where(Registration.org_id == user.org_id)
                                   .order_by(Project.deadline.desc())))


def projects_of_custodian(user: User) -> list[Project]:
    return list(db.session.scalars(select(Project).join(ProjectCustodian, ProjectCustodian.project_id == Project.id)
                                   .where(ProjectCustodian.user_id == user.id, Project.status != ProjectStatus.DRAFT)
                                   .order_by(Project.deadline.desc())))
