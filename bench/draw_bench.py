"""Expert draw benchmark: a library of 100,000 experts, a project with 50 registered suppliers, and a
7-expert draw across 3 specialties with every avoidance rule on.

Each round creates a draw request, commits the filtered pool (salted leaves, exclusions, the audit
event) and draws with a supervisor's number; "draw ms" is commit + draw, "verify ms" recomputes the
draw from its audit events with the standalone verifier. Each round is rolled back, so every round
sees the same library. SQLite in a temporary folder, or the database in DATABASE_URL (its tables
are dropped and rebuilt: give it a database of its own, not the one tests run in). The last line
is JSON.

    .venv/bin/python bench/draw_bench.py [--experts 100000] [--rounds 30] [--scope county|city|province]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FROZEN = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # a Friday, 10:00 Beijing time
EVALUATION = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # Monday 09:00
COUNTS = (("B01", 3, 1), ("B03", 2, 1), ("C01", 2, 1))


def build_library(n_experts: int, rng: random.Random) -> dict:
    """Regions (1 province, 10 cities, 100 counties), orgs, and the experts, by bulk insert."""
    from sqlalchemy import insert

    from accounts import service as accounts
    from accounts.models import OrgKind, Region, RegionLevel, Role
    from core.db import db
    from registry.experts.demo import SPECIALTIES, ensure_specialties
    from registry.experts.models import (
        CreditRecord,
        Expert,
        ExpertLeave,
        ExpertRelation,
        ExpertSpecialty,
    )

    db.session.add(Region(code="330000", name="浙江省", level=RegionLevel.PROVINCE))
    counties = []
    for c in range(10):
        city = f"33{c + 1:02d}00"
        db.session.add(Region(code=city, name=f"市{c}", level=RegionLevel.CITY, parent_code="330000"))
        for k in range(10):
            code = f"33{c + 1:02d}{k + 1:02d}"
            counties.append(code)
            db.session.add(Region(code=code, name=f"县{c}-{k}", level=RegionLevel.COUNTY, parent_code=city))
    db.session.flush()
    ensure_specialties()
    home = counties[0]
    orgs = {
        "purchaser": accounts.create_org("采购人", OrgKind.PURCHASER, home),
        "agency": accounts.create_org("代理机构", OrgKind.AGENCY, home),
        "finance": accounts.create_org("财政局", OrgKind.FINANCE, home),
        "suppliers": [accounts.create_org(f"供应商{i}", OrgKind.SUPPLIER, home) for i in range(50)],
    }
    agency = accounts.create_user("bench_agency", "代理", "bench-pass-1", [Role.AGENCY_STAFF], home, org=orgs["agency"])
    # a provincial supervisor: they oversee every scope the bench draws in (county, city, province)
    supervisor = accounts.create_user(
        "bench_sup", "监督", "bench-pass-1", [Role.SUPERVISOR], "330000", org=orgs["finance"]
    )
    leaves = [code for code, _, parent in SPECIALTIES if parent]
    party_ids = [orgs["purchaser"].id, *(s.id for s in orgs["suppliers"])]
    experts, specialties, relations, leave_rows, credits = [], [], [], [], []
    for i in range(1, n_experts + 1):
        birth = date(1950 + i % 40, 1 + i % 12, 1 + i % 28)
        status = "suspended" if i % 97 == 0 else ("removed" if i % 211 == 0 else "active")
        employer = (
            party_ids[i % len(party_ids)]
            if i % 53 == 0
            else (orgs["agency"].id if i % 401 == 0 else (orgs["finance"].id if i % 409 == 0 else None))
        )
        experts.append(
            {
                "id": i,
                "name": f"专家{i}",
                "id_number": f"B{i:016d}X",
                "birth_date": birth,
                "phone": f"138{i:08d}",
                "region_code": rng.choice(counties),
                "employer_org_id": employer,
                "employer_name": f"单位{i % 5000}",
                "title": "",
                "qualification": "",
                "status": status,
                "status_reason": "bench" if status != "active" else "",
                "registered_at": FROZEN,
                "admitted_at": FROZEN,
            }
        )
        for code in rng.sample(leaves, 1 + i % 3):
            specialties.append({"expert_id": i, "specialty_code": code})
        if i % 37 == 0:
            relations.append(
                {
                    "expert_id": i,
                    "kind": rng.choice(["past_employer", "relative_employer", "shareholding"]),
                    "org_id": rng.choice(party_ids),
                    "org_name": "关系单位",
                    "start_on": None,
                    "end_on": date(2025, 1, 1),
                    "note": "",
                }
            )
        if i % 31 == 0:
            leave_rows.append(
                {
                    "expert_id": i,
                    "start_on": date(2026, 11, 29),
                    "end_on": date(2026, 12, 3),
                    "reason": "",
                    "created_at": FROZEN,
                }
            )
        if i % 43 == 0:
            credits.append(
                {
                    "expert_id": i,
                    "kind": "late_decline",
                    "points": 2,
                    "occurred_at": FROZEN - timedelta(days=30),
                    "note": "",
                    "source": "",
                    "recorded_by_id": None,
                }
            )
    for model, rows in (
        (Expert, experts),
        (ExpertSpecialty, specialties),
        (ExpertRelation, relations),
        (ExpertLeave, leave_rows),
        (CreditRecord, credits),
    ):
        for start in range(0, len(rows), 5000):
            db.session.execute(insert(model), rows[start : start + 5000])
    db.session.commit()
    return {"orgs": orgs, "agency": agency, "supervisor": supervisor, "home": home, "counties": counties}


def busy_elsewhere(world: dict, n: int) -> None:
    """Another request at the same time and one of the same purchaser last week, each with n seated experts."""
    from core.db import db
    from expert_draw.models import DrawRequest, Invitation, InvitationKind, InvitationStatus, RequestStatus

    for offset, purchaser in (
        (timedelta(0), world["orgs"]["suppliers"][0].id),
        (timedelta(days=-7), world["orgs"]["purchaser"].id),
    ):
        req = DrawRequest(
            project_title="其他项目",
            region_code=world["home"],
            purchaser_org_id=purchaser,
            agency_org_id=world["orgs"]["agency"].id,
            method="public_tender",
            budget_fen=1,
            evaluation_start_at=EVALUATION + offset,
            evaluation_end_at=EVALUATION + offset + timedelta(hours=8),
            place="x",
            opens_at=None,
            status=RequestStatus.COMPLETE,
            created_by_id=world["agency"].id,
            created_at=FROZEN,
        )
        db.session.add(req)
        db.session.flush()
        for k in range(n):
            db.session.add(
                Invitation(
                    request_id=req.id,
                    expert_id=1 + (k * 7919 + int(offset.days) * 13) % 90000,
                    specialty_code="B01",
                    kind=InvitationKind.HAND_PICKED,
                    status=InvitationStatus.CONFIRMED,
                    reply_code=f"b{offset.days}-{k}",
                    deadline_at=FROZEN,
                )
            )
    db.session.commit()


def one_round(world: dict, scope_code: str, k: int) -> tuple[float, float, int]:
    from core.db import db
    from expert_draw import service
    from expert_draw.subject import DrawSubject
    from expert_draw.verifier import verify_draw

    subject = DrawSubject(
        title=f"基准项目{k}",
        purchaser_org_id=world["orgs"]["purchaser"].id,
        agency_org_id=world["orgs"]["agency"].id,
        method="public_tender",
        budget_fen=500_000_00,
        region_code=scope_code,
        supplier_org_ids={s.id for s in world["orgs"]["suppliers"]},
    )
    req = service.create_request(
        world["agency"], subject, [service.SpecialtyCount(*c) for c in COUNTS], EVALUATION, None, "评标室"
    )
    db.session.flush()
    started = time.perf_counter()
    draw = service.commit_draw(world["agency"], req)
    service.run_draw(draw, world["supervisor"], f"{200000 + k}")
    db.session.flush()
    draw_ms = (time.perf_counter() - started) * 1000
    events = service.draw_events(draw.id)
    started = time.perf_counter()
    verify_draw(events, draw.id)
    verify_ms = (time.perf_counter() - started) * 1000
    pool = draw.pool_size
    db.session.rollback()
    return draw_ms, verify_ms, pool


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experts", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument(
        "--scope",
        choices=("county", "city", "province"),
        default="county",
        help="the project's region: a county (the usual case), a city, or the whole province",
    )
    args = parser.parse_args()

    from argon2 import PasswordHasher

    from accounts import service as accounts
    from audit.service import ensure_head
    from core import clock
    from core.app import create_app
    from core.db import db

    accounts.password_hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    tmp = Path(tempfile.mkdtemp(prefix="draw-bench-"))
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.sqlite'}"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "FILE_STORE": str(tmp / "f"),
            "AUDIT_KEY_PATH": str(tmp / "k" / "audit.pem"),
            "CELERY_ALWAYS_EAGER": True,
            "SOCKETIO_MESSAGE_QUEUE": None,
            "REDIS_URL": None,
        }
    )
    backend = "postgresql" if url.startswith("postgres") else "sqlite"
    clock.clock.set(FROZEN)
    rng = random.Random(20261127)
    with app.app_context():
        db.drop_all()
        db.create_all()
        ensure_head()
        db.session.commit()
        t0 = time.perf_counter()
        world = build_library(args.experts, rng)
        busy_elsewhere(world, 300)
        print(f"library of {args.experts} experts built in {time.perf_counter() - t0:.1f} s ({backend})")
        scope = {"county": world["home"], "city": world["home"][:4] + "00", "province": "330000"}[args.scope]
        one_round(world, scope, -1)  # warm-up
        draws, verifies, pools = [], [], []
        for k in range(args.rounds):
            d, v, p = one_round(world, scope, k)
            draws.append(d)
            verifies.append(v)
            pools.append(p)
    result = {
        "backend": backend,
        "experts": args.experts,
        "scope": args.scope,
        "pool": statistics.median(pools),
        "rounds": args.rounds,
        "draw_p50_ms": round(percentile(draws, 50), 1),
        "draw_p99_ms": round(percentile(draws, 99), 1),
        "verify_p50_ms": round(percentile(verifies, 50), 1),
        "verify_p99_ms": round(percentile(verifies, 99), 1),
    }
    print(
        f"pool {result['pool']} candidates; draw p50 {result['draw_p50_ms']} ms, p99 {result['draw_p99_ms']} ms; "
        f"verify p50 {result['verify_p50_ms']} ms"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
