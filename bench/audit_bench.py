"""Audit log benchmark: append N events, then verify the whole log.

Prints its figures; the last line is JSON. The verify ratio compares `flask audit verify`'s
work (read every row's stored leaf bytes and leaf hash, hash the bytes, build the tree, check
checkpoints and the head) with hashing the same leaf bytes, already in memory, and folding them
into the tree with hashlib alone (CompactRange.append per leaf), in the same run, so a noisy
machine moves both sides alike. Verification and baseline run --repeat times, interleaved; the
best of each is taken. `hashlib_levels` is a second baseline, the tree hashed a level at a time
(what verify itself does), for a stricter ratio.

SQLite in a temporary folder, or the database in DATABASE_URL (its tables are dropped first):

    .venv/bin/python bench/audit_bench.py [--events 100000] [--batch 100] [--repeat 5]
    DATABASE_URL=postgresql://…/a_database_of_its_own .venv/bin/python bench/audit_bench.py
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=100, help="events per committed transaction")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from audit import service
    from audit.merkle import CompactRange, fold_right, prefix_subtrees, subtree_levels
    from audit.models import AuditEvent
    from core.app import create_app
    from core.db import db

    tmp = Path(tempfile.mkdtemp(prefix="audit-bench-"))
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.sqlite'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "FILE_STORE": str(tmp / "f"),
                      "AUDIT_KEY_PATH": str(tmp / "k" / "audit.pem"), "CELERY_ALWAYS_EAGER": True})
    with app.app_context():
        db.drop_all()
        db.create_all()
        service.ensure_head()
        db.session.commit()

        start = time.perf_counter()
        for i in range(args.events):
            service.record("bench.event", payload={"i": i, "bid": f"{i:08d}", "digest": "ab" * 32},
                           actor="user:1", object_type="bid", object_id=i)
            if (i + 1) % args.batch == 0:
                db.session.commit()
                db.session.expunge_all()
        db.session.commit()
        append_s = time.perf_counter() - start
        service.create_checkpoint()
        db.session.commit()

        leaves = [bytes(data) for data in db.session.scalars(
            db.select(AuditEvent.leaf_data).order_by(AuditEvent.seq))]
        db.session.commit()
        sha256 = hashlib.sha256
        verify_s = hash_s = levels_s = float("inf")
        for _ in range(args.repeat):
            start = time.perf_counter()
            result = service.verify_log()
            verify_s = min(verify_s, time.perf_counter() - start)
            db.session.commit()
            assert result.ok and result.size == args.events, result

            start = time.perf_counter()
            baseline = CompactRange()
            for data in leaves:
                baseline.append(sha256(b"\x00" + data).digest())
            baseline_root = baseline.root()
            hash_s = min(hash_s, time.perf_counter() - start)
            assert baseline_root == result.root

            start = time.perf_counter()
            levels_root = fold_right(prefix_subtrees(subtree_levels([sha256(b"\x00" + d).digest() for d in leaves]),
                                                     len(leaves)))
            levels_s = min(levels_s, time.perf_counter() - start)
            assert levels_root == result.root

    appends_per_s = args.events / append_s
    verify_per_s = args.events / verify_s
    hash_per_s = args.events / hash_s
    levels_per_s = args.events / levels_s
    dialect = url.split(":", 1)[0].split("+", 1)[0]
    print(f"appended {args.events} events in {append_s:.2f} s ({1000 * append_s / args.events:.3f} ms/event, "
          f"commit every {args.batch})")
    print(f"{dialect}: verified in {verify_s:.3f} s; hashlib-only tree over the same leaves {hash_s:.3f} s "
          f"(a level at a time {levels_s:.3f} s); best of {args.repeat}")
    print(json.dumps({"database": dialect, "events": args.events, "append_per_s": round(appends_per_s),
                      "append_ms_per_event": round(1000 * append_s / args.events, 4),
                      "verify_events_per_s": round(verify_per_s),
                      "hashlib_events_per_s": round(hash_per_s), "verify_ratio": round(verify_per_s / hash_per_s, 3),
                      "hashlib_levels_events_per_s": round(levels_per_s),
                      "verify_ratio_to_levels": round(verify_per_s / levels_per_s, 3),
                      "target_append_ms": 1.0, "target_verify_ratio": 0.5}))


if __name__ == "__main__":
    main()
