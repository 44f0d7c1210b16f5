"""The pool: which experts of the library a request may draw (avoidance rules over bulk-loaded facts,
widened province-ward when the rules allow) and their credit weights.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import String, func, or_, select, type_coerce

from accounts.models import Org, OrgKind, Region
from core import clock
from core.db import db
from expert_draw import rules
from expert_draw.models import (
    SEATED,
    DrawRequest,
    Invitation,
)
from expert_draw.rule_table import DrawRules
from registry.experts.models import (
    CreditRecord,
    Expert,
    ExpertLeave,
    ExpertRelation,
    ExpertSpecialty,
    ExpertStatus,
)
from registry.experts.service import (
    credit_rule_for,
    credit_tier,
    region_subtree,
)

# Experts of the library considered for a pool; the not-active ones are excluded with their reason.
LISTED = (ExpertStatus.ACTIVE, ExpertStatus.SUSPENDED, ExpertStatus.REMOVED)


@dataclass
class SpecialtyCount:
    code: str
    primary: int
    backup: int = 0


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one pool-sized step (used as a decorator).

    A province-wide pool makes some 10^5 short-lived objects (rows, facts, candidate rows) and no
    reference cycles; with the collector on, they trigger full collections over the whole heap,
    a quarter of a commitment's time. Reference counting still frees everything; the collector
    is switched back on (if it was on) when the step ends, error or not.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def avoidance_context(req: DrawRequest, rule: dict) -> rules.AvoidanceContext:
    parties = {req.purchaser_org_id, *req.supplier_org_ids}
    names = {rules.normalise_name(n) for n in db.session.scalars(select(Org.name).where(Org.id.in_(parties)))}
    window = timedelta(days=rule["same_purchaser_days"])
    recent: set[int] = set()
    if rule["same_purchaser_days"] > 0:
        recent = set(
            db.session.scalars(
                select(Invitation.expert_id)
                .join(DrawRequest, DrawRequest.id == Invitation.request_id)
                .where(
                    DrawRequest.purchaser_org_id == req.purchaser_org_id,
                    DrawRequest.id != req.id,
                    Invitation.status.in_(SEATED),
                    DrawRequest.evaluation_start_at > req.evaluation_start_at - window,
                    DrawRequest.evaluation_start_at < req.evaluation_start_at + window,
                )
            )
        )
    gap = timedelta(minutes=int(rule.get("session_gap_minutes", 0)))  # a rule set committed before it: none
    busy = set(
        db.session.scalars(
            select(Invitation.expert_id)
            .join(DrawRequest, DrawRequest.id == Invitation.request_id)
            .where(
                DrawRequest.id != req.id,
                Invitation.status.in_(SEATED),
                DrawRequest.evaluation_start_at < req.evaluation_end_at + gap,
                DrawRequest.evaluation_end_at > req.evaluation_start_at - gap,
            )
        )
    )
    return rules.AvoidanceContext(
        rule=rule,
        evaluation_day=clock.to_local(req.evaluation_start_at).date(),
        purchaser_org_id=req.purchaser_org_id,
        agency_org_id=req.agency_org_id,
        supplier_org_ids=set(req.supplier_org_ids),
        party_names=names,
        agency_name=req.agency.name,
        finance_org_ids=set(db.session.scalars(select(Org.id).where(Org.kind == OrgKind.FINANCE))),
        recent_same_purchaser=recent,
        busy=busy,
        manual={e.expert_id: e.reason for e in req.exclusions},
        hand_picked={h.expert_id for h in req.hand_picks},
    )


def expert_facts(req: DrawRequest, ctx: rules.AvoidanceContext, expert_filter) -> dict[int, rules.ExpertFacts]:
    """Bulk-load the facts of the experts matching `expert_filter` (a SQL condition on Expert)."""
    rows = _core_rows(
        select(Expert.id, Expert.status, Expert.birth_date, Expert.employer_org_id, Expert.employer_name).where(
            expert_filter
        )
    )
    facts = {r[0]: rules.ExpertFacts(r[0], r[1].value, r[2], r[3], r[4]) for r in rows}
    return _add_leave_and_relations(req, ctx, facts)


def _core_rows(statement) -> list:
    """The rows of a column query as plain tuples, through Core: for tens of thousands of rows the
    ORM's row handling costs more than the query (pending ORM changes are flushed first)."""
    db.session.flush()
    return db.session.connection().execute(statement).all()


def _raw_rows(statement) -> list[tuple]:
    """The rows of a column query as the DB-API driver gives them (plain tuples, no Row objects, no type
    conversion): the province-wide scope query is some 50,000 rows, and making a Row of each cost as much
    as the query. The statement is compiled with its IN lists written out, its values still bound."""
    db.session.flush()
    connection = db.session.connection()
    compiled = statement.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.params
    if compiled.positiontup is not None:
        params = [params[name] for name in compiled.positiontup]
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.execute(str(compiled), params)
        return cursor.fetchall()
    finally:
        cursor.close()


def _as_date(value: str | date) -> date:
    """A DATE read without SQLAlchemy's conversion: SQLite gives 'YYYY-MM-DD', PostgreSQL a date."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def _add_leave_and_relations(
    req: DrawRequest, ctx: rules.AvoidanceContext, facts: dict[int, rules.ExpertFacts]
) -> dict[int, rules.ExpertFacts]:
    """Mark the experts on leave during the evaluation and attach their relations to the parties."""
    first = ctx.evaluation_day
    last = clock.to_local(req.evaluation_end_at).date()
    for expert_id in db.session.scalars(
        select(ExpertLeave.expert_id).where(ExpertLeave.start_on <= last, ExpertLeave.end_on >= first)
    ):
        if expert_id in facts:
            facts[expert_id].on_leave = True
    # names compared as employers are (normalised on both sides): a space or a full-width bracket in a
    # declared relation's name must not let it escape
    party_names = {rules.normalise_name(n) for n in ctx.party_names} | {
        rules.normalise_name(n) for n in db.session.scalars(select(Org.name).where(Org.id.in_(ctx.party_org_ids)))
    }
    relations = db.session.execute(
        select(
            ExpertRelation.expert_id,
            ExpertRelation.kind,
            ExpertRelation.org_id,
            ExpertRelation.org_name,
            ExpertRelation.end_on,
        ).where(or_(ExpertRelation.org_id.in_(ctx.party_org_ids),
                    rules.normalised_sql(ExpertRelation.org_name).in_(party_names)))
    )
    for r in relations:
        if r.expert_id in facts:
            facts[r.expert_id].relations.append((r.kind.value, r.org_id, r.org_name, r.end_on))
    return facts


def credit_weights(rule: DrawRules, region_code: str, expert_ids: Iterable[int]) -> dict[int, int]:
    weights = rule.weights()
    if not weights:
        return {}
    credit = credit_rule_for(region_code)
    since = clock.now() - timedelta(days=credit.window_days)
    points = dict(
        db.session.execute(
            select(CreditRecord.expert_id, func.sum(CreditRecord.points))
            .where(CreditRecord.occurred_at > since)
            .group_by(CreditRecord.expert_id)
        ).all()
    )
    # the tier of no points once, not once for each of a pool's tens of thousands without a record
    clean = weights.get(credit_tier(0, credit), 1)
    return {e: weights.get(credit_tier(int(points[e]), credit), 1) if e in points else clean for e in expert_ids}


@dataclass
class Pool:
    scope: str
    tried: list[str]
    members: dict[str, list[int]]  # specialty -> eligible expert ids
    exclusions: list[tuple[int, str, str]]  # (expert id, rule, detail)


def _leave_and_relations(
    req: DrawRequest, ctx: rules.AvoidanceContext
) -> tuple[set[int], dict[int, list[tuple[str, int | None, str, date | None]]]]:
    """The experts on leave during the evaluation and every expert's relations to the parties, library-wide:
    what _add_leave_and_relations attaches to loaded facts, as a set and a dict (same queries)."""
    first = ctx.evaluation_day
    last = clock.to_local(req.evaluation_end_at).date()
    on_leave = set(db.session.scalars(
        select(ExpertLeave.expert_id).where(ExpertLeave.start_on <= last, ExpertLeave.end_on >= first)))
    party_names = {rules.normalise_name(n) for n in ctx.party_names} | {
        rules.normalise_name(n) for n in db.session.scalars(select(Org.name).where(Org.id.in_(ctx.party_org_ids)))
    }
    relations: dict[int, list[tuple[str, int | None, str, date | None]]] = {}
    for r in db.session.execute(
        select(ExpertRelation.expert_id, ExpertRelation.kind, ExpertRelation.org_id, ExpertRelation.org_name,
               ExpertRelation.end_on)
        .where(or_(ExpertRelation.org_id.in_(ctx.party_org_ids),
                   rules.normalised_sql(ExpertRelation.org_name).in_(party_names)))
    ):
        relations.setdefault(r.expert_id, []).append((r.kind.value, r.org_id, r.org_name, r.end_on))
    return on_leave, relations


def _screen(rows: list, ctx: rules.AvoidanceContext, on_leave: set[int], relations: dict, already: set[int]):
    """The experts of `rows` that some avoidance rule may exclude, in their order of first appearance.

    A superset of those avoidance_reasons excludes, found with set look-ups on the row's own values, so
    the rules (and the facts they need) run for those few only, not for each of a province's tens of
    thousands; tests/expert_draw/test_pool_screen.py holds the result equal to running them for all.
    Each condition mirrors one rule: not active; born before 1 January of the year the age limit
    reaches back to (age > limit implies it); on leave; an employer that is a party, the agency or a
    finance bureau, by id or by normalised name; a relation to a party; the id sets of the context.
    """
    flagged_ids = (on_leave | relations.keys() | ctx.recent_same_purchaser | ctx.busy | ctx.manual.keys()
                   | ctx.hand_picked | already)
    flagged_orgs = {ctx.purchaser_org_id, *ctx.supplier_org_ids, ctx.agency_org_id, *ctx.finance_org_ids}
    flagged_names = {*ctx.party_names, rules.normalise_name(ctx.agency_name)}
    old = date(max(1, ctx.evaluation_day.year - ctx.rule["age_limit"]), 1, 1)
    born_before: object = old.isoformat() if rows and isinstance(rows[0][3], str) else old  # as the driver gives it
    normalised: dict[str, str] = {}
    normalise = rules.normalise_name
    seen: set[int] = set()
    for expert_id, _, status, birth_date, employer_org_id, employer_name in rows:
        if expert_id in seen:
            continue
        seen.add(expert_id)
        name = normalised.get(employer_name)
        if name is None:
            name = normalised[employer_name] = normalise(employer_name)
        if (status != "active" or birth_date < born_before or expert_id in flagged_ids  # type: ignore[operator]
                or employer_org_id in flagged_orgs or name in flagged_names):
            yield expert_id, status, birth_date, employer_org_id, employer_name


def build_pool(req: DrawRequest, rule: DrawRules, counts: list[SpecialtyCount], already: set[int]) -> Pool:
    ctx = avoidance_context(req, rule.values())
    codes = [c.code for c in counts]
    lineage = [r.code for r in db.session.get(Region, req.region_code).lineage()]
    on_leave, relations = _leave_and_relations(req, ctx)
    tried: list[str] = []
    for level, scope_code in enumerate(lineage):
        tried.append(scope_code)
        # One query for the (expert, specialty) pairs of the scope and the facts of their experts,
        # read as the driver gives them (status and birth date are plain text or a date).
        rows = _raw_rows(
            select(
                ExpertSpecialty.expert_id,
                ExpertSpecialty.specialty_code,
                type_coerce(Expert.status, String),
                type_coerce(Expert.birth_date, String),
                Expert.employer_org_id,
                Expert.employer_name,
            )
            .join(Expert, Expert.id == ExpertSpecialty.expert_id)
            .where(
                ExpertSpecialty.specialty_code.in_(codes),
                Expert.region_code.in_(region_subtree(scope_code)),
                Expert.status.in_(LISTED),
            )
        )
        excluded: list[tuple[int, str, str]] = []
        bad: set[int] = set()
        for expert_id, status, birth_date, employer_org_id, employer_name in _screen(
                rows, ctx, on_leave, relations, already):
            f = rules.ExpertFacts(expert_id, status, _as_date(birth_date), employer_org_id, employer_name,
                                  on_leave=expert_id in on_leave, relations=list(relations.get(expert_id, ())))
            reasons = rules.avoidance_reasons(f, ctx)
            if expert_id in already:
                reasons.append(("already_drawn", "本项目已抽取"))
            if reasons:
                bad.add(expert_id)
                excluded.extend((expert_id, code, detail[:200]) for code, detail in reasons)
        members: dict[str, list[int]] = {c: [] for c in codes}
        for expert_id, code, *_ in rows:
            if expert_id not in bad:
                members[code].append(expert_id)
        enough = all(len(members[c.code]) >= c.primary + c.backup for c in counts)
        if enough or not rule.allow_fallback or level == len(lineage) - 1:
            return Pool(scope_code, tried, members, excluded)
    raise AssertionError("unreachable")
