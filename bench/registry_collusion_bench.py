"""Collusion signals benchmark: one lot of 30 opened bids of 5 MB text each, and the identity graph.

Part 1 (issue 15: "collusion signals for a lot of 30 opened bids of 5 MB text each < 10 s and within 2×
of the hashing library alone on the same text"): 30 opened bids, each a 5 MiB UTF-8 technical response
(and a small DOCX), two pairs of them near-copies (1 % of the characters changed), the rest independent.
`pipeline_s` is `registry.collusion.service.compute_lot` on the lot — reading and hashing every file,
the metadata, the text sketches, every signal, the cross-tender history queries and storing the run —
the median of `--repeat` runs. `library_alone_s` is datasketch by itself on the same 30 texts: a
MinHash (same 128 permutations) updated with every character 5-gram of each text (no sampling; the
shingles' integer hashes are computed beforehand and not counted). `ratio` = pipeline / library alone.
`library_on_sample_s` is datasketch on only the sampled shingles the pipeline feeds it, to show what
the rest of the pipeline costs. For each planted pair, `accuracy` compares the pipeline's similarity
with the unsampled MinHash's estimate and the exact Jaccard of the full shingle sets.

Part 2 ("identity-graph query for one supplier p99 < 50 ms"): `--suppliers` supplier organisations,
each with an account (phone) and a supplier profile (legal representative, address, bank account, a
contact), one in 50 sharing a phone or a bank account with another; their identity keys built (as the
sweep does; `identity_index_build_s`), then `identity.group_of` for `--queries` random suppliers,
p50/p99 in ms.

Prints its figures; the last line is JSON.

    .venv/bin/python bench/registry_collusion_bench.py [--bids 30] [--mib 5] [--suppliers 100000]
        [--database-url postgresql://biaoyun:biaoyun@127.0.0.1:5432/db]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import zipfile
from datetime import timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

COMMON = 3500  # the most common characters (GB 2312 level 1 is 3,755)


def make_text(rng: np.random.Generator, mib: float) -> str:
    """`mib` MiB of UTF-8 Chinese: Zipf-like character frequencies, a sentence mark every ~25 characters."""
    n = int(mib * (1 << 20) / 3)
    ranks = np.minimum(rng.zipf(1.15, n), COMMON) - 1
    points = (0x4E00 + (ranks * 7919) % 20900).astype("<u4")
    points[rng.random(n) < 0.04] = ord("，")
    points[rng.random(n) < 0.03] = ord("。")
    return points.tobytes().decode("utf-32-le")


def edit(text: str, rng: np.random.Generator, share: float = 0.01) -> str:
    points = np.frombuffer(text.encode("utf-32-le"), dtype="<u4").copy()
    where = rng.choice(len(points), int(len(points) * share), replace=False)
    points[where] = ord("的")
    return points.tobytes().decode("utf-32-le")


def docx(author: str) -> bytes:
    import io

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("docProps/core.xml", '<c xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>'
                   f"{author}</dc:creator></c>")
        z.writestr("word/document.xml", "<w:document><w:p><w:t>商务响应</w:t></w:p></w:document>")
    return out.getvalue()


def seed_lot(db, filestore, bids: int, mib: float, rng: np.random.Generator):
    """A region, an opened project with one lot, `bids` opened bids whose files are in the opened area.
    Returns (lot, texts, planted pairs as bid indexes)."""
    from accounts.models import Org, OrgKind, Region, RegionLevel, User
    from core import clock
    from tender.models import Bid, Lot, OpeningRecord, Project
    from tender.transitions import BidStatus, Category, EvalMethod, LotStatus, Method, OpeningMode, ProjectStatus

    now = clock.now()
    db.session.add(Region(code="330329", name="泰顺县", level=RegionLevel.COUNTY))
    agency = Org(name="代理机构", kind=OrgKind.AGENCY, region_code="330329")
    buyer = Org(name="采购单位", kind=OrgKind.PURCHASER, region_code="330329")
    db.session.add_all([agency, buyer])
    db.session.flush()
    staff = User(username="agent", name="代理", password_hash="x", org_id=agency.id, region_code="330329",
                 created_at=now)
    db.session.add(staff)
    db.session.flush()
    project = Project(code="BENCH-1", title="基准项目", region_code="330329", purchaser_org_id=buyer.id,
                      agency_org_id=agency.id, created_by_id=staff.id, catalogue_code="A02010104",
                      category=Category.GOODS, method=Method.PUBLIC_TENDER, eval_method=EvalMethod.SCORING,
                      criteria=[], notice_at=now - timedelta(days=21), doc_start_at=now - timedelta(days=21),
                      doc_end_at=now - timedelta(days=14), clarify_deadline=now - timedelta(days=10),
                      deadline=now - timedelta(hours=2), opening_mode=OpeningMode.CUSTODIAN,
                      status=ProjectStatus.OPENED, created_at=now - timedelta(days=22),
                      published_at=now - timedelta(days=21), opened_at=now - timedelta(hours=1))
    lot = Lot(project=project, number=1, name="标项", budget_fen=10_000_000_00, max_price_fen=10_000_000_00,
              status=LotStatus.OPENED)
    db.session.add_all([project, lot])
    db.session.flush()
    base = [make_text(rng, mib) for _ in range(bids - 2)]
    texts = [*base[:2], edit(base[0], rng), edit(base[1], rng), *base[2:]][:bids]
    pairs = [(0, 2), (1, 3)]
    for i, text in enumerate(texts):
        org = Org(name=f"供应商{i:02d}", kind=OrgKind.SUPPLIER, region_code="330329")
        db.session.add(org)
        db.session.flush()
        user = User(username=f"s{i}", name=f"投标员{i}", password_hash="x", org_id=org.id, region_code="330329",
                    created_at=now)
        db.session.add(user)
        db.session.flush()
        bid = Bid(project_id=project.id, lot_id=lot.id, org_id=org.id, user_id=user.id, status=BidStatus.OPENED,
                  bidder_id=f"org-{org.id}", path=f"bids/bench/{i}.sealed", size=1, sha256="0" * 64,
                  signed_digest="0" * 64, signer_fingerprint=f"{i:064x}", commitment=f"c{i}",
                  submitted_at=now - timedelta(days=1), closed_at=now - timedelta(hours=1),
                  submitted_ip=f"10.0.{i}.1", submitted_user_agent=f"bench-agent/{i}")
        db.session.add(bid)
        db.session.flush()
        db.session.add(OpeningRecord(project_id=project.id, lot_id=lot.id, bid_id=bid.id, org_id=org.id,
                                     bidder_name=org.name, price_fen=900_000_00 + int(rng.integers(0, 90_000_00)),
                                     opened_at=now - timedelta(hours=1)))
        folder = filestore.absolute(f"opened/{project.id}/{bid.id}/files")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "技术响应文件.txt").write_text(text, encoding="utf-8")
        (folder / "商务响应文件.docx").write_bytes(docx(f"作者{i}"))
    db.session.commit()
    return lot, texts, pairs


def library_alone(texts: list[str], k: int) -> tuple[float, list]:
    """datasketch by itself: a MinHash of every k-character shingle of each text (hashes made beforehand)."""
    from datasketch import MinHash

    from registry.collusion import text as text_sim

    hashes = [text_sim.shingle_hashes(text_sim.code_points(t), k) for t in texts]
    start = time.perf_counter()
    sketches = []
    for h in hashes:
        m = MinHash(num_perm=text_sim.NUM_PERM, seed=text_sim.SEED, hashfunc=text_sim.low32)
        values = (h >> np.uint64(32)).tolist()
        for i in range(0, len(values), 1 << 16):  # (batch × 128) matrices of ~32 MB
            m.update_batch(values[i:i + (1 << 16)])
        sketches.append(m)
    return time.perf_counter() - start, sketches


def library_on_sample(texts: list[str], k: int) -> float:
    from registry.collusion import text as text_sim

    sketches = [text_sim.sketch(t, k) for t in texts]
    level = max(s.level for s in sketches)
    start = time.perf_counter()
    for s in sketches:
        s.minhash(level)
    return time.perf_counter() - start


def exact_jaccard(a: str, b: str, k: int) -> float:
    from registry.collusion import text as text_sim

    x = np.unique(text_sim.shingle_hashes(text_sim.code_points(a), k))
    y = np.unique(text_sim.shingle_hashes(text_sim.code_points(b), k))
    common = len(np.intersect1d(x, y, assume_unique=True))
    return common / (len(x) + len(y) - common)


def seed_suppliers(db, count: int, rng: random.Random) -> list[int]:
    """`count` suppliers with an account and a profile; one in 50 shares a phone or an account with another."""
    from sqlalchemy import insert, select

    from accounts.models import Org, OrgKind, User
    from core import clock
    from registry.suppliers.models import SizeClass, Supplier, SupplierContact

    now = clock.now()
    start = db.session.scalar(select(Org.id).order_by(Org.id.desc()).limit(1)) or 0
    batch = 5000
    for offset in range(0, count, batch):
        ids = range(start + offset + 1, start + min(offset + batch, count) + 1)
        db.session.execute(insert(Org), [{"id": i, "name": f"企业{i}", "kind": OrgKind.SUPPLIER,
                                          "region_code": "330329", "is_sme": False} for i in ids])
        phone = {i: f"139{(i - 1 if i % 50 == 0 else i):08d}" for i in ids}
        account = {i: f"6222{(i - 7 if i % 50 == 25 else i):015d}" for i in ids}
        db.session.execute(insert(User), [{"username": f"u{i}", "name": f"员工{i}", "phone": phone[i],
                                           "password_hash": "x", "org_id": i, "region_code": "330329",
                                           "active": True, "created_at": now} for i in ids])
        db.session.execute(insert(Supplier), [{"id": i, "org_id": i, "legal_representative": f"代表{i}",
                                               "address": f"泰顺县罗阳镇{i}号", "size_class": SizeClass.SMALL,
                                               "bank_name": "农业银行", "bank_account_name": f"企业{i}",
                                               "bank_account_number": account[i], "created_at": now}
                                              for i in ids])
        db.session.execute(insert(SupplierContact), [{"supplier_id": i, "name": "联系人", "phone": f"0577{i:08d}"}
                                                     for i in ids])
        db.session.commit()
    return list(range(start + 1, start + count + 1))


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bids", type=int, default=30)
    parser.add_argument("--mib", type=float, default=5.0, help="MiB of UTF-8 text per bid")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--suppliers", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--database-url", default="", help="PostgreSQL (emptied first); default a temporary SQLite")
    args = parser.parse_args()

    from core.app import create_app
    from core.db import db
    from registry.collusion import identity, service
    from registry.collusion import text as text_sim
    from tender import filestore

    tmp = Path(tempfile.mkdtemp(prefix="collusion-bench-"))
    url = args.database_url or f"sqlite:///{tmp / 'bench.sqlite'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "FILE_STORE": str(tmp / "f"),
                      "AUDIT_KEY_PATH": str(tmp / "k" / "audit.pem"), "CELERY_ALWAYS_EAGER": True,
                      "SOCKETIO_MESSAGE_QUEUE": ""})
    rng = np.random.default_rng(15)
    with app.app_context():
        if args.database_url:
            db.drop_all()
        db.create_all()
        from audit import service as audit_service

        audit_service.ensure_head()
        db.session.commit()
        lot, texts, pairs = seed_lot(db, filestore, args.bids, args.mib, rng)
        text_bytes = sum(len(t.encode()) for t in texts)
        runs, flags = [], []
        for _ in range(args.repeat):
            db.session.expire_all()
            lot = db.session.get(type(lot), lot.id)
            start = time.perf_counter()
            run = service.compute_lot(lot)
            db.session.commit()
            runs.append(time.perf_counter() - start)
            flags = [(f.kind, f.bid_ids, f.evidence) for f in run.flags]
        pipeline_s = statistics.median(runs)
        k = 5
        alone_s, full = library_alone(texts, k)
        sample_s = library_on_sample(texts, k)
        near = {tuple(b): e["similarity"] for kind, b, e in flags if kind == "near_duplicate_text"}
        first_bid = min(i for _, ids, _ in flags for i in ids) if flags else 1
        accuracy = []
        for a, b in pairs:
            accuracy.append({"pair": [a, b], "pipeline": near.get((first_bid + a, first_bid + b)),
                             "minhash_unsampled": round(full[a].jaccard(full[b]), 4),
                             "exact_jaccard": round(exact_jaccard(texts[a], texts[b], k), 4)})
        false_pairs = [ids for kind, ids, _ in flags if kind == "near_duplicate_text"
                       and tuple(i - first_bid for i in ids) not in {tuple(p) for p in pairs}]

        ids = seed_suppliers(db, args.suppliers, random.Random(15))
        start = time.perf_counter()
        for offset in range(0, len(ids), 2000):  # what the sweep's first runs do, one supplier at a time
            identity.refresh(ids[offset:offset + 2000])
            db.session.commit()
        index_s = time.perf_counter() - start
        picker = random.Random(7)
        timings = []
        linked = 0
        for _ in range(args.queries):
            org_id = picker.choice(ids)
            db.session.expire_all()
            start = time.perf_counter()
            group = identity.group_of(org_id)
            timings.append((time.perf_counter() - start) * 1000)
            linked += len(group["members"]) > 1
            db.session.rollback()

    result = {
        "database": "postgresql" if args.database_url else "sqlite",
        "bids": args.bids, "mib_per_bid": args.mib, "text_bytes": text_bytes,
        "pipeline_s": round(pipeline_s, 3), "pipeline_runs_s": [round(r, 3) for r in runs],
        "library_alone_s": round(alone_s, 3), "ratio": round(pipeline_s / alone_s, 3),
        "library_on_sample_s": round(sample_s, 3), "sample_target": text_sim.SAMPLE_TARGET,
        "flags": sorted({kind for kind, _, _ in flags}), "near_duplicate_pairs_found": len(near),
        "false_near_duplicate_pairs": len(false_pairs), "accuracy": accuracy,
        "pipeline_under_10s": pipeline_s < 10, "within_2x_of_library": pipeline_s <= 2 * alone_s,
        "identity_suppliers": args.suppliers, "identity_queries": args.queries,
        "identity_index_build_s": round(index_s, 2),
        "identity_p50_ms": round(percentile(timings, 50), 2), "identity_p99_ms": round(percentile(timings, 99), 2),
        "identity_queries_with_links": linked, "identity_p99_under_50ms": percentile(timings, 99) < 50,
    }
    print(f"collusion signals, {args.bids} bids × {args.mib} MiB: {pipeline_s:.2f} s "
          f"(datasketch alone on the same text {alone_s:.2f} s, ratio {pipeline_s / alone_s:.2f})")
    print(f"identity graph, {args.suppliers} suppliers: p50 {result['identity_p50_ms']} ms, "
          f"p99 {result['identity_p99_ms']} ms")
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
