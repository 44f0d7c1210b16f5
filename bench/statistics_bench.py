"""Statistics benchmark: the /statistics report over many signed tender contracts, from the monthly rollup,
against the from-scratch SQL it stands for, in the same run on the same rows.

The world: 1 province, 10 cities, 100 counties; purchasers, agencies (a fifth of them central) and
suppliers of every size class; `--contracts` signed contracts (default 200,000), each with its lot (five lots a
project) and award, spread over 36 months, methods, categories, catalogue codes and counties, written by bulk
insert as the kits leave them (one shared bid, report and candidate: the statistics never read bids). Then:

- `rebuild_s`: the whole rollup built from scratch (what a new deployment does once);
- `report_ms`: `portal.statistics.report` (every table: year, month, method, category, catalogue, organisation
  form, region) for the province and for a county's year, p50/p99 over `--runs`; target p99 < 500 ms;
- `scratch_ms`: the same cells computed from the contracts (`portal.statistics.compute`, the from-scratch SQL
  the rollup must equal, which it is checked to do here too), p50; `ratio` = report p50 / scratch p50;
- `stale_report_ms`: the report right after a contract of one month changed (that month read live).

SQLite in a temporary folder, or the database in DATABASE_URL (its tables are dropped and rebuilt: give it a
database of its own, not the one tests run in). The last line is JSON.

    .venv/bin/python bench/statistics_bench.py [--contracts 200000] [--runs 20]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FROZEN = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
CHUNK = 5000
METHODS = ["public_tender", "public_tender", "public_tender", "competitive_consultation", "competitive_negotiation",
           "inquiry", "single_source", "invited_tender"]
CATALOGUE = [("goods", "A02010104"), ("goods", "A02010105"), ("goods", "A05010301"), ("services", "C16010100"),
             ("services", "C21040000"), ("works", "B01010000")]
SIZES = ["large", "medium", "small", "small", "micro", "micro"]


def _insert(table, rows: list[dict]) -> None:
    from core.db import db

    for i in range(0, len(rows), CHUNK):
        db.session.execute(table.insert(), rows[i:i + CHUNK])


def build_world(n_contracts: int, rng: random.Random) -> dict:
    """Regions, organisations, suppliers, one bid chain, then projects, lots, awards and signed contracts."""
    from accounts.models import Org, Region, User
    from core.db import db
    from evaluation.models import Candidate, Committee, EvaluationReport
    from notices.models import Notice
    from registry.suppliers.models import Supplier
    from tender.models import Bid, Lot, Project

    now = FROZEN
    regions = [{"code": "330000", "name": "浙江省", "level": "province", "parent_code": None}]
    counties = []
    for c in range(1, 11):
        city = f"33{c:02d}00"
        regions.append({"code": city, "name": f"市{c}", "level": "city", "parent_code": "330000"})
        for k in range(1, 11):
            counties.append(f"33{c:02d}{k:02d}")
            regions.append({"code": counties[-1], "name": f"县{c}-{k}", "level": "county", "parent_code": city})
    _insert(Region.__table__, regions)
    orgs, oid = [], 0

    def org(kind: str, region: str, sme: bool = False) -> int:
        nonlocal oid
        oid += 1
        orgs.append({"id": oid, "name": f"单位{oid}", "kind": kind, "region_code": region, "uscc": None,
                     "is_sme": sme, "parent_id": None})
        return oid

    purchasers = [org("purchaser", rng.choice(counties)) for _ in range(200)]
    agencies = [org("central_agency" if i % 5 == 0 else "agency", rng.choice(counties)) for i in range(40)]
    sellers = [org("supplier", rng.choice(counties), sme=i % 10 != 0) for i in range(3000)]
    _insert(Org.__table__, orgs)
    _insert(Supplier.__table__, [
        {"org_id": s, "legal_representative": "张三", "address": "浙江", "size_class": SIZES[i % len(SIZES)],
         "bank_name": "银行", "bank_account_name": "户名", "bank_account_number": str(s), "created_at": now,
         "admitted_at": now,
         "status": "active", "status_reason": "", "uscc_warning": "", "uscc_confirm_note": "", "imported": False}
        for i, s in enumerate(sellers[:2500])])  # the last 500 are not in the library: their SME mark counts
    _insert(User.__table__, [{"id": 1, "username": "bench", "name": "基准", "password_hash": "x",
                              "org_id": purchasers[0], "region_code": "330000", "active": True, "org_admin": False,
                              "created_at": now, "totp_last_step": 0}])
    common = {"created_by_id": 1, "eval_method": "scoring", "criteria": [], "price_fixed": False,
              "same_brand_counts_once": False, "is_complex": False, "complex_reason": "", "notice_at": now,
              "doc_start_at": now, "doc_end_at": now, "clarify_deadline": now, "deadline": now,
              "opening_mode": "custodian", "decrypt_window_minutes": 30, "k": 1, "created_at": now,
              "published_at": now, "opened_at": now, "lock_version": 0}
    _insert(Project.__table__, [{"id": 1, "code": "BENCH-0", "title": "基准项目", "region_code": counties[0],
                                 "purchaser_org_id": purchasers[0], "agency_org_id": agencies[1],
                                 "catalogue_code": "A02010104", "category": "goods", "method": "public_tender",
                                 "status": "closed", **common}])
    _insert(Lot.__table__, [{"id": 1, "project_id": 1, "number": 1, "name": "标项", "budget_fen": 1,
                             "max_price_fen": 1, "status": "contracted"}])
    _insert(Committee.__table__, [{"id": 1, "project_id": 1, "lot_id": 1, "eval_method": "scoring",
                                   "status": "forming", "rules_json": "{}", "opens_at": now, "created_at": now}])
    _insert(EvaluationReport.__table__, [{"id": 1, "committee_id": 1, "version": 1, "status": "draft",
                                          "generated_at": now}])
    _insert(Bid.__table__, [{"id": 1, "project_id": 1, "lot_id": 1, "org_id": sellers[0], "user_id": 1,
                             "status": "opened", "bidder_id": "b", "path": "x", "size": 1, "sha256": "0" * 64,
                             "signed_digest": "0" * 64, "signer_fingerprint": "0" * 64, "commitment": "c",
                             "attempts": 0, "submitted_at": now, "closed_at": now}])
    _insert(Candidate.__table__, [{"id": 1, "report_id": 1, "bid_id": 1, "position": 1, "rank": 1, "price_fen": 1}])
    _insert(Notice.__table__, [{"id": 1, "kind": "contract", "region_code": counties[0], "subject_type": "bench",
                                "subject_id": 1, "title": "合同公告", "body": "", "published_at": now}])
    db.session.commit()

    projects, lots, awards, contracts = [], [], [], []
    pid, lid = 1, 1
    for n in range(n_contracts):
        if n % 5 == 0:
            pid += 1
            category, code = rng.choice(CATALOGUE)
            region, method = rng.choice(counties), rng.choice(METHODS)
            purchaser = rng.choice(purchasers)
            agency = purchaser if rng.random() < 0.05 else rng.choice(agencies)
            projects.append({"id": pid, "code": f"B-{pid}", "title": f"项目{pid}", "region_code": region,
                             "purchaser_org_id": purchaser, "agency_org_id": agency, "catalogue_code": code,
                             "category": category, "method": method, "status": "closed", **common})
        lid += 1
        budget = rng.randrange(50_000_00, 5_000_000_00)
        amount = int(budget * rng.uniform(0.82, 1.0))
        signed = now - timedelta(minutes=rng.randrange(0, 36 * 30 * 24 * 60))
        lots.append({"id": lid, "project_id": pid, "number": n % 5 + 1, "name": "标项", "budget_fen": budget,
                     "max_price_fen": budget, "status": "contracted"})
        awards.append({"id": lid, "lot_id": lid, "candidate_id": 1, "status": "contracted", "confirm_due_at": now,
                       "created_at": now, "confirmed_at": now, "confirmed_by_id": 1, "deemed_confirmed": False,
                       "notified_at": signed, "contracted_at": signed})
        contracts.append({"source_kind": "award", "source_id": lid, "region_code": region,
                          "purchaser_org_id": purchaser, "supplier_org_id": rng.choice(sellers),
                          "agency_org_id": None if agency == purchaser else agency, "number": f"HT-{lid}",
                          "status": "signed", "amount_fen": amount, "document": "{}", "sha256": "0" * 64,
                          "revision": 1, "due_at": now, "drafted_by_id": 1, "drafted_at": signed, "signed_at": signed,
                          "notice_id": 1, "paid_fen": 0})
        if len(contracts) >= 50_000:
            _flush(projects, lots, awards, contracts)
    _flush(projects, lots, awards, contracts)
    return {"contracts": n_contracts, "counties": counties}


def _flush(projects: list, lots: list, awards: list, contracts: list) -> None:
    from contracts.models import Contract
    from core.db import db
    from evaluation.models import Award
    from tender.models import Lot, Project

    for table, rows in ((Project.__table__, projects), (Lot.__table__, lots), (Award.__table__, awards),
                        (Contract.__table__, contracts)):
        _insert(table, rows)
        rows.clear()
    db.session.commit()


def _analyse() -> None:
    from sqlalchemy import text

    from core.db import db

    db.session.execute(text("ANALYZE"))
    db.session.commit()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def _times(fn: Callable[[], object], runs: int) -> tuple[list[float], object]:
    out, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        out.append((time.perf_counter() - started) * 1000)
    return out, result


def _cells(rows) -> dict:
    from portal.statistics import MEASURES

    out: dict = {}
    for row in rows:
        cell = out.setdefault((row["dimension"], row["key"], row["region_code"], row["month"]), [0] * len(MEASURES))
        for i, m in enumerate(MEASURES):
            cell[i] += int(row[m] or 0)
    return {k: v for k, v in out.items() if any(v)}


def measure(app, world: dict, runs: int) -> dict:
    from sqlalchemy import select

    from accounts.service import regions_under
    from contracts.models import Contract
    from core.db import db
    from evaluation.statistics import PROCUREMENT
    from portal import statistics

    figures: dict = {}
    started = time.perf_counter()
    statistics.rebuild()
    db.session.commit()
    figures["rebuild_s"] = round(time.perf_counter() - started, 2)
    figures["rollup_rows"] = db.session.query(statistics.StatRollup).count()
    county = world["counties"][17]
    with app.test_request_context():
        for name, region, year in (("province", "330000", None), ("county_year", county, 2026)):
            report_times, found = _times(lambda r=region, y=year: statistics.report(PROCUREMENT, r, y), runs)
            scope = regions_under(region)
            scratch_times, scratch = _times(lambda s=scope: statistics.compute(PROCUREMENT, None, s),
                                            max(3, runs // 5))
            assert _cells(statistics.cells(PROCUREMENT, scope)) == _cells(scratch), "rollup differs from scratch"
            figures[name] = {"contracts": found.total.n, "report_ms_p50": round(percentile(report_times, 50), 1),
                             "report_ms_p99": round(percentile(report_times, 99), 1),
                             "scratch_ms_p50": round(percentile(scratch_times, 50), 1),
                             "ratio": round(percentile(report_times, 50) / percentile(scratch_times, 50), 4)}
        # one contract corrected: its month is read live until the sweep rebuilds it
        contract = db.session.scalar(select(Contract).order_by(Contract.id.desc()).limit(1))
        contract.amount_fen += 100
        db.session.commit()
        stale_times, _found = _times(lambda: statistics.report(PROCUREMENT, "330000"), max(3, runs // 4))
        figures["stale_report_ms_p50"] = round(percentile(stale_times, 50), 1)
        assert _cells(statistics.cells(PROCUREMENT)) == _cells(statistics.compute(PROCUREMENT))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contracts", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    from audit.service import ensure_head
    from core import clock
    from core.app import create_app
    from core.db import db

    tmp = Path(tempfile.mkdtemp(prefix="statistics-bench-"))
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.sqlite'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "FILE_STORE": str(tmp / "f"),
                      "AUDIT_KEY_PATH": str(tmp / "k" / "audit.pem"), "CELERY_ALWAYS_EAGER": True,
                      "SOCKETIO_MESSAGE_QUEUE": None, "REDIS_URL": None})
    backend = "postgresql" if url.startswith("postgres") else "sqlite"
    clock.clock.set(FROZEN)
    result: dict = {"backend": backend}
    with app.app_context():
        db.drop_all()
        db.create_all()
        ensure_head()
        db.session.commit()
        started = time.perf_counter()
        world = build_world(args.contracts, random.Random(20261204))
        _analyse()
        result |= {"contracts": world["contracts"], "build_s": round(time.perf_counter() - started, 1)}
        print(f"{world['contracts']} signed contracts built in {result['build_s']} s ({backend})")
        result |= measure(app, world, args.runs)
        for key in ("province", "county_year"):
            print(f"{key}: " + ", ".join(f"{k} {v}" for k, v in result[key].items()))
        result["target_met"] = all(result[k]["report_ms_p99"] < 500 for k in ("province", "county_year"))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
