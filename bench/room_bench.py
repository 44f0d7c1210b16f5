"""Benchmark of the evaluation room: members submit scores concurrently while observers watch live.

Usage: python bench/room_bench.py [--observers 200] [--members 7] [--rounds 10]

1. A fresh instance (own SQLite database in a temp folder) gets one opened project with `--rounds`
   lots; each lot's committee of `--members` experts is taken, through the services, to the scoring
   stage. Every expert and `--observers` agency staff get API tokens (TOTP bound for the experts).
2. `flask serve --no-worker` runs the server. Every observer connects to `/evaluation` over Socket.IO
   (websocket, authenticated by its token in the handshake) and joins every room; each round's
   members connect and join their own room.
3. Round by round, the members of one committee submit their whole score sheets at once through
   `POST /api/v1/evaluation/committees/<id>/scores` with a current TOTP code: authorisation, the
   step-up, the database write, the audit event, the commit, then the broadcast. A submission's
   latency is the time from sending it until EVERY client in the room (its members and all
   observers) has received a `changed` event showing that member among those who finished scoring.
4. The same clients, rooms and submissions are replayed against a bare Flask-SocketIO server
   (threading mode, the same `socketio.run`) whose POST handler only records the member and
   broadcasts the same shape: `ratio` = our p99 / its p99.

The last line is JSON: p50/p99 milliseconds for both servers and the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SETUP = r"""
import json, sys
from datetime import date, timedelta
import pyotp
from core import clock, secretbox
from core.app import create_app
from accounts import service as accounts
from accounts.models import OrgKind, Region, RegionLevel

observers, members, rounds = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
app = create_app()
with app.app_context():
    from audit.service import ensure_head
    from core.db import db
    from evaluation import service
    from expert_draw.models import DrawRequest, Invitation, InvitationKind, InvitationStatus, RequestStatus
    from registry.experts.demo import demo_id_number, ensure_specialties
    from registry.experts.models import Expert, ExpertStatus
    from tender.models import Bid, Lot, OpeningRecord, Project
    from tender.transitions import BidStatus, Category, EvalMethod, LotStatus, Method, OpeningMode, ProjectStatus

    db.create_all(); ensure_head()
    db.session.add_all([Region(code="330000", name="浙江省", level=RegionLevel.PROVINCE),
                        Region(code="330329", name="泰顺县", level=RegionLevel.COUNTY, parent_code="330000")])
    db.session.flush()
    ensure_specialties()
    pw = accounts.hash_password("bench-pass-2026")
    agency = accounts.create_org("基准代理机构", OrgKind.AGENCY, "330329")
    purchaser = accounts.create_org("基准采购单位", OrgKind.PURCHASER, "330329")

    def user(name, role, org=None):
        u = accounts.create_user(name, name, None, [role], "330329", org=org, password_hash=pw)
        seed = pyotp.random_base32()
        u.totp_secret = secretbox.seal(seed.encode(), accounts.TOTP_PURPOSE)
        db.session.flush()
        return u, seed, accounts.create_api_token(u, "bench").secret

    agent, _, _ = user("bench-agent", "agency_staff", agency)
    out = {"observers": [], "rooms": []}
    for i in range(observers):
        out["observers"].append(user(f"obs{i}", "agency_staff", agency)[2])
    now = clock.now()
    project = Project(code="BENCH-ROOM", title="评审室基准项目", region_code="330329", purchaser_org_id=purchaser.id,
                      agency_org_id=agency.id, created_by_id=agent.id, catalogue_code="A02010104",
                      category=Category.GOODS, method=Method.PUBLIC_TENDER, eval_method=EvalMethod.SCORING,
                      criteria=[{"name": "价格", "weight": 30, "price": True}, {"name": "技术", "weight": 55},
                                {"name": "商务", "weight": 15}],
                      notice_at=now - timedelta(days=21), doc_start_at=now - timedelta(days=21),
                      doc_end_at=now - timedelta(days=14), clarify_deadline=now - timedelta(days=10),
                      deadline=now - timedelta(hours=2), opening_mode=OpeningMode.CUSTODIAN,
                      status=ProjectStatus.OPENED, created_at=now - timedelta(days=22),
                      published_at=now - timedelta(days=21), opened_at=now - timedelta(hours=1))
    db.session.add(project)
    db.session.flush()
    suppliers = [accounts.create_org(f"基准供应商{i}", OrgKind.SUPPLIER, "330329") for i in range(3)]
    supplier_users = [accounts.create_user(f"sup{i}", f"sup{i}", None, ["supplier"], "330329", org=o,
                                           password_hash=pw) for i, o in enumerate(suppliers)]
    n = 0
    for r in range(rounds):
        lot = Lot(project=project, number=r + 1, name=f"标项{r + 1}", budget_fen=1_000_000_00,
                  max_price_fen=1_000_000_00, status=LotStatus.OPENED)
        db.session.add(lot)
        db.session.flush()
        for i, (org, su) in enumerate(zip(suppliers, supplier_users)):
            bid = Bid(project_id=project.id, lot_id=lot.id, org_id=org.id, user_id=su.id, status=BidStatus.OPENED,
                      bidder_id=f"b{r}-{i}", path="x", size=1, sha256="0" * 64, signed_digest="0" * 64,
                      signer_fingerprint="0" * 64, commitment="c", submitted_at=now, closed_at=now)
            db.session.add(bid)
            db.session.flush()
            db.session.add(OpeningRecord(project_id=project.id, lot_id=lot.id, bid_id=bid.id, org_id=org.id,
                                         bidder_name=org.name, price_fen=900_000_00 + 10_000_00 * i, opened_at=now))
        req = DrawRequest(project_id=project.id, lot_id=lot.id, project_title=project.title, region_code="330329",
                          purchaser_org_id=purchaser.id, agency_org_id=agency.id, method="public_tender",
                          budget_fen=10**9, evaluation_start_at=now - timedelta(minutes=5),
                          evaluation_end_at=now + timedelta(hours=5), place="远程", is_remote=True,
                          status=RequestStatus.COMPLETE, created_by_id=agent.id, created_at=now)
        db.session.add(req)
        db.session.flush()
        room = {"members": []}
        for m in range(members):
            n += 1
            u, seed, token = user(f"exp{n}", "expert")
            e = Expert(user_id=u.id, name=u.name, id_number=demo_id_number(n, date(1975, 5, 5)),
                       birth_date=date(1975, 5, 5), phone=f"139{n:08d}", region_code="330329",
                       employer_name="某大学", status=ExpertStatus.ACTIVE, registered_at=now, admitted_at=now)
            db.session.add(e)
            db.session.flush()
            db.session.add(Invitation(request_id=req.id, expert_id=e.id, specialty_code="B01",
                                      kind=InvitationKind.HAND_PICKED, status=InvitationStatus.CONFIRMED,
                                      reply_code=f"BR{n:06d}", notified_at=now, responded_at=now))
            room["members"].append({"user": u, "seed": seed, "token": token})
        db.session.flush()
        c = service.open_evaluation(agent, lot.id)
        for m in room["members"]:
            service.sign_declaration(m["user"], c.id, conflict=False)
        chair = c.active_members[0]
        for m in room["members"][: members // 2 + 1]:
            service.vote_chair(m["user"], c.id, chair.id)
        chair_user = room["members"][0]["user"]
        service.start_review(chair_user, c.id)
        for m in room["members"]:
            for stage, reqs in service.requirements_of(c).items():
                service.submit_review(m["user"], c.id, stage, [{"bid_id": b.id, "requirement": q, "passed": True}
                                                               for b, _ in service.opened_bids(c) for q in reqs])
        service.finish_review(chair_user, c.id)
        by_user = {mm.user_id: mm.id for mm in c.members}
        sheet = {str(b): {"技术": "40", "商务": "12"} for b in service.valid_bid_ids(c)}
        out["rooms"].append({"committee": c.id, "sheet": sheet, "members": [
            {"member_id": by_user[m["user"].id], "seed": m["seed"], "token": m["token"]} for m in room["members"]]})
        db.session.commit()
    print(json.dumps(out))
"""

BARE = r"""
import sys, threading
from flask import Flask, request
from flask_socketio import SocketIO, join_room

app = Flask("bare")
sio = SocketIO(app, async_mode="threading", cors_allowed_origins="*")
done, lock = {}, threading.Lock()

@sio.on("join", namespace="/evaluation")
def on_join(data):
    join_room(f"committee:{data['committee_id']}")
    return {"ok": True}

@app.post("/submit/<int:cid>/<int:member>")
def submit(cid, member):
    with lock:
        done.setdefault(cid, set()).add(member)
        progress = sorted(done[cid])
    sio.emit("changed", {"committee_id": cid, "progress": {"scoring": progress}}, to=f"committee:{cid}",
             namespace="/evaluation")
    return {"ok": True}

@app.get("/healthz")
def healthz():
    return "ok"

sio.run(app, host="127.0.0.1", port=int(sys.argv[1]), allow_unsafe_werkzeug=True, use_reloader=False)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_up(base: str) -> None:
    import requests

    for _ in range(300):
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError("server did not start")


class Watcher:
    """One Socket.IO client: records when it first saw each (committee, member) as finished."""

    def __init__(self, base: str, token: str | None, rooms: list[int]):
        import socketio

        self.seen: dict[tuple[int, int], float] = {}
        self.client = socketio.Client(reconnection=False)
        self.client.on("changed", self._changed, namespace="/evaluation")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.client.connect(base, headers=headers, namespaces=["/evaluation"], transports=["websocket"],
                            wait_timeout=30)
        for cid in rooms:
            reply = self.client.call("join", {"committee_id": cid}, namespace="/evaluation", timeout=60)
            if not reply or not reply.get("ok"):
                raise RuntimeError(f"join refused: {reply}")

    def _changed(self, data):
        now = time.monotonic()  # system-wide: comparable across the watcher processes
        cid = data.get("committee_id")
        for member in (data.get("progress") or {}).get("scoring", []):
            self.seen.setdefault((cid, member), now)

    def close(self):
        self.client.disconnect()


def _connect_all(base: str, specs: list[tuple[str | None, list[int]]], parallel: int = 4) -> list[Watcher]:
    watchers: list[Watcher | None] = [None] * len(specs)
    errors: list[str] = []
    limit = threading.Semaphore(parallel)

    def one(i: int) -> None:
        with limit:
            try:
                watchers[i] = Watcher(base, *specs[i])
            except Exception as exc:  # reported below
                errors.append(repr(exc))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(specs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(f"{len(errors)} clients failed to connect, e.g. {errors[0]}")
    return [w for w in watchers if w is not None]


def _observer_process(conn, base: str, specs: list) -> None:
    """A process holding a share of the observers (so receiving is not one interpreter's GIL):
    answers ("wait", committee, members) with, per member, the latest first-seen time over its clients."""
    watchers = _connect_all(base, specs)
    conn.send("ready")
    try:
        while True:
            cmd = conn.recv()
            if cmd[0] == "close":
                break
            _, cid, mids = cmd
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not all((cid, m) in w.seen for w in watchers for m in mids):
                time.sleep(0.005)
            conn.send({m: (None if any((cid, m) not in w.seen for w in watchers)
                           else max(w.seen[(cid, m)] for w in watchers)) for m in mids})
    finally:
        _close_all(watchers)
        conn.send("closed")


def _measure(base: str, setup: dict, observers: list[str | None], members_token: bool,
             submit, processes: int) -> list[float]:
    """Connect everyone, run the rounds with `submit(room, member)`; latencies in ms."""
    import multiprocessing

    rooms = [r["committee"] for r in setup["rooms"]]
    specs = [(tok, rooms) for tok in observers]
    ctx = multiprocessing.get_context("fork")
    workers = []
    for i in range(processes):
        share = specs[i::processes]
        if not share:
            continue
        ours, theirs = ctx.Pipe()
        proc = ctx.Process(target=_observer_process, args=(theirs, base, share), daemon=True)
        proc.start()
        workers.append((proc, ours))
    for _, conn in workers:
        if conn.recv() != "ready":
            raise RuntimeError("an observer process failed")
    latencies: list[float] = []
    try:
        for room in setup["rooms"]:
            cid = room["committee"]
            members = _connect_all(base, [(m["token"] if members_token else None, [cid]) for m in room["members"]])
            time.sleep(0.3)
            sent: dict[int, float] = {}
            statuses: list[int] = []

            def go(m: dict, room: dict = room, sent: dict = sent, statuses: list = statuses) -> None:
                sent[m["member_id"]] = time.monotonic()
                statuses.append(submit(room, m))

            threads = [threading.Thread(target=go, args=(m,)) for m in room["members"]]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            if any(s != 200 for s in statuses):
                raise RuntimeError(f"submissions failed: {statuses}")
            mids = sorted(sent)
            for _, conn in workers:
                conn.send(("wait", cid, mids))
            seen = [conn.recv() for _, conn in workers]
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not all((cid, m) in w.seen for w in members for m in mids):
                time.sleep(0.005)
            for mid, t0 in sent.items():
                times = [w.seen.get((cid, mid)) for w in members] + [s[mid] for s in seen]
                if any(t is None for t in times):
                    raise RuntimeError(f"a client never saw member {mid} of committee {cid}")
                latencies.append((max(times) - t0) * 1000)
            _close_all(members)
    finally:
        for _proc, conn in workers:
            conn.send(("close",))
        for proc, conn in workers:
            conn.recv()
            proc.join(timeout=30)
    return latencies


def _close_all(watchers: list[Watcher]) -> None:
    """Disconnect in parallel: each close waits for the server's side of the websocket close."""
    threads = [threading.Thread(target=w.close) for w in watchers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--observers", type=int, default=200)
    parser.add_argument("--members", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--processes", type=int, default=4, help="processes sharing the observers' clients")
    parser.add_argument("--only", choices=["ours", "bare"], default=None, help="measure one server only")
    args = parser.parse_args()
    import pyotp
    import requests

    work = Path(tempfile.mkdtemp(prefix="room-bench-"))
    instance = work / "instance"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("BIAOYUN_") and k not in ("DATABASE_URL", "REDIS_URL")}
    env.update({"BIAOYUN_INSTANCE_PATH": str(instance), "DATABASE_URL": f"sqlite:///{instance / 'bench.sqlite'}",
                "FILE_STORE": str(instance / "files"), "SECRET_KEY": secrets.token_hex(32), "FLASK_APP": "wsgi",
                "BIAOYUN_AUDIT_KEY_PATH": str(instance / "keys" / "audit.pem")})
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", SETUP, str(args.observers), str(args.members), str(args.rounds)],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(done.stderr[-3000:])
    setup = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"setup: {time.perf_counter() - t0:.1f}s", file=sys.stderr)

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(work / "server.log", "wb")  # noqa: SIM115
    server = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "serve", "--no-worker", "--port",
                               str(port)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    ours: list[float] = []
    try:
        _wait_up(base)

        def submit_real(room: dict, m: dict) -> int:
            code = pyotp.TOTP(m["seed"]).now()
            r = requests.post(f"{base}/api/v1/evaluation/committees/{room['committee']}/scores",
                          json={"scores": room["sheet"], "totp": code},
                          headers={"Authorization": f"Bearer {m['token']}"}, timeout=60)
            if r.status_code != 200:
                print(r.status_code, r.text[:300], file=sys.stderr)
            return r.status_code

        if args.only != "bare":
            ours = _measure(base, setup, setup["observers"], True, submit_real, args.processes)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
        log.close()

    baseline: list[float] = []
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    bare = subprocess.Popen([sys.executable, "-c", BARE, str(port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        _wait_up(base)

        def submit_bare(room: dict, m: dict) -> int:
            return requests.post(f"{base}/submit/{room['committee']}/{m['member_id']}", timeout=60).status_code

        baseline = (_measure(base, setup, [None] * len(setup["observers"]), False, submit_bare, args.processes)
                    if args.only != "ours" else [])
    finally:
        os.killpg(bare.pid, signal.SIGTERM)
        bare.wait(timeout=20)
    import shutil

    shutil.rmtree(work, ignore_errors=True)
    def ms(values: list[float], q: float) -> float | None:
        return round(_pct(values, q), 1) if values else None

    result = {
        "observers": args.observers, "members": args.members, "rounds": args.rounds, "submissions": len(ours),
        "clients_per_room": args.observers + args.members,
        "p50_ms": ms(ours, 0.5), "p99_ms": ms(ours, 0.99),
        "mean_ms": round(statistics.fmean(ours), 1) if ours else None,
        "bare_p50_ms": ms(baseline, 0.5), "bare_p99_ms": ms(baseline, 0.99),
        "ratio": round(_pct(ours, 0.99) / _pct(baseline, 0.99), 2) if ours and baseline else None,
        "cpus": os.cpu_count(),
        "client_processes": args.processes,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
