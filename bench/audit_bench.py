"""Audit log benchmark: append N events on SQLite, then verify the whole log.

Prints its figures; the last line is JSON. The verify ratio compares `flask audit verify`'s
work (read every row, rebuild each leaf, hash it, fold it into the tree, check checkpoints)
with hashing the same leaf bytes and folding them into the tree with hashlib alone, in the
same run, so a noisy machine moves both sides alike.

    .venv/bin/python bench/audit_bench.py [--events 100000] [--batch 100]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=100, help="events per committed transaction")
    args = parser.parse_args()

    from audit import service
    from audit.canonical import stored_event_leaf_data
    from audit.merkle import CompactRange
    from audit.models import AuditEvent
    from core.app import create_app
    from core.db import db

    tmp = Path(tempfile.mkdtemp(prefix="audit-bench-"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.sqlite'}", "FILE_STORE": str(tmp / "f"),
                      "AUDIT_KEY_PATH": str(tmp / "k" / "audit.pem"), "CELERY_ALWAYS_EAGER": True})
    with app.app_context():
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

        start = time.perf_counter()
        result = service.verify_log()
        verify_s = time.perf_counter() - start
        assert result.ok and result.size == args.events, result

        rows = db.session.execute(db.select(AuditEvent.seq, AuditEvent.time, AuditEvent.actor, AuditEvent.action,
                                            AuditEvent.object_type, AuditEvent.object_id,
                                            AuditEvent.payload)).all()
        leaves = [stored_event_leaf_data(*row) for row in rows]
        start = time.perf_counter()
        baseline = CompactRange()
        sha256 = hashlib.sha256
        for data in leaves:
            baseline.append(sha256(b"\x00" + data).digest())
        baseline.root()
        hash_s = time.perf_counter() - start
        assert baseline.root() == result.root

    appends_per_s = args.events / append_s
    verify_per_s = args.events / verify_s
    hash_per_s = args.events / hash_s
    print(f"appended {args.events} events in {append_s:.2f} s ({1000 * append_s / args.events:.3f} ms/event, "
          f"commit every {args.batch})")
    print(f"verified in {verify_s:.2f} s; hashlib-only tree over the same leaves {hash_s:.2f} s")
    print(json.dumps({"events": args.events, "append_per_s": round(appends_per_s), "append_ms_per_event":
                      round(1000 * append_s / args.events, 4), "verify_events_per_s": round(verify_per_s),
                      "hashlib_events_per_s": round(hash_per_s), "verify_ratio": round(verify_per_s / hash_per_s, 3),
                      "target_append_ms": 1.0, "target_verify_ratio": 0.5}))


if __name__ == "__main__":
    main()
