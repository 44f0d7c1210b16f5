"""Plans benchmark: approval actions with the tables full, and concurrent draws on one confirmation.

World: one county with its finance bureau (业务科 and 采监科 posts), U units (default 50) each with its 经办,
审核 and 负责人, and the seven-step goods workflow of the demo (the unit's first and second review, two
automatic rules, the finance bureau's first and second review, a conditional 采监科 step). N plans (default
100,000) are inserted in bulk with their items and their seven steps each (700,000 step rows), spread over
every status and, for the plans in review, over every step, so the tables are as full as a year of a big city.

Approval: A actions (default 300), each `plan.workflow.act_on_plan` by the step's reviewer on a plan waiting at
the unit's first review (the post checked, the step approved, the next one opened with its due time, the audit
events) and its commit, timed from the call to the commit's end. Baseline: the bare SQL such an action
needs at the least (lock the plan row, update two step rows, insert one audit-like row into a scratch table,
commit) on the same database in the same run; `ratio` is our p99 over the baseline's. Target: p99 < 50 ms.

Draws: T threads (default 200, released together, at most 40 holding a database connection at once) each draw
D fen from one confirmation of C fen through
`plan.confirmations.draw_budget`, each in its own session; the refused count and the final balance are
reported and checked against the arithmetic (floor(C / D) draws fit).

SQLite in a temporary folder, or the database in DATABASE_URL (its tables are dropped and rebuilt: give it a
database of its own). The last line is JSON.

    .venv/bin/python bench/plan_bench.py [--plans 100000] [--actions 300] [--threads 200]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FROZEN = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
COUNTY = "330329"
CHUNK = 5000
CONNECTIONS = 40
ITEMS = [("A02010104", "服务器"), ("A02010105", "台式计算机"), ("A05010200", "课桌椅"), ("C21040000", "物业管理服务"),
         ("A02021003", "激光打印机"), ("A02320100", "全自动生化分析仪")]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def _app(url: str, tmp: Path):
    from core.app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "FILE_STORE": str(tmp / "f"),
                       "AUDIT_KEY_PATH": str(tmp / "k" / "audit.pem"), "CELERY_ALWAYS_EAGER": True,
                       "SOCKETIO_MESSAGE_QUEUE": None, "REDIS_URL": None, "SQLALCHEMY_ENGINE_OPTIONS": {
                           "pool_size": 30, "max_overflow": 220} if url.startswith("postgres") else {}})


def build_world(units: int):
    from accounts import posts, service
    from accounts.models import OrgKind, Region, RegionLevel, Role
    from core.db import db
    from plan.workflow import define_workflow

    db.session.add_all([Region(code="330000", name="浙江省", level=RegionLevel.PROVINCE),
                        Region(code="330300", name="温州市", level=RegionLevel.CITY, parent_code="330000"),
                        Region(code=COUNTY, name="泰顺县", level=RegionLevel.COUNTY, parent_code="330300")])
    db.session.flush()
    finance = service.create_org("泰顺县财政局", OrgKind.FINANCE, COUNTY)
    guikou = service.create_user("guikou", "业务科", None, [Role.FINANCE_REVIEWER], COUNTY, org=finance,
                                 password_hash="x")
    caijian = service.create_user("caijian", "采监科", None, [Role.SUPERVISOR], COUNTY, org=finance, password_hash="x")
    guikou.org_admin = True
    posts.ensure_standard_posts(finance)
    posts.assign_post(guikou, finance.id, "reviewer", guikou.id)
    posts.assign_post(guikou, finance.id, "head", caijian.id)
    world = []
    for n in range(units):
        org = service.create_org(f"单位{n:03d}", OrgKind.PURCHASER, COUNTY)
        people = [service.create_user(f"{p}{n}", f"{p}{n}", None, [Role.PURCHASER], COUNTY, org=org, password_hash="x")
                  for p in ("clerk", "rev", "head")]
        people[0].org_admin = True
        posts.ensure_standard_posts(org)
        for person, post in zip(people, ("clerk", "reviewer", "head"), strict=True):
            posts.assign_post(people[0], org.id, post, person.id)
        world.append((org, *people))
    db.session.flush()
    from plan.demo import STEPS  # the demo's seven-step chain

    flow = define_workflow(None, COUNTY, "goods", "采购计划审批（县级）", STEPS)
    db.session.commit()
    steps = [(s.id, s.position, s.actor_org, s.auto_rule, bool(s.condition)) for s in flow.steps]
    return finance.id, [tuple(x.id for x in row) for row in world], (flow.id, steps)


def build_plans(n: int, world, flow, finance, rng: random.Random) -> dict:
    from sqlalchemy import insert, select

    from core.db import db
    from plan.models import Plan, PlanItem, PlanStep
    from plan.transitions import PlanStatus, StepStatus

    flow_id, steps = flow
    now = FROZEN
    statuses = [PlanStatus.DRAFT, PlanStatus.IN_REVIEW, PlanStatus.IN_REVIEW, PlanStatus.IN_REVIEW,
                PlanStatus.APPROVED, PlanStatus.APPROVED, PlanStatus.RETURNED, PlanStatus.REJECTED]
    start = db.session.scalar(select(Plan.id).order_by(Plan.id.desc()).limit(1)) or 0
    waiting_first: list[int] = []
    for at in range(0, n, CHUNK):
        plan_rows, item_rows, step_rows = [], [], []
        for i in range(at, min(n, at + CHUNK)):
            pid = start + i + 1
            org_id, clerk_id, _rev, _head = world[i % len(world)]
            status = rng.choice(statuses)
            code, name = rng.choice(ITEMS)
            budget = rng.randrange(10_000, 3_000_000) * 100
            plan_rows.append({"id": pid, "number": f"JH-{COUNTY}-2026-B{pid:07d}", "region_code": COUNTY,
                              "org_id": org_id, "title": f"{name}采购 {pid}", "plan_type": "goods",
                              "budget_project_code": f"B{pid}", "budget_fen": budget, "fund_nature": "一般公共预算",
                              "org_form": "decentralised", "method": "public_tender", "expected_month": "2027-03",
                              "status": status.value, "workflow_id": flow_id, "revision": 1, "rules_version": 0,
                              "created_by_id": clerk_id, "created_at": now, "gov_service": False, "imported": False,
                              "sme_set_aside": False, "confidential": False,
                              "submitted_at": None if status is PlanStatus.DRAFT else now})
            item_rows.append({"plan_id": pid, "position": 1, "catalogue_code": code, "name": name, "quantity": 1,
                              "unit": "项", "budget_fen": budget})
            if status is PlanStatus.DRAFT:
                continue
            active = rng.randrange(len(steps)) if status is PlanStatus.IN_REVIEW else None
            if status is PlanStatus.IN_REVIEW and rng.random() < 0.3:
                active = 0
            for k, (step_id, position, actor_org, auto_rule, conditional) in enumerate(steps):
                if status is PlanStatus.IN_REVIEW:
                    s = (StepStatus.APPROVED if k < active else StepStatus.ACTIVE if k == active
                         else StepStatus.WAITING)
                elif status is PlanStatus.APPROVED:
                    s = StepStatus.SKIPPED if conditional else StepStatus.APPROVED
                else:
                    s = StepStatus.RETURNED if k == 0 else StepStatus.VOID
                actor = org_id if actor_org == "unit" else finance
                step_rows.append({"plan_id": pid, "step_id": step_id, "round": 1, "position": position,
                                  "status": s.value, "actor_org_id": actor if s is StepStatus.ACTIVE else None,
                                  "reason": "", "seen_revision": 1, "auto_rule": auto_rule,
                                  "opened_at": now if s is StepStatus.ACTIVE else None,
                                  "due_at": now + timedelta(days=5) if s is StepStatus.ACTIVE else None,
                                  "escalate_at": now + timedelta(days=8) if s is StepStatus.ACTIVE else None})
            if active == 0 and steps[0][3] == "":
                waiting_first.append(pid)
        db.session.execute(insert(Plan), plan_rows)
        db.session.execute(insert(PlanItem), item_rows)
        if step_rows:
            db.session.execute(insert(PlanStep), step_rows)
        db.session.commit()
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy import text

        db.session.execute(text(f"SELECT setval('plan_id_seq', {start + n})"))
        db.session.execute(text("ANALYZE"))
    else:
        from sqlalchemy import text

        db.session.execute(text("ANALYZE"))
    db.session.commit()
    return {"plans": n, "waiting_at_first_review": len(waiting_first), "_waiting": waiting_first}


def approval_section(app, world, waiting: list[int], actions: int, rng: random.Random) -> dict:
    from sqlalchemy import text

    from accounts.models import User
    from core.db import db
    from plan.models import Plan
    from plan.workflow import act_on_plan

    reviewers = {org_id: rev_id for org_id, _c, rev_id, _h in world}
    chosen = rng.sample(waiting, min(actions, len(waiting)))
    ours, base = [], []
    db.session.execute(text("CREATE TABLE IF NOT EXISTS bench_scratch (id INTEGER PRIMARY KEY, plan_id INTEGER, "
                            "payload TEXT)"))
    db.session.commit()
    for n, plan_id in enumerate(chosen):
        db.session.remove()
        org_id = db.session.get(Plan, plan_id).org_id
        user = db.session.get(User, reviewers[org_id])
        db.session.commit()
        started = time.perf_counter()
        act_on_plan(user, plan_id, "approve")
        db.session.commit()
        ours.append((time.perf_counter() - started) * 1000)
        other = chosen[-1 - n]
        started = time.perf_counter()
        lock = " FOR UPDATE" if db.engine.dialect.name == "postgresql" else ""
        db.session.execute(text(f"SELECT id FROM plan WHERE id = :p{lock}"), {"p": other})
        db.session.execute(text("UPDATE plan_step SET reason = reason WHERE plan_id = :p AND position IN (1, 2)"),
                           {"p": other})
        db.session.execute(text("INSERT INTO bench_scratch (id, plan_id, payload) VALUES (:i, :p, :x)"),
                           {"i": n + 1, "p": other, "x": "{\"from\": \"active\", \"to\": \"approved\"}"})
        db.session.commit()
        base.append((time.perf_counter() - started) * 1000)
    p99, b99 = percentile(ours, 99), percentile(base, 99)
    return {"actions": len(ours), "p50_ms": round(percentile(ours, 50), 2), "p99_ms": round(p99, 2),
            "baseline_p50_ms": round(percentile(base, 50), 2), "baseline_p99_ms": round(b99, 2),
            "ratio": round(p99 / b99, 1) if b99 else None, "target_p99_ms": 50,
            "ok": p99 < 50}


def draws_section(app, world, threads: int) -> dict:
    from sqlalchemy import func, select

    from accounts.models import Org, User
    from core.db import db
    from core.errors import Conflict
    from plan.confirmations import draw_budget, get_confirmation, issue_confirmation
    from plan.models import BudgetDraw, Confirmation

    org_id, clerk_id, _r, _h = world[0]
    amount, each = 1_000_000, 7_000
    confirmation = issue_confirmation(org=db.session.get(Org, org_id), title="并发支用", catalogue_code="A02010104",
                                      method="public_tender",
                                      plan_type="goods", amount_fen=amount, snapshot={}, source="file")
    db.session.commit()
    cid, uid = confirmation.id, clerk_id
    barrier = threading.Barrier(threads)
    # The database's connections are shared (PostgreSQL's max_connections, other clients): at most `CONNECTIONS`
    # draws hold one at a time; all 200 are released together and queue on the pool and the row lock.
    gate = threading.BoundedSemaphore(CONNECTIONS)
    outcome: list[str] = []
    lock = threading.Lock()

    class Order:
        __tablename__ = "bench_order"

        def __init__(self, n: int) -> None:
            self.id = n

    def one(n: int) -> None:
        with app.app_context():
            try:
                barrier.wait(120)
                with gate:
                    actor = db.session.get(User, uid)
                    row = get_confirmation(cid)
                    draw_budget(row, each, subject=Order(n), actor=actor)
                    db.session.commit()
                    db.session.remove()
                got = "drawn"
            except Conflict as exc:
                db.session.rollback()
                got = exc.code
            except Exception as exc:  # reported in "other", never hidden
                db.session.rollback()
                got = type(exc).__name__
            finally:
                db.session.remove()
            with lock:
                outcome.append(got)

    started = time.perf_counter()
    pool = [threading.Thread(target=one, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(300)
    elapsed = time.perf_counter() - started
    db.session.remove()
    final = db.session.get(Confirmation, cid)
    held = db.session.scalar(select(func.coalesce(func.sum(BudgetDraw.amount_fen), 0))
                             .where(BudgetDraw.confirmation_id == cid)) or 0
    fit = min(threads, amount // each)
    drawn = outcome.count("drawn")
    return {"threads": threads, "connections": CONNECTIONS, "amount_fen": amount, "each_fen": each, "drawn": drawn,
            "refused": outcome.count("confirmation_overdrawn"),
            "other": sorted({o for o in outcome if o not in ("drawn", "confirmation_overdrawn")}),
            "final_drawn_fen": final.drawn_fen, "final_remaining_fen": final.amount_fen - final.drawn_fen,
            "held_draws_fen": int(held), "expected_drawn_fen": fit * each, "seconds": round(elapsed, 2),
            "ok": drawn == fit and final.drawn_fen == held == fit * each and final.drawn_fen <= amount}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--plans", type=int, default=100_000)
    parser.add_argument("--units", type=int, default=50)
    parser.add_argument("--actions", type=int, default=300)
    parser.add_argument("--threads", type=int, default=200)
    args = parser.parse_args()

    from audit.service import ensure_head
    from core import clock
    from core.db import db

    tmp = Path(tempfile.mkdtemp(prefix="plan-bench-"))
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.sqlite'}"
    app = _app(url, tmp)
    backend = "postgresql" if url.startswith("postgres") else "sqlite"
    clock.clock.set(FROZEN)
    rng = random.Random(20261204)
    result: dict = {"backend": backend}
    with app.app_context():
        db.drop_all()
        db.create_all()
        ensure_head()
        db.session.commit()
        started = time.perf_counter()
        finance, world, flow = build_world(args.units)
        built = build_plans(args.plans, world, flow, finance, rng)
        waiting = built.pop("_waiting")
        result |= built
        result["build_s"] = round(time.perf_counter() - started, 1)
        print(f"{args.plans} plans ({len(flow[1])}-step workflow) built in {result['build_s']} s ({backend})")
        result["approval"] = approval_section(app, world, waiting, args.actions, rng)
        print("approval: " + ", ".join(f"{k} {v}" for k, v in result["approval"].items()))
        result["draws"] = draws_section(app, world, args.threads)
        print("draws: " + ", ".join(f"{k} {v}" for k, v in result["draws"].items()))
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
