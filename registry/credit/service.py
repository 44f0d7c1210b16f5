"""Credit: assessing a party against the records, the checks other stages call, warning cards and the
sanctions ladder.

A party (an organisation, or a consortium member named by its USCC and name) is assessed on a day:
its records in force matched by USCC (strong: they bar where the region's rule says so, 财库〔2016〕125号)
or only by name (weak: a warning, the code may be another entity's), its sanctions in force, and the
score model (start, deductions per record kind and per sanction this year, thresholds). A consortium is
tainted by any member. The stages call three public functions:

- `check_at_registration(org)`: the supplier registry's admission review (a warning card, no refusal);
- `check_at_bid(org, members, subject, region_code)`: at bid submission, recorded and shown to the agency
  on the bid and opening pages (`warnings_for`), never a refusal;
- `refuse_barred_award(org, members, subject, region_code)`: at award confirmation, a barred winner is
  refused with the stable code `winner_credit_barred`; the refusal itself stays on record.

A warning becomes an explainable card (rule, inputs, threshold, records used) the supplier answers with a
statement and evidence; a supervisor then applies a sanction with a reason (or dismisses the card). A
sanction climbs the ladder warning → restricted → banned; a repeat offence within the region's window goes
one step up and lasts the previous period times the region's factor; a timed sanction lifts itself
(`lift_sanction`, the chronograph's `credit.lift_sanction`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, BinaryIO

from sqlalchemy import or_, select

from accounts.models import Org, Role, User
from accounts.orgnames import normalise_name, normalised_sql
from audit.service import record
from contracts.acceptance import poor_performances
from core import clock, files, workdays
from core.after_commit import after_commit, on_rollback
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, PayloadTooLarge, ValidationError
from core.filestore import Area, UploadTooLarge
from core.transitions import move
from region_rules import store
from registry.credit import rules
from registry.credit.models import (
    LADDER,
    CardEvidence,
    CardStatus,
    CreditCheck,
    CreditRecord,
    MatchKind,
    RecordKind,
    Sanction,
    SanctionLevel,
    SanctionStatus,
    WarningCard,
)

AREA = Area("credit")
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
EVIDENCE_SIGNATURES = {b"%PDF-": ".pdf", b"\xff\xd8\xff": ".jpg", b"\x89PNG\r\n\x1a\n": ".png"}
SUPERVISORS = (Role.SUPERVISOR, Role.ADMIN)
READERS = (Role.SUPERVISOR, Role.ADMIN, Role.FINANCE_REVIEWER, Role.AGENCY_STAFF)
IMPORTERS = (Role.FINANCE_REVIEWER, Role.SUPERVISOR, Role.ADMIN)
BARRED_CODE = "winner_credit_barred"
KIND_LABELS = {
    RecordKind.DISHONEST_DEBTOR: "失信被执行人",
    RecordKind.TAX_VIOLATION: "重大税收违法失信主体",
    RecordKind.PROCUREMENT_VIOLATION: "政府采购严重违法失信行为",
}
LEVEL_LABELS = {
    SanctionLevel.WARNING: "警示",
    SanctionLevel.RESTRICTED: "限制交易",
    SanctionLevel.BANNED: "禁止参加政府采购活动",
}


# ---------------------------------------------------------------- assessing a party


@dataclass(frozen=True)
class Party:
    """Who is assessed: an organisation on the platform, or a consortium member by its code and name."""

    name: str
    uscc: str | None = None
    org_id: int | None = None
    role: str = "bidder"  # bidder / member

    @classmethod
    def of(cls, org: Org, role: str = "bidder") -> Party:
        return cls(org.name, org.uscc, org.id, role)


@dataclass
class Assessment:
    """What the records and sanctions say about one party or a consortium on one day, with everything a
    card needs to explain it."""

    day: date
    region_code: str | None
    parties: list[dict[str, Any]] = field(default_factory=list)
    score: int = 0
    start: int = 0
    deductions: list[dict[str, Any]] = field(default_factory=list)
    record_ids: list[int] = field(default_factory=list)
    weak_record_ids: list[int] = field(default_factory=list)
    sanction_ids: list[int] = field(default_factory=list)
    bar_reasons: list[str] = field(default_factory=list)
    thresholds: dict[str, int] = field(default_factory=dict)
    level: SanctionLevel | None = None  # what the score model proposes
    rules_version: int = 0

    @property
    def barred(self) -> bool:
        return bool(self.bar_reasons)

    @property
    def warned(self) -> bool:
        return self.barred or self.level is not None or bool(self.weak_record_ids) or bool(self.sanction_ids)

    @property
    def rule(self) -> str:
        """The rule that fired, most serious first (a card names it)."""
        if self.barred:
            return "credit.bars"
        if self.level is not None:
            return "credit.score"
        if self.sanction_ids:
            return "credit.sanction_in_force"
        return "credit.name_match"

    def as_inputs(self) -> dict[str, Any]:
        return {"day": self.day.isoformat(), "score": self.score, "start": self.start,
                "deductions": self.deductions, "parties": self.parties, "bar_reasons": self.bar_reasons,
                "weak_record_ids": self.weak_record_ids, "sanction_ids": self.sanction_ids}

    def summary(self) -> str:
        """One Chinese sentence for the agency's page."""
        parts = list(self.bar_reasons)
        if self.weak_record_ids:
            parts.append(f"{len(self.weak_record_ids)} 条记录仅名称相同（统一社会信用代码不同或缺失），请核实")
        if self.sanction_ids:
            parts.append(f"{len(self.sanction_ids)} 项信用惩戒正在执行")
        parts.append(f"诚信分 {self.score}")
        return "；".join(parts)


PerformanceFeed = Callable[[int, datetime], list[dict[str, Any]]]
PERFORMANCE_FEEDS: list[PerformanceFeed] = []


def register_performance_feed(feed: PerformanceFeed) -> None:
    """A later package adds its own poor-performance marks (the e-mall's low ratings and upheld disputes):
    `feed(org_id, since)` returns one dict per mark, each deducted `credit.deduct.poor_performance` points.
    Registered from the package's `register(app)`, so credit never imports the packages that feed it."""
    if feed not in PERFORMANCE_FEEDS:
        PERFORMANCE_FEEDS.append(feed)


def _today() -> date:
    return clock.to_local(clock.now()).date()


def records_of(party: Party, day: date | None = None) -> tuple[list[CreditRecord], list[CreditRecord]]:
    """The party's records in force on `day`: (matched by USCC, matched only by name)."""
    day = day or _today()
    in_force = (CreditRecord.record_date <= day, CreditRecord.valid_until >= day)
    name = normalise_name(party.name)
    conditions = [normalised_sql(CreditRecord.name) == name]
    if party.uscc:
        conditions.append(CreditRecord.uscc == party.uscc.upper())
    rows = db.session.scalars(select(CreditRecord).where(*in_force, or_(*conditions)).order_by(CreditRecord.id))
    strong, weak = [], []
    for row in rows:
        (strong if party.uscc and row.uscc == party.uscc.upper() else weak).append(row)
    return strong, weak


def sanctions_in_force(org_id: int, at: datetime | None = None) -> list[Sanction]:
    at = at or clock.now()
    return list(db.session.scalars(select(Sanction).where(
        Sanction.org_id == org_id, Sanction.status == SanctionStatus.ACTIVE, Sanction.starts_at <= at,
        or_(Sanction.ends_at.is_(None), Sanction.ends_at > at)).order_by(Sanction.id)))


def _sanctions_this_year(org_id: int, day: date) -> list[Sanction]:
    start = clock.end_of_local_day(date(day.year, 1, 1)) - timedelta(days=1)
    return list(db.session.scalars(select(Sanction).where(
        Sanction.org_id == org_id, Sanction.status != SanctionStatus.REVOKED, Sanction.starts_at > start)))


def assess(parties: list[Party], region_code: str | None, day: date | None = None) -> Assessment:
    """Assess a bidder and its consortium members together (any member taints the whole)."""
    day = day or _today()
    out = Assessment(day=day, region_code=region_code)
    out.start = out.score = int(rules.rule(region_code, "credit.score_start"))
    out.thresholds = {k: int(rules.rule(region_code, f"credit.{k}_below")) for k in ("warn", "restrict", "ban")}
    out.rules_version = store.version(region_code)
    counted: set[int] = set()
    for party in parties:
        strong, weak = records_of(party, day)
        sanctions = sanctions_in_force(party.org_id) if party.org_id else []
        out.parties.append({"name": party.name, "uscc": party.uscc, "org_id": party.org_id, "role": party.role,
                            "records": [r.id for r in strong], "name_only": [r.id for r in weak],
                            "sanctions": [s.id for s in sanctions]})
        for row in strong:
            if row.id in counted:
                continue
            counted.add(row.id)
            out.record_ids.append(row.id)
            points = rules.deduction(region_code, row.kind)
            out.score -= points
            out.deductions.append({"record": row.id, "kind": row.kind.value, "points": points,
                                   "party": party.name})
            if rules.bars(region_code, row.kind):
                who = "联合体成员" if party.role == "member" else "供应商"
                out.bar_reasons.append(f"{who}“{party.name}”列入{KIND_LABELS[row.kind]}名单（{row.record_date}"
                                       f"记录，有效至 {row.valid_until}）")
        out.weak_record_ids += [r.id for r in weak if r.id not in out.weak_record_ids]
        for sanction in sanctions:
            out.sanction_ids.append(sanction.id)
            if sanction.level is SanctionLevel.BANNED:
                out.bar_reasons.append(f"“{party.name}”被禁止参加政府采购活动至 "
                                       f"{clock.format_local(sanction.ends_at, '%Y-%m-%d')}")
        if party.org_id:
            per = int(rules.rule(region_code, "credit.deduct.poor_performance"))
            since = clock.end_of_local_day(day - timedelta(days=366))
            for rating in poor_performances(party.org_id, since) if per else []:
                out.score -= per
                out.deductions.append({"performance": rating.contract_id, "rating": rating.score, "points": per,
                                       "party": party.name})
            for feed in PERFORMANCE_FEEDS if per else []:
                for mark in feed(party.org_id, since):
                    out.score -= per
                    out.deductions.append({**mark, "points": per, "party": party.name})
            per = int(rules.rule(region_code, "credit.deduct.sanction"))
            for sanction in _sanctions_this_year(party.org_id, day):
                out.score -= per
                out.deductions.append({"sanction": sanction.id, "level": sanction.level.value, "points": per,
                                       "party": party.name})
    out.score = max(out.score, 0)
    for level, key in ((SanctionLevel.BANNED, "ban"), (SanctionLevel.RESTRICTED, "restrict"),
                       (SanctionLevel.WARNING, "warn")):
        if out.score < out.thresholds[key]:
            out.level = level
            break
    return out


def assess_org(org: Org, region_code: str | None = None) -> Assessment:
    return assess([Party.of(org)], region_code or org.region_code)


def members_as_parties(members: list[dict[str, Any]] | None) -> list[Party]:
    """Consortium members as recorded by tender ({"name", "uscc", "org_id"?}) as parties."""
    out = []
    for member in members or []:
        org = db.session.get(Org, member["org_id"]) if member.get("org_id") else None
        out.append(Party.of(org, "member") if org is not None
                   else Party(member.get("name", ""), member.get("uscc") or None, None, "member"))
    return out


# ---------------------------------------------------------------- the checks other stages call


def _record_check(org: Org, stage: str, subject: str, found: Assessment, card: WarningCard | None) -> CreditCheck:
    check = CreditCheck(org_id=org.id, stage=stage, subject=subject, at=clock.now(), barred=found.barred,
                        warned=found.warned, score=found.score, findings=found.parties,
                        rules_version=found.rules_version, card_id=card.id if card else None)
    db.session.add(check)
    db.session.flush()
    record("registry.credit_checked", check, {"org": org.id, "stage": stage, "subject": subject,
                                              "barred": found.barred, "warned": found.warned, "score": found.score,
                                              "records": found.record_ids, "name_only": found.weak_record_ids,
                                              "card": card.id if card else None})
    return check


def check_at_registration(org: Org) -> Assessment:
    """The supplier registry's check while reviewing a registration: a card if anything is found (the
    reviewer and the supplier see it), never a refusal — registration is a completeness check."""
    found = assess_org(org)
    card = issue_card(org, found, "registration", f"org:{org.id}") if found.warned else None
    _record_check(org, "registration", f"org:{org.id}", found, card)
    return found


def check_at_bid(org: Org, members: list[dict[str, Any]] | None, subject: str, region_code: str) -> Assessment:
    """At bid submission: assess the bidder and its consortium members, keep the check, and issue a card
    when something is found. Never refuses: the agency sees the warning on the bid and opening pages and
    the qualification review decides (财库〔2016〕125号)."""
    found = assess([Party.of(org), *members_as_parties(members)], region_code)
    card = issue_card(org, found, "bid", subject) if found.warned else None
    _record_check(org, "bid", subject, found, card)
    return found


def is_barred(org: Org, members: list[dict[str, Any]] | None, region_code: str) -> bool:
    """Whether an award to this bidder (with its members) cannot be confirmed today; records nothing."""
    return assess([Party.of(org), *members_as_parties(members)], region_code).barred


class CreditBarred(Conflict):
    """A barred winner: refused, and the refusal (its check and audit event) is kept."""

    keep_changes = True


def refuse_barred_award(org: Org, members: list[dict[str, Any]] | None, subject: str, region_code: str) -> None:
    """At award confirmation: raise `CreditBarred` (code `winner_credit_barred`) if the winner or any
    consortium member is barred. Called before the award changes: the check row and its audit event are
    what the refusal keeps."""
    found = assess([Party.of(org), *members_as_parties(members)], region_code)
    if not found.barred:
        return
    card = issue_card(org, found, "award", subject)
    check = _record_check(org, "award", subject, found, card)
    record("registry.credit_award_refused", check, {"org": org.id, "subject": subject, "code": BARRED_CODE,
                                                    "reasons": found.bar_reasons})
    raise CreditBarred("该供应商不得确定为中标（成交）供应商：" + "；".join(found.bar_reasons) + "。",
                       code=BARRED_CODE, details={"reasons": found.bar_reasons, "check": check.id})


def warnings_for(subjects: list[str]) -> dict[int, CreditCheck]:
    """The latest check with a warning of each organisation among these subjects (a project's current
    bids, "tender_bid:<id>"), for the agency's project and opening pages."""
    if not subjects:
        return {}
    out: dict[int, CreditCheck] = {}
    for check in db.session.scalars(select(CreditCheck).where(CreditCheck.subject.in_(subjects),
                                                              CreditCheck.warned.is_(True)).order_by(CreditCheck.id)):
        out[check.org_id] = check
    return out


def latest_check(org_id: int, stage: str | None = None) -> CreditCheck | None:
    """The newest check of an organisation (at a stage), for the page that shows its outcome."""
    stmt = select(CreditCheck).where(CreditCheck.org_id == org_id)
    if stage:
        stmt = stmt.where(CreditCheck.stage == stage)
    return db.session.scalar(stmt.order_by(CreditCheck.id.desc()))


def check_summary(check: CreditCheck) -> str:
    """One sentence of a stored check for a page."""
    parts = []
    for party in check.findings:
        who = "联合体成员" if party.get("role") == "member" else "供应商"
        if party.get("records"):
            parts.append(f"{who}“{party['name']}”有 {len(party['records'])} 条有效失信记录")
        if party.get("name_only"):
            parts.append(f"{who}“{party['name']}”有 {len(party['name_only'])} 条仅名称相同的记录，请核实")
        if party.get("sanctions"):
            parts.append(f"{who}“{party['name']}”有 {len(party['sanctions'])} 项信用惩戒正在执行")
    parts.append(f"诚信分 {check.score}")
    return "；".join(parts)


# ---------------------------------------------------------------- warning cards


def issue_card(org: Org, found: Assessment, stage: str, subject: str) -> WarningCard:
    """A card for what `found` shows, unless an undecided card already shows the same records."""
    same = db.session.scalar(select(WarningCard).where(
        WarningCard.org_id == org.id, WarningCard.status.in_((CardStatus.OPEN, CardStatus.ANSWERED)),
        WarningCard.rule == found.rule).order_by(WarningCard.id.desc()))
    used = sorted({*found.record_ids, *found.weak_record_ids})
    if same is not None and sorted(same.record_ids) == used:
        return same
    now = clock.now()
    days = int(rules.rule(found.region_code, "credit.response_workdays"))
    due = clock.end_of_local_day(workdays.period_end_workdays(clock.to_local(now).date(), days))
    card = WarningCard(org_id=org.id, region_code=found.region_code or org.region_code, rule=found.rule,
                       stage=stage, subject=subject, inputs=found.as_inputs(),
                       threshold={**found.thresholds, "bars": found.bar_reasons != []}, record_ids=used,
                       proposed_level=proposed_level(org.id, found), rules_version=found.rules_version,
                       issued_at=now, respond_due_at=due)
    db.session.add(card)
    db.session.flush()
    record("registry.credit_card_issued", card, {"org": org.id, "rule": card.rule, "stage": stage,
                                                 "subject": subject, "records": used, "score": found.score,
                                                 "proposed": card.proposed_level.value})
    _tell_supplier(card, "诚信警示卡", f"平台查到与贵单位有关的失信记录或信用惩戒（诚信分 {found.score}）。请于 "
                   f"{clock.format_local(due, '%Y-%m-%d')} 前查看警示卡并可作出书面陈述。", "warning")
    return card


def _tell_supplier(card: WarningCard, title: str, body: str, level: str = "info") -> None:
    """The supplier's in-browser message about its card, sent after the commit."""
    from core.tasks import send_message

    after_commit(send_message.delay, {"title": title, "body": body, "level": level,
                                      "url": f"/credit/cards/{card.id}"}, org_ids=[card.org_id])


def proposed_level(org_id: int, found: Assessment) -> SanctionLevel:
    """The ladder's step the card proposes: barred is a ban, else the score's level (at least a warning),
    one step up for a repeat offence."""
    level = SanctionLevel.BANNED if found.barred else (found.level or SanctionLevel.WARNING)
    previous = _previous_sanction(org_id, found.region_code)
    if previous is not None:
        level = _step_up(level, previous.level)
    return level


def _step_up(level: SanctionLevel, previous: SanctionLevel) -> SanctionLevel:
    return LADDER[max(LADDER.index(level), min(LADDER.index(previous) + 1, len(LADDER) - 1))]


def _previous_sanction(org_id: int, region_code: str | None) -> Sanction | None:
    window = int(rules.rule(region_code, "credit.repeat_window_days"))
    since = clock.now() - timedelta(days=window)
    return db.session.scalar(select(Sanction).where(
        Sanction.org_id == org_id, Sanction.status != SanctionStatus.REVOKED, Sanction.starts_at >= since)
        .order_by(Sanction.starts_at.desc(), Sanction.id.desc()))


def get_card(card_id: int, lock: bool = False) -> WarningCard:
    stmt = select(WarningCard).where(WarningCard.id == card_id)
    card = db.session.scalar(stmt.with_for_update() if lock else stmt)
    if card is None:
        raise NotFound("警示卡不存在。", code="credit_card_not_found")
    return card


def can_see_card(user: User, card: WarningCard) -> bool:
    return user.has_role(*READERS) or (user.has_role(Role.SUPPLIER) and user.org_id == card.org_id)


def card_for(user: User, card_id: int) -> WarningCard:
    card = get_card(card_id)
    if not can_see_card(user, card):
        raise Forbidden("只能查看本单位的警示卡。", code="credit_card_forbidden")
    return card


def records_used(card: WarningCard) -> list[CreditRecord]:
    if not card.record_ids:
        return []
    return list(db.session.scalars(select(CreditRecord).where(CreditRecord.id.in_(card.record_ids))
                                   .order_by(CreditRecord.id)))


def cards_of_org(org_id: int) -> list[WarningCard]:
    return list(db.session.scalars(select(WarningCard).where(WarningCard.org_id == org_id)
                                   .order_by(WarningCard.id.desc())))


def list_cards(status: CardStatus | None = None) -> list[WarningCard]:
    stmt = select(WarningCard).order_by(WarningCard.id.desc())
    if status is not None:
        stmt = stmt.where(WarningCard.status == status)
    return list(db.session.scalars(stmt.limit(500)))


def _evidence_suffix(path) -> str:
    with open(path, "rb") as handle:
        head = handle.read(8)
    for magic, suffix in EVIDENCE_SIGNATURES.items():
        if head.startswith(magic):
            return suffix
    raise ValidationError("证明材料须为 PDF、JPG 或 PNG 文件。", code="credit_evidence_type_invalid")


def add_evidence(card: WarningCard, name: str, stream: BinaryIO) -> CardEvidence:
    """Store one evidence file of the supplier's statement; removed again if the transaction rolls back."""
    name = files.upload_name(name, what="证明材料")
    if not name:
        raise ValidationError("请选择要上传的文件。", code="credit_evidence_missing")
    try:
        with AREA.temp_upload(stream, max_bytes=MAX_EVIDENCE_BYTES) as upload:
            if upload.size == 0:
                raise ValidationError("上传的文件是空的。", code="credit_evidence_empty")
            path = AREA.keep(upload, f"cards/{card.id}", _evidence_suffix(upload.path))
    except UploadTooLarge:
        raise PayloadTooLarge(f"每份证明材料不能超过 {files.size_text(MAX_EVIDENCE_BYTES)}。",
                              code="credit_evidence_too_large", details={"max_bytes": MAX_EVIDENCE_BYTES}) from None
    on_rollback(AREA.remove, path)
    evidence = CardEvidence(card_id=card.id, name=name, path=path, size=upload.size, sha256=upload.sha256,
                            uploaded_at=clock.now())
    db.session.add(evidence)
    db.session.flush()
    return evidence


def answer_card(user: User, card_id: int, statement: str, uploads: list[tuple[str, BinaryIO]] = ()) -> WarningCard:
    """The supplier's written statement (陈述申辩) with its evidence, before any sanction."""
    card = get_card(card_id, lock=True)
    if not (user.has_role(Role.SUPPLIER) and user.org_id == card.org_id):
        raise Forbidden("只有被警示的供应商可以作出陈述。", code="credit_card_forbidden")
    statement = (statement or "").strip()
    if not statement:
        raise ValidationError("请填写书面陈述。", code="credit_statement_required")
    if len(statement) > 5000:
        raise ValidationError("书面陈述不能超过 5000 字。", code="credit_statement_too_long")
    move(card, CardStatus.ANSWERED)
    card.statement, card.answered_at, card.answered_by_id = statement, clock.now(), user.id
    stored = [add_evidence(card, name, stream) for name, stream in uploads if name]
    record("registry.credit_card_answered", card, {"org": card.org_id, "evidence": [e.sha256 for e in stored],
                                                   "late": clock.now() > card.respond_due_at})
    return card


def _require_supervisor(user: User | None) -> None:
    if user is not None and not user.has_role(*SUPERVISORS):
        raise Forbidden("只有监管部门可以作出信用惩戒决定。", code="credit_not_supervisor")


def apply_sanction(user: User | None, card_id: int, reason: str, level: SanctionLevel | str | None = None) -> Sanction:
    """The supervisor's decision on a card: a sanction on the ladder, with a reason. Allowed once the
    supplier has answered or its period to answer is over. A repeat offence within the region's window
    goes one step up the ladder and lasts the previous period times the region's factor (capped)."""
    _require_supervisor(user)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请填写惩戒的理由。", code="credit_sanction_reason_required")
    try:
        level = SanctionLevel(level) if level else None
    except ValueError:
        raise ValidationError("请选择惩戒等级。", code="credit_sanction_level_invalid") from None
    card = get_card(card_id, lock=True)
    if card.status is CardStatus.OPEN and clock.now() <= card.respond_due_at:
        raise Conflict(f"供应商可在 {clock.format_local(card.respond_due_at)} 前作出陈述，期满或陈述后方可决定。",
                       code="credit_response_pending", details={"respond_due_at": card.respond_due_at.isoformat()})
    region = card.region_code
    level = level or card.proposed_level
    previous = _previous_sanction(card.org_id, region)
    months = rules.base_months(region, level)
    if previous is not None:
        level = _step_up(level, previous.level)
        months = rules.base_months(region, level)
        if previous.months:
            factor = int(rules.rule(region, "credit.repeat_factor_percent"))
            months = max(months, previous.months * factor // 100)
    if level in rules.MAX_MONTHS:
        months = min(months, rules.MAX_MONTHS[level])
    now = clock.now()
    ends = _add_months(now, months) if months else None
    sanction = Sanction(org_id=card.org_id, card_id=card.id, level=level, months=months,
                        repeat=previous is not None, previous_id=previous.id if previous else None, reason=reason[:500],
                        starts_at=now, ends_at=ends, decided_by_id=user.id if user else None,
                        rules_version=store.version(region))
    move(card, CardStatus.SANCTIONED)
    card.decided_at, card.decided_by_id, card.decision_note = now, user.id if user else None, reason[:500]
    db.session.add(sanction)
    db.session.flush()
    _tell_supplier(card, "信用惩戒决定", f"监管部门作出信用惩戒：{LEVEL_LABELS[level]}"
                   + (f"，至 {clock.format_local(ends, '%Y-%m-%d')}" if ends else "") + f"。理由：{reason[:200]}",
                   "danger")
    record("registry.credit_sanction_applied", sanction, {
        "org": card.org_id, "card": card.id, "level": level.value, "months": months, "repeat": sanction.repeat,
        "previous": sanction.previous_id, "ends_at": ends.isoformat() if ends else None, "reason": reason[:500]})
    return sanction


def _add_months(at: datetime, months: int) -> datetime:
    """The same local day `months` later (the month's last day where it is shorter), at the end of it."""
    day = clock.to_local(at).date()
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return clock.end_of_local_day(date(year, month, min(day.day, last)))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def dismiss_card(user: User | None, card_id: int, reason: str) -> WarningCard:
    """The supervisor finds no sanction due (the statement explained it, the record is another entity's)."""
    _require_supervisor(user)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请填写不予惩戒的理由。", code="credit_dismiss_reason_required")
    card = get_card(card_id, lock=True)
    move(card, CardStatus.DISMISSED, payload={"reason": reason[:500]})
    card.decided_at, card.decided_by_id, card.decision_note = clock.now(), user.id if user else None, reason[:500]
    return card


def get_sanction(sanction_id: int, lock: bool = False) -> Sanction:
    stmt = select(Sanction).where(Sanction.id == sanction_id)
    sanction = db.session.scalar(stmt.with_for_update() if lock else stmt)
    if sanction is None:
        raise NotFound("信用惩戒不存在。", code="credit_sanction_not_found")
    return sanction


def revoke_sanction(user: User | None, sanction_id: int, reason: str) -> Sanction:
    _require_supervisor(user)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请填写撤销的理由。", code="credit_revoke_reason_required")
    sanction = get_sanction(sanction_id, lock=True)
    move(sanction, SanctionStatus.REVOKED, payload={"reason": reason[:500]})
    sanction.ended_at, sanction.end_note = clock.now(), reason[:500]
    return sanction


def lift_sanction(sanction: Sanction) -> bool:
    """The chronograph's step: a timed sanction whose period is over lifts itself."""
    if sanction.ends_at is None or sanction.ends_at > clock.now():
        return False
    move(sanction, SanctionStatus.LIFTED, actor="system:credit-sweep",
         payload={"ends_at": sanction.ends_at.isoformat()})
    sanction.ended_at, sanction.end_note = clock.now(), "期满自动解除"
    return True


def list_sanctions(active_only: bool = False) -> list[Sanction]:
    stmt = select(Sanction).order_by(Sanction.id.desc())
    if active_only:
        stmt = stmt.where(Sanction.status == SanctionStatus.ACTIVE)
    return list(db.session.scalars(stmt.limit(500)))


def sanctions_of_org(org_id: int) -> list[Sanction]:
    return list(db.session.scalars(select(Sanction).where(Sanction.org_id == org_id).order_by(Sanction.id.desc())))


# ---------------------------------------------------------------- records


def list_records(kind: RecordKind | None = None, query: str = "", limit: int = 500) -> list[CreditRecord]:
    stmt = select(CreditRecord).order_by(CreditRecord.id.desc())
    if kind is not None:
        stmt = stmt.where(CreditRecord.kind == kind)
    query = query.strip()
    if query:
        stmt = stmt.where(or_(CreditRecord.uscc == query.upper(), CreditRecord.name.contains(query)))
    return list(db.session.scalars(stmt.limit(limit)))


def match_org(name: str, uscc: str | None) -> tuple[Org | None, MatchKind]:
    """The organisation a record names: by USCC (strong), else by name (weak)."""
    if uscc:
        org = db.session.scalar(select(Org).where(Org.uscc == uscc.upper()))
        if org is not None:
            return org, MatchKind.USCC
    org = db.session.scalar(select(Org).where(normalised_sql(Org.name) == normalise_name(name)).order_by(Org.id))
    return (org, MatchKind.NAME) if org is not None else (None, MatchKind.NONE)


def get_org(org_id: int) -> Org:
    org = db.session.get(Org, org_id)
    if org is None:
        raise NotFound("单位不存在。", code="org_not_found")
    return org


def can_see_org(user: User, org_id: int) -> bool:
    return user.has_role(*READERS) or user.org_id == org_id
