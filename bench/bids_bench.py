"""Benchmark of sealed-bid submission and opening through the running platform.

Usage: python bench/bids_bench.py [--suppliers 200] [--size-mib 20] [--concurrency 200]
       DATABASE_URL=postgresql://…/a_database_of_its_own python bench/bids_bench.py   # drops its tables

1. A fresh instance (own SQLite database or the emptied DATABASE_URL, a file store in a temp folder)
   gets one agency, N suppliers with sign keys and API tokens, a notary's custodian with an encrypt key, and one
   published tender (the time vault and the notary, k = 2: the smallest policy the platform
   accepts, as no single party may hold k shares); each supplier's bid is sealed in advance with
   crypto/ (payload --size-mib, each unique).
2. `flask serve --no-worker` runs the server; N threads upload their bids concurrently as
   raw request bodies, as the CLI's curl line does, shortly before the deadline.
3. The deadline is moved to now (as the clock passing it); the notary unwraps its shares (on its own
   machine: not timed); then, timed as the platform's opening: the sweep closes submission and releases
   the vault's shares, the notary's shares are checked and stored (as the hall's submission does after
   its TOTP step-up), and the sweep opens every bid into the file store.
4. The same containers are opened with crypto/ directly in one process, for the ratio.

Checks: every supplier has exactly one bid, its digest the sealed file's (no lost or
duplicated bid), every bid opened. Memory: the server's peak resident memory (VmHWM) minus
its resident memory before the uploads. The last line is JSON.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MIB = 1 << 20

SETUP = r"""
import io, json, sys
from datetime import timedelta
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
import crypto
from core import clock
from core.app import create_app
from accounts import service as accounts
from accounts.models import OrgKind, Region, RegionLevel
from tender import service
from tender.bids import bidder_id_of
from tender.keys import public_pem

n, size, out_dir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
app = create_app()
with app.app_context():
    from audit.service import ensure_head
    from core.db import db
    db.drop_all(); db.create_all(); ensure_head()
    db.session.add_all([Region(code="330000", name="浙江省", level=RegionLevel.PROVINCE),
                        Region(code="330329", name="泰顺县", level=RegionLevel.COUNTY, parent_code="330000")])
    db.session.flush()
    agency_org = accounts.create_org("基准代理机构", OrgKind.AGENCY, "330329")
    purchaser = accounts.create_org("基准采购单位", OrgKind.PURCHASER, "330329")
    agent = accounts.create_user("bench-agent", "经办", "bench-pass-2026", ["agency_staff"], "330329", org=agency_org)
    notary_org = accounts.create_org("基准公证处", OrgKind.AGENCY, "330329")
    notary = accounts.create_user("bench-notary", "公证员", "bench-pass-2026", ["agency_staff"], "330329",
                                  org=notary_org)
    notary_key = ec.generate_private_key(ec.SECP256R1())
    accounts.register_public_key(notary, public_pem(notary_key.public_key()), "encrypt", "bench custody")
    now = clock.now()
    project = service.create_project(agent, {
        "title": "投标基准项目", "purchaser_org_id": purchaser.id, "catalogue_code": "A02010104", "category": "goods",
        "method": "public_tender", "eval_method": "lowest_price", "criteria": [],
        "lots": [{"name": "基准标项", "budget_fen": 10**10, "max_price_fen": 10**10}],
        "notice_at": now.isoformat(), "doc_start_at": now.isoformat(),
        "doc_end_at": (now + timedelta(days=7)).isoformat(), "clarify_deadline": (now + timedelta(days=10)).isoformat(),
        "deadline": (now + timedelta(days=21)).isoformat(), "opening_mode": "custodian",
        "custodian_user_ids": [notary.id], "include_vault": True, "k": 2})
    service.add_document(agent, project, "doc.txt", io.BytesIO(b"doc"))
    service.publish_project(agent, project.id)
    lot = project.lots[0]
    suppliers = []
    for i in range(n):
        org = accounts.create_org(f"基准供应商{i}", OrgKind.SUPPLIER, "330329")
        user = accounts.create_user(f"bench-s{i}", f"供应商{i}", "bench-pass-2026", ["supplier"], "330329", org=org)
        sign, enc = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
        accounts.register_public_key(user, public_pem(sign.public_key()), "sign", "bench")
        service.register_supplier(user, project.id)
        token = accounts.create_api_token(user, "bench").secret
        path = f"{out_dir}/bid{i}.sealed"
        with open(path, "wb") as handle:
            # a unique payload per bid, generated in bounded memory
            block = (f"supplier {i} ".encode() * 8192)[:65536]
            class Payload(io.RawIOBase):
                def __init__(self):
                    self.left = size
                def readable(self):
                    return True
                def seekable(self):
                    return True
                def seek(self, offset, whence=0):
                    if whence == 2:
                        return size
                    if whence == 0:
                        self.left = size - offset
                    return size - self.left
                def tell(self):
                    return size - self.left
                def readinto(self, buffer):
                    m = min(len(buffer), self.left, len(block))
                    buffer[:m] = block[:m]
                    self.left -= m
                    return m
            crypto.seal(lot.policy, sign, enc.public_key(), {"bidder": org.name, "lot": "1", "price_fen": 10**8 + i},
                        [("bid.bin", io.BufferedReader(Payload()))], handle, bidder_id_of(org))
        pem = enc.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
        suppliers.append({"token": token, "path": path, "enc_pem": pem})
    db.session.commit()
    notary_pem = notary_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()).decode()
    print(json.dumps({"project": project.id, "lot": lot.id, "suppliers": suppliers, "notary_pem": notary_pem,
                      "notary": notary.id}))
"""

MOVE_DEADLINE = r"""
from datetime import timedelta
from core import clock
from core.app import create_app
app = create_app()
with app.app_context():
    from core.db import db
    from tender.models import Project
    project = db.session.get(Project, int(__import__("sys").argv[1]))
    project.deadline = clock.now() - timedelta(seconds=1)
    db.session.commit()
"""

SWEEP = r"""
import json, sys, time
from cryptography.hazmat.primitives import serialization
import crypto
from core.app import create_app
app = create_app()
notary_id, notary_pem = int(sys.argv[1]), sys.stdin.read().encode()
key = serialization.load_pem_private_key(notary_pem, None)
with app.app_context():
    from core.db import db
    from tender import opening
    from tender.models import Project
    from tender.models import Bid
    # the notary unwraps its shares on its own machine (browser or CLI): not the platform's time
    unwrapped = [(bid.id, crypto.unwrap_share(opening.header_of(bid), key))
                 for bid in db.session.scalars(db.select(Bid).where(Bid.status == "submitted"))]
    started = time.perf_counter()
    closed = opening.sweep()  # closes submission, the vault releases its shares
    project = db.session.scalars(db.select(Project).where(Project.status == "opening")).one()
    member = next(c for c in project.custodians if c.user_id == notary_id)
    for bid_id, share in unwrapped:  # what submit_shares does with them: check each, store it
        bid = db.session.get(Bid, bid_id)
        crypto.verify_share(opening.header_of(bid), share)
        opening.store_share(bid, member.custodian_id, share, notary_id)
    db.session.commit()
    done = opening.sweep()  # opens every bid with k = 2 shares
    print(json.dumps({"seconds": time.perf_counter() - started, "closed": closed, "done": done}))
"""

COUNT = r"""
import json, sys
from core.app import create_app
app = create_app()
with app.app_context():
    from core.db import db
    from tender.models import Bid, OpeningRecord, Project
    pid = int(sys.argv[1])
    bids = db.session.scalars(db.select(Bid).where(Bid.project_id == pid)).all()
    print(json.dumps({"bids": len(bids), "orgs": len({b.org_id for b in bids}),
                      "digests": sorted(b.sha256 for b in bids),
                      "opened": sum(b.status.value == "opened" for b in bids),
                      "records": db.session.query(OpeningRecord).filter_by(project_id=pid).count(),
                      "status": db.session.get(Project, pid).status.value}))
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _run(env: dict, code: str, *args: str, stdin: str = "") -> str:
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          input=stdin)
    if done.returncode != 0:
        sys.exit(f"step failed:\n{done.stderr[-3000:]}")
    return done.stdout


def _digest(path: str) -> str:
    hasher = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(MIB):
            hasher.update(chunk)
    return hasher.hexdigest()


def _upload(url: str, token: str, path: str, results: list, index: int) -> None:
    import requests

    started = time.perf_counter()
    try:
        with open(path, "rb") as handle:
            response = requests.post(url, data=handle, timeout=600, headers={
                "Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream"})
    except requests.RequestException as exc:  # counted as a failed upload, with its cause
        results[index] = (0, time.perf_counter() - started, f"{type(exc).__name__}: {exc}")
        return
    detail = "" if response.status_code == 201 else response.text[:300]
    results[index] = (response.status_code, time.perf_counter() - started, detail)


def _direct_open(suppliers: list[dict], out: Path) -> float:
    """Open the same containers with crypto/ in one process (each supplier's own key)."""
    from cryptography.hazmat.primitives import serialization

    import crypto

    started = time.perf_counter()
    for i, s in enumerate(suppliers):
        key = serialization.load_pem_private_key(s["enc_pem"].encode(), None)
        with open(s["path"], "rb") as handle:
            crypto.open_with_key(handle, key, crypto.DirectorySink(out / f"direct{i}"))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suppliers", type=int, default=200)
    parser.add_argument("--size-mib", type=float, default=20)
    parser.add_argument("--concurrency", type=int, default=0, help="parallel uploads (default: all at once)")
    args = parser.parse_args()
    size = int(args.size_mib * MIB)
    work = Path(tempfile.mkdtemp(prefix="bids-bench-"))
    instance = work / "instance"
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'bench.sqlite'}"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("BIAOYUN_") and k not in ("DATABASE_URL", "REDIS_URL")}
    env.update({"BIAOYUN_INSTANCE_PATH": str(instance), "DATABASE_URL": database_url,
                "FILE_STORE": str(instance / "files"), "SECRET_KEY": secrets.token_hex(32), "FLASK_APP": "wsgi",
                "BIAOYUN_AUDIT_KEY_PATH": str(instance / "keys" / "audit.pem")})
    sealed = work / "sealed"
    sealed.mkdir(parents=True)
    t0 = time.perf_counter()
    setup = json.loads(_run(env, SETUP, str(args.suppliers), str(size), str(sealed)).strip().splitlines()[-1])
    print(f"setup and sealing: {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(work / "server.log", "wb")  # noqa: SIM115
    server = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "serve", "--no-worker", "--port",
                               str(port)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    try:
        import requests

        for _ in range(300):
            try:
                if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        rss_before = _status_kib(server.pid, "VmRSS")
        url = f"{base}/api/v1/tender/projects/{setup['project']}/lots/{setup['lot']}/bids"
        results: list = [None] * args.suppliers
        suppliers = setup["suppliers"]
        limit = threading.Semaphore(args.concurrency or args.suppliers)

        def one(i: int) -> None:
            with limit:
                _upload(url, suppliers[i]["token"], suppliers[i]["path"], results, i)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(args.suppliers)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        upload_s = time.perf_counter() - started
        peak_growth_mib = (_status_kib(server.pid, "VmHWM") - rss_before) / 1024
        failed = [r for r in results if r is None or r[0] != 201]
        latencies = sorted(r[1] for r in results if r)
        _run(env, MOVE_DEADLINE, str(setup["project"]))
        # the opening as the beat's sweep runs it (timed inside the process, app start-up excluded)
        opening_s = json.loads(_run(env, SWEEP, str(setup["notary"]), stdin=setup["notary_pem"])
                               .strip().splitlines()[-1])["seconds"]
        counts = json.loads(_run(env, COUNT, str(setup["project"])).strip().splitlines()[-1])
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
        log.close()
    expected = sorted(_digest(s["path"]) for s in suppliers)
    direct_s = _direct_open(suppliers, work / "direct")
    result = {
        "database": database_url.split(":", 1)[0].split("+", 1)[0], "suppliers": args.suppliers,
        "size_mib": args.size_mib,
        "uploads_per_s": round(args.suppliers / upload_s, 2),
        "upload_mib_per_s": round(args.suppliers * size / MIB / upload_s, 1),
        "p50_upload_s": round(latencies[len(latencies) // 2], 3) if latencies else None,
        "p99_upload_s": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 3) if latencies else None,
        "failed_uploads": len(failed),
        "failures": sorted({f"{r[0]} {r[2][:160]}" for r in failed if r is not None})[:5],
        "server_peak_rss_growth_mib": round(peak_growth_mib, 1),
        "opening_s": round(opening_s, 2), "direct_open_s": round(direct_s, 2),
        "opening_ratio": round(direct_s / opening_s, 3) if opening_s else None,
        "no_lost_or_duplicated": counts["digests"] == expected and counts["orgs"] == counts["bids"] == args.suppliers,
        "all_opened": counts["opened"] == counts["records"] == args.suppliers, "project_status": counts["status"],
    }
    import shutil

    if failed:  # the server's own account of each failure, before its log goes with the work folder
        errors = [line for line in (work / "server.log").read_text(errors="replace").splitlines()
                  if "Error" in line or "error" in line]
        print("\n".join(errors[-20:]), file=sys.stderr)
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
