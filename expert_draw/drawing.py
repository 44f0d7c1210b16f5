"""The draw: the commitment to the pool and a sealed server seed, then the supervisor's number joined
to it to draw the committee, whose seats become invitations.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select

from accounts.models import Role, User
from accounts.service import oversees
from audit.models import AuditEvent
from audit.service import event_json, record
from core import clock, secretbox
from core.after_commit import after_commit
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationError
from expert_draw import rules
from expert_draw.models import (
    SEATED,
    Draw,
    DrawCandidate,
    DrawExclusion,
    DrawKind,
    DrawRequest,
    DrawRequestSupplier,
    DrawStatus,
    Invitation,
    InvitationKind,
    InvitationStatus,
    RequestStatus,
)
from expert_draw.pool import Pool, SpecialtyCount, build_pool, credit_weights, gc_paused
from expert_draw.rule_table import DrawRules, rule_for
from expert_draw.subject import subject_for_project
from expert_draw.transitions import lock_request, move, move_invitation, move_request
from expert_draw.verifier import (
    ACTION_COMMITTED,
    ACTION_DISCARDED,
    ACTION_DRAWN,
    VERSION,
    encode_pool,
    final_seed,
    leaves_of,
    pool_digest,
    seed_hash,
    select_committee,
)
from expert_draw.visibility import require_manage

SEED_PURPOSE = "expert_draw.server_seed"


SUPERVISOR_INPUT_RE = re.compile(r"^\d{6,32}$")


def event_payloads(draw_id: int, action: str = ACTION_COMMITTED) -> list[dict]:
    events = db.session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.object_type == Draw.__tablename__,
            AuditEvent.object_id == str(draw_id),
            AuditEvent.action == action,
        )
        .order_by(AuditEvent.seq)
    )
    return [json.loads(e.payload) for e in events]


def draw_events(draw_id: int) -> list[dict]:
    """The audit events of one draw, as the standalone verifier reads them."""
    return [
        event_json(e)
        for e in db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == Draw.__tablename__, AuditEvent.object_id == str(draw_id))
            .order_by(AuditEvent.seq)
        )
    ]


@gc_paused()
def commit_draw(user: User, req: DrawRequest, beacon: str | None = None) -> Draw:
    """Filter the pool, commit to it (salted leaves) and to the hash of a fresh server seed.

    An initial draw from a requested request; a supplementary one (missing seats only, over
    the scope the rules allow) from a request that ran short.
    """
    require_manage(user, req)
    req = lock_request(req.id)
    if req.status == RequestStatus.REQUESTED:
        kind, counts = (
            DrawKind.INITIAL,
            [SpecialtyCount(s.specialty_code, s.primary_count, s.backup_count) for s in req.specialties],
        )
    elif req.status == RequestStatus.SHORT:
        kind, counts = (
            DrawKind.SUPPLEMENT,
            [SpecialtyCount(code, n, 0) for code, n in missing_seats(req).items() if n > 0],
        )
        if not counts:
            raise Conflict("没有缺额，无需补充抽取。", code="nothing_missing")
    else:
        raise Conflict("当前状态不能发起抽取。", code="draw_request_transition_refused")
    now = clock.now()
    _check_draw_window(req, now, kind)
    _refresh_suppliers(req)
    rule = rule_for(req.region_code)
    already = set(db.session.scalars(select(Invitation.expert_id).where(Invitation.request_id == req.id)))
    pool = build_pool(req, rule, counts, already)
    server_seed = secrets.token_bytes(32)
    draw = Draw(
        request_id=req.id,
        kind=kind,
        status=DrawStatus.COMMITTED,
        scope_region_code=pool.scope,
        rule_version=rule.version,
        sealed_seed=secretbox.seal(server_seed, SEED_PURPOSE),
        seed_hash=seed_hash(server_seed),
        beacon=beacon or None,
        pool_size=len({e for ids in pool.members.values() for e in ids}),
        committed_at=now,
    )
    db.session.add(draw)
    db.session.flush()
    specialties = _commit_candidates(draw, rule, req.region_code, counts, pool)
    _insert_rows(
        DrawExclusion.__table__,
        ("draw_id", "expert_id", "rule", "detail"),
        [(draw.id, e, r, d) for e, r, d in pool.exclusions],
    )
    record(
        ACTION_COMMITTED,
        draw,
        {
            "draw_id": draw.id,
            "request_id": req.id,
            "kind": kind.value,
            "version": VERSION,
            "rule_set": rule.values(),
            "scope": pool.scope,
            "scopes_tried": pool.tried,
            "specialties": specialties,
            "pool_digest": pool_digest(specialties),
            "seed_hash": draw.seed_hash,
            "excluded": rules.reason_counts((e, r) for e, r, _ in pool.exclusions),
            "hand_picked": len(req.hand_picks) if kind == DrawKind.INITIAL else 0,
            "beacon": draw.beacon,
        },
    )
    move_request(req, RequestStatus.COMMITTED)
    return draw


def _refresh_suppliers(req: DrawRequest) -> None:
    """Suppliers that registered or bid after the request was made are avoided too (tender's data)."""
    if req.project_id is None:
        return
    try:
        current = subject_for_project(req.project_id, req.lot_id).supplier_org_ids
    except NotFound:
        return
    added = sorted(current - req.supplier_org_ids)
    if added:
        req.suppliers.extend(DrawRequestSupplier(org_id=o) for o in added)
        db.session.flush()
        record("expert_draw.suppliers_refreshed", req, {"request_id": req.id, "added": added})


def _check_draw_window(req: DrawRequest, now: datetime, kind: DrawKind) -> None:
    """The draw (commitment and drawing) happens between its opening time and the evaluation start; a
    supplementary draw for seats left empty (a member who declared a conflict in the room) also while
    the evaluation runs, since the committee waits for its full number (87号令 Art 47–48)."""
    if req.opens_at is not None and now < req.opens_at:
        raise Conflict(f"尚未到可抽取时间（{clock.format_local(req.opens_at)} 起）。", code="draw_not_open")
    if kind == DrawKind.SUPPLEMENT and now < req.evaluation_end_at:
        return
    if now >= req.evaluation_start_at:
        raise Conflict("评审已经开始，不能再抽取。", code="evaluation_started")


def _commit_candidates(
    draw: Draw, rule: DrawRules, region_code: str, counts: list[SpecialtyCount], pool: Pool
) -> list[dict]:
    expert_ids = sorted({e for ids in pool.members.values() for e in ids})
    weights = credit_weights(rule, region_code, expert_ids)
    randomness = secrets.token_bytes(16 * len(expert_ids))  # one 16-byte salt per expert, fresh per draw
    salts = {e: randomness[16 * i : 16 * i + 16] for i, e in enumerate(expert_ids)}
    leaves = dict(zip(expert_ids, leaves_of((salts[e], e) for e in expert_ids), strict=True))
    _insert_rows(
        DrawCandidate.__table__,
        ("draw_id", "expert_id", "salt", "leaf", "weight"),
        [(draw.id, e, salts[e], leaves[e], weights.get(e, 1)) for e in expert_ids],
    )
    return [
        {
            "code": c.code,
            "primary": c.primary,
            "backup": c.backup,
            "size": len(pool.members[c.code]),
            **encode_pool([leaves[e], weights.get(e, 1)] for e in pool.members[c.code]),
        }
        for c in counts
    ]


def _insert_rows(table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert many rows of plain values (ints, strings, bytes) in the session's transaction.

    A pool is tens of thousands of candidate rows: PostgreSQL (psycopg) takes them by COPY, other
    databases by one executemany of the driver — both skip SQLAlchemy's per-row parameter handling.
    """
    if not rows:
        return
    db.session.flush()
    conn = db.session.connection()
    names = ", ".join(columns)
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        cursor = conn.connection.dbapi_connection.cursor()
        with cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({', '.join([mark] * len(columns))})", rows)


def discard_draw(user: User, draw: Draw, reason: str) -> Draw:
    """Abandon a committed draw before it is drawn; its id stays in the log as discarded."""
    req = lock_request(draw.request_id)
    require_manage(user, req)
    if not reason.strip():
        raise ValidationError("请填写放弃本次抽取的理由。", code="reason_required")
    move(draw, DrawStatus.DISCARDED)
    draw.sealed_seed = None
    record(ACTION_DISCARDED, draw, {"draw_id": draw.id, "reason": reason.strip()})
    move_request(req, RequestStatus.REQUESTED if draw.kind == DrawKind.INITIAL else RequestStatus.SHORT)
    return draw


@gc_paused()
def run_draw(draw: Draw, supervisor: User, supervisor_input: str, beacon_value: str | None = None) -> list[int]:
    """Join the supervisor's number (and the beacon) to the committed seed and draw; returns the
    new invitation ids, whose experts are notified once the caller has committed."""
    req = lock_request(draw.request_id)
    if not (supervisor.has_role(Role.SUPERVISOR) and oversees(supervisor, req.region_code)):
        raise Forbidden("随机数须由本地区的监督人员输入。", code="not_supervisor")
    draw = db.session.execute(select(Draw).where(Draw.id == draw.id).with_for_update()).scalar_one()
    if draw.status != DrawStatus.COMMITTED or req.status != RequestStatus.COMMITTED:
        raise Conflict("这次抽取不在待抽取状态。", code="draw_transition_refused")
    now = clock.now()
    _check_draw_window(req, now, draw.kind)
    supervisor_input = (supervisor_input or "").strip()
    if not SUPERVISOR_INPUT_RE.match(supervisor_input):
        raise ValidationError("监督人员随机数须为 6 到 32 位数字。", code="supervisor_input_invalid")
    if draw.beacon and not (beacon_value or "").strip():
        raise ValidationError("本次抽取约定了公共随机信标，请填写信标值。", code="beacon_required")
    server_seed = secretbox.unseal(draw.sealed_seed, SEED_PURPOSE)
    committed = event_payloads(draw.id)[0]
    seed = final_seed(server_seed, supervisor_input, beacon_value if draw.beacon else None)
    result = select_committee(seed, draw.id, committed["specialties"])
    draw.sealed_seed, draw.seed, draw.drawn_at = None, seed.hex(), now
    draw.supervisor_id, draw.supervisor_input = supervisor.id, supervisor_input
    draw.beacon_value = beacon_value if draw.beacon else None
    record(
        ACTION_DRAWN,
        draw,
        {
            "draw_id": draw.id,
            "server_seed": server_seed.hex(),
            "supervisor_input": supervisor_input,
            "beacon_value": draw.beacon_value,
            "seed": seed.hex(),
            "selection": result["selection"],
            "short": result["short"],
        },
    )
    move(draw, DrawStatus.DRAWN)  # after ACTION_DRAWN: the draw's own events lead its record
    notify = _seat(req, draw, result["selection"])
    move_request(req, RequestStatus.SHORT if any(missing_seats(req).values()) else RequestStatus.DRAWN)
    notify_after_commit(notify)
    return notify


def _experts_by_leaf(draw_id: int, leaves: Iterable[str]) -> dict[str, int]:
    leaves = list(leaves)
    if not leaves:
        return {}
    return dict(
        db.session.execute(
            select(DrawCandidate.leaf, DrawCandidate.expert_id).where(
                DrawCandidate.draw_id == draw_id, DrawCandidate.leaf.in_(leaves)
            )
        ).all()
    )


def _seat(req: DrawRequest, draw: Draw, selection: list[dict]) -> list[int]:
    by_leaf = _experts_by_leaf(draw.id, [leaf for s in selection for leaf in s["primary"] + s["backup"]])
    rule = rule_for(req.region_code)
    notify = []
    for spec in selection:
        for leaf in spec["primary"]:
            notify.append(
                invite(new_invitation(req, draw, by_leaf[leaf], spec["code"], InvitationKind.PRIMARY, leaf), rule).id
            )
        for leaf in spec["backup"]:
            new_invitation(req, draw, by_leaf[leaf], spec["code"], InvitationKind.BACKUP, leaf)
    if draw.kind == DrawKind.INITIAL:
        for pick in req.hand_picks:
            inv = new_invitation(req, draw, pick.expert_id, pick.specialty_code, InvitationKind.HAND_PICKED, None)
            notify.append(invite(inv, rule).id)
    db.session.flush()
    return notify


def new_invitation(
    req: DrawRequest,
    draw: Draw | None,
    expert_id: int,
    code: str,
    kind: InvitationKind,
    leaf: str | None,
    replaces: Invitation | None = None,
) -> Invitation:
    inv = Invitation(
        request_id=req.id,
        draw_id=draw.id if draw else None,
        expert_id=expert_id,
        specialty_code=code,
        kind=kind,
        leaf=leaf,
        status=InvitationStatus.STANDBY,
        reply_code=secrets.token_urlsafe(9)[:12],
        replaces_id=replaces.id if replaces else None,
    )
    db.session.add(inv)
    db.session.flush()
    return inv


def notify_after_commit(invitation_ids: list[int]) -> None:
    """Send the invitations on every channel once they are committed (never if the change rolls back):
    the one place a draw, a replacement and a time-out tell their experts, whichever page, API or sweep ran it."""
    if invitation_ids:
        from expert_draw.tasks import notify

        after_commit(notify.delay, list(invitation_ids))


def invite(inv: Invitation, rule: DrawRules | None = None) -> Invitation:
    req = inv.request
    rule = rule or rule_for(req.region_code)
    now = clock.now()
    inv.notified_at = now
    # Before the evaluation, a reply is due by the start at the latest; a seat refilled when it has begun (or
    # is about to) gets the region's short window of its own, never a deadline that has already passed.
    deadline = min(now + timedelta(hours=rule.confirm_hours), req.evaluation_start_at)
    inv.deadline_at = max(deadline, now + timedelta(minutes=rule.in_room_reply_minutes))
    move_invitation(inv, InvitationStatus.INVITED, "")
    db.session.flush()
    return inv


def missing_seats(req: DrawRequest) -> dict[str, int]:
    """Per specialty, the seats not held by an invited or confirmed expert. A specialty's seats are its drawn
    seats and its hand-picked ones, and a hand-picked expert holds a seat like a drawn one: a hand-picked
    member who leaves (a conflict declared in the room) leaves a seat the supplementary draw fills."""
    seated: dict[str, int] = {}
    for inv in db.session.scalars(
        select(Invitation).where(Invitation.request_id == req.id, Invitation.status.in_(SEATED))
    ):
        seated[inv.specialty_code] = seated.get(inv.specialty_code, 0) + 1
    picked: dict[str, int] = {}
    for pick in req.hand_picks:
        picked[pick.specialty_code] = picked.get(pick.specialty_code, 0) + 1
    return {s.specialty_code: max(0, s.primary_count + picked.get(s.specialty_code, 0)
                                  - seated.get(s.specialty_code, 0)) for s in req.specialties}


def seat_counts(req: DrawRequest) -> list[dict]:
    """Counts and states per specialty: what the agency, purchaser and suppliers may see."""
    rows = []
    invitations = list(db.session.scalars(select(Invitation).where(Invitation.request_id == req.id)))
    missing = missing_seats(req)
    for spec in req.specialties:
        states: dict[str, int] = {}
        for inv in invitations:
            if inv.specialty_code == spec.specialty_code:
                states[inv.status.value] = states.get(inv.status.value, 0) + 1
        rows.append(
            {
                "specialty": spec.specialty_code,
                "primary": spec.primary_count,
                "backup": spec.backup_count,
                "states": states,
                "missing": missing.get(spec.specialty_code, 0),
            }
        )
    return rows


def exclusions_of(draw: Draw) -> list[DrawExclusion]:
    return list(
        db.session.scalars(
            select(DrawExclusion)
            .where(DrawExclusion.draw_id == draw.id)
            .order_by(DrawExclusion.rule, DrawExclusion.expert_id)
        )
    )
