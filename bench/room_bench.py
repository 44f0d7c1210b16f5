"""Benchmark of the evaluation room: members submit scores concurrently while observers watch live.

Usage: python bench/room_bench.py [--observers 200] [--members 7] [--rounds 10] [--processes 2]
                                  [--only ours|bare]

1. A fresh instance (own SQLite database in a temp folder) gets one opened project with `--rounds`
   lots; each lot's committee of `--members` experts is taken, through the services, to the scoring
   stage. Every expert and `--observers` agency staff get API tokens (TOTP bound for the experts).
2. `flask serve --no-worker` runs the server. Every observer connects to `/evaluation` over Socket.IO
   (websocket, authenticated by its token in the handshake) and joins every room; each round's
   members connect and join their own room, and the bench waits until the server is idle again.
3. Round by round, the members of one committee submit their whole score sheets at once through
   `POST /api/v1/evaluation/committees/<id>/scores` with a current TOTP code: authorisation, the
   step-up, the database write, the audit event, the commit, then the broadcast. A submission's
   latency is the time from sending it until EVERY client in the room (its members and all
   observers) has received a `changed` event showing that member among those who finished scoring.
4. The same clients, rooms and submissions are replayed against a bare Flask-SocketIO server
   (threading mode, the same `socketio.run`) whose POST handler only records the member and
   broadcasts the same shape: `ratio` = our p99 / its p99.

The clients are a minimal Socket.IO-over-websocket client on asyncio (`SioClient`), `--processes`
processes of them, so that measuring costs the shared cores little. The earlier harness (a
thread-per-client `socketio.Client`, ~50 reader threads per process) used about 2.3× the bare server's
CPU during the rounds (2.8 s against 1.2 s; this one 0.3 s), and each broadcast woke ~50 threads per
client process fighting for that process's GIL, so receipts were stamped late: it made the bare server's
p99 ≈ 260 ms instead of ≈ 85 ms for 207 clients on 2 cores. Each client stamps a message when its
bytes reach the event loop, on the system-wide monotonic clock that the submitter stamps the send on:
latency = last receipt − send, on one clock.

The last line is JSON: p50/p99 milliseconds for both servers, the ratio, and per server the CPU seconds
used by the server (all of the rounds, and only from each round's first submission to its last receipt),
by the clients and by the submitter, and the submissions' own HTTP response times.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
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
    from expert_draw.models import (
        DrawRequest,
        DrawRequestSpecialty,
        Invitation,
        InvitationKind,
        InvitationStatus,
        RequestStatus,
    )
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
        # the committee the request defines: the room seats exactly these `members` experts
        req.specialties = [DrawRequestSpecialty(position=0, specialty_code="B01", primary_count=members)]
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


class SioClient(asyncio.Protocol):
    """A minimal Socket.IO client (Engine.IO 4 over a websocket, text packets only) on asyncio.

    The bench's clients must cost the machine as little as possible: server and clients share its cores.
    Each client records, on receipt (the moment its bytes reach the event loop, before parsing), when it
    first saw each (committee, member) among those who finished scoring."""

    PREFIX = "/evaluation,"

    def __init__(self, host: str, port: int, token: str | None):
        self.host, self.port, self.token = host, port, token
        self.seen: dict[tuple[int, int], float] = {}
        self.buf = bytearray()
        self.fragments: list[bytes] = []
        self.upgraded = False
        self.acks: dict[int, asyncio.Future] = {}
        self.next_ack = 0
        self.transport: asyncio.Transport | None = None
        loop = asyncio.get_running_loop()
        self.connected: asyncio.Future = loop.create_future()
        self.closed: asyncio.Future = loop.create_future()

    # -- lifecycle
    async def start(self, rooms: list[int], timeout: float = 60) -> None:
        loop = asyncio.get_running_loop()
        await loop.create_connection(lambda: self, self.host, self.port)
        await asyncio.wait_for(asyncio.shield(self.connected), timeout)
        for cid in rooms:
            reply = await asyncio.wait_for(self.call("join", {"committee_id": cid}), timeout)
            if not reply or not reply.get("ok"):
                raise RuntimeError(f"join refused: {reply}")

    def connection_made(self, transport) -> None:
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        auth = f"Authorization: Bearer {self.token}\r\n" if self.token else ""
        transport.write((f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                         f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                         f"Sec-WebSocket-Version: 13\r\n{auth}\r\n").encode())

    def connection_lost(self, exc) -> None:
        if not self.connected.done():
            self.connected.set_exception(ConnectionError(f"connection lost: {exc}"))
        if not self.closed.done():
            self.closed.set_result(None)

    async def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self._send_frame((1000).to_bytes(2, "big"), opcode=8)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(self.closed), 10)
            self.transport.close()

    # -- websocket framing (server frames are unmasked; ours must be masked)
    def _send_frame(self, payload: bytes, opcode: int = 1) -> None:
        n = len(payload)
        head = bytes([0x80 | opcode]) + (bytes([0x80 | n]) if n < 126 else
                                         bytes([0xFE]) + n.to_bytes(2, "big") if n < 65536 else
                                         bytes([0xFF]) + n.to_bytes(8, "big"))
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i & 3] for i, b in enumerate(payload))
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(head + mask + masked)

    def _send(self, text: str) -> None:
        self._send_frame(text.encode())

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()  # system-wide: comparable with the submitter's clock in another process
        buf = self.buf
        buf += data
        if not self.upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(buf[:end]).split(b"\r\n", 1)[0]
            if b" 101 " not in status:
                self.connected.set_exception(ConnectionError(status.decode(errors="replace")))
                self.transport.close()
                return
            del buf[:end + 4]
            self.upgraded = True
        while len(buf) >= 2:
            b0, n = buf[0], buf[1] & 0x7F
            offset = 2
            if n == 126:
                if len(buf) < 4:
                    return
                n, offset = int.from_bytes(buf[2:4], "big"), 4
            elif n == 127:
                if len(buf) < 10:
                    return
                n, offset = int.from_bytes(buf[2:10], "big"), 10
            if len(buf) < offset + n:
                return
            payload = bytes(buf[offset:offset + n])
            del buf[:offset + n]
            opcode, fin = b0 & 0x0F, b0 & 0x80
            if opcode == 9:
                self._send_frame(payload, opcode=10)
            elif opcode == 8:
                self.transport.close()
                return
            elif opcode in (0, 1, 2):
                self.fragments.append(payload)
                if fin:
                    message, self.fragments = b"".join(self.fragments), []
                    self._packet(message.decode(), now)

    # -- Engine.IO / Socket.IO packets
    def _packet(self, text: str, now: float) -> None:
        kind = text[:1]
        if kind == "0":  # Engine.IO open: connect to the namespace
            self._send(f"40{self.PREFIX}")
        elif kind == "2":  # ping
            self._send("3")
        elif kind == "4":
            sio, rest = text[1:2], text[2:]
            if rest.startswith(self.PREFIX):
                rest = rest[len(self.PREFIX):]
            if sio == "2":
                if rest.startswith('["changed"'):
                    data = json.loads(rest)[1]
                    cid = data.get("committee_id")
                    for member in (data.get("progress") or {}).get("scoring", []):
                        self.seen.setdefault((cid, member), now)
            elif sio == "3":
                digits = len(rest) - len(rest.lstrip("0123456789"))
                future = self.acks.pop(int(rest[:digits]), None)
                if future is not None and not future.done():
                    args = json.loads(rest[digits:])
                    future.set_result(args[0] if args else None)
            elif sio == "0" and not self.connected.done():
                self.connected.set_result(None)
            elif sio == "4" and not self.connected.done():
                self.connected.set_exception(ConnectionRefusedError(rest))

    def call(self, event: str, data) -> asyncio.Future:
        self.next_ack += 1
        future = asyncio.get_running_loop().create_future()
        self.acks[self.next_ack] = future
        self._send(f"42{self.PREFIX}{self.next_ack}" + json.dumps([event, data]))
        return future


async def _connect_all(host: str, port: int, specs: list[tuple[str | None, list[int]]],
                       parallel: int = 8) -> list[SioClient]:
    limit = asyncio.Semaphore(parallel)

    async def one(token: str | None, rooms: list[int]) -> SioClient:
        async with limit:
            client = SioClient(host, port, token)
            await client.start(rooms)
            return client

    results = await asyncio.gather(*(one(*spec) for spec in specs), return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    if errors:
        await _close_all([r for r in results if isinstance(r, SioClient)])
        raise RuntimeError(f"{len(errors)} clients failed to connect, e.g. {errors[0]!r}")
    return list(results)


async def _close_all(clients: list[SioClient]) -> None:
    """Close in parallel: each close waits for the server's side of the websocket close."""
    await asyncio.gather(*(c.close() for c in clients))


def _client_process(conn, host: str, port: int, specs: list) -> None:
    """A process holding a share of the clients in one asyncio loop. Answers the controller's commands:
    ("members", [(token, rooms)…]) connects a round's members here; ("wait", committee, members) answers,
    per member, the latest first-seen time over this process's clients (None if one never saw it);
    ("drop",) closes the round's members; ("cpu",) this process's CPU seconds; ("close",)."""
    asyncio.run(_client_main(conn, host, port, specs))


async def _client_main(conn, host: str, port: int, specs: list) -> None:
    loop = asyncio.get_running_loop()
    commands: asyncio.Queue = asyncio.Queue()
    loop.add_reader(conn.fileno(), lambda: commands.put_nowait(conn.recv()))
    try:
        observers = await _connect_all(host, port, specs)
    except Exception as exc:
        conn.send(("error", repr(exc)))
        return
    conn.send("ready")
    members: list[SioClient] = []
    while True:
        cmd = await commands.get()
        if cmd[0] == "members":
            try:
                members = await _connect_all(host, port, cmd[1])
                conn.send("ready")
            except Exception as exc:
                conn.send(("error", repr(exc)))
        elif cmd[0] == "wait":
            _, cid, mids = cmd
            clients = observers + members
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not all((cid, m) in c.seen for c in clients for m in mids):
                await asyncio.sleep(0.005)
            conn.send({m: (None if any((cid, m) not in c.seen for c in clients)
                           else max(c.seen[(cid, m)] for c in clients)) for m in mids})
        elif cmd[0] == "drop":
            await _close_all(members)
            members = []
            conn.send("dropped")
        elif cmd[0] == "cpu":
            t = os.times()
            conn.send(t.user + t.system)
        elif cmd[0] == "close":
            break
    loop.remove_reader(conn.fileno())
    await _close_all(observers + members)
    conn.send("closed")


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _settle(pid: int, timeout: float = 5.0) -> None:
    """Wait until the server has gone quiet (under 10% of a core for 100 ms)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = _cpu_of(pid)
        time.sleep(0.1)
        if _cpu_of(pid) - before < 0.01:
            return


def _measure(base: str, setup: dict, observers: list[str | None], members_token: bool,
             submit, processes: int, server_pid: int) -> tuple[list[float], dict]:
    """Connect everyone, run the rounds with `submit(room, member)`; latencies in ms, and the CPU seconds
    the server and the clients used during the rounds."""
    import multiprocessing

    host, port = base.removeprefix("http://").split(":")
    rooms = [r["committee"] for r in setup["rooms"]]
    specs = [(tok, rooms) for tok in observers]
    ctx = multiprocessing.get_context("spawn")  # a clean interpreter: no threads or sockets inherited
    workers = []
    for i in range(processes):
        ours, theirs = ctx.Pipe()
        proc = ctx.Process(target=_client_process, args=(theirs, host, int(port), specs[i::processes]),
                           daemon=True)
        proc.start()
        workers.append((proc, ours))

    def ask_all(cmds: list) -> list:
        for (_, conn), cmd in zip(workers, cmds, strict=True):
            conn.send(cmd)
        answers = [conn.recv() for _, conn in workers]
        for a in answers:
            if isinstance(a, tuple) and a[0] == "error":
                raise RuntimeError(f"a client process failed: {a[1]}")
        return answers

    for _, conn in workers:
        answer = conn.recv()
        if answer != "ready":
            raise RuntimeError(f"a client process failed: {answer}")
    latencies: list[float] = []
    responses: list[float] = []
    in_window = 0.0  # the server's CPU seconds from the first submission of a round to the last receipt
    server_cpu0, clients_cpu0, own_cpu0 = _cpu_of(server_pid), sum(ask_all([("cpu",)] * len(workers))), \
        time.process_time()
    wall0 = time.monotonic()
    print(f"{len(observers)} observers connected; rounds start (server pid {server_pid})", file=sys.stderr, flush=True)
    try:
        for room in setup["rooms"]:
            cid = room["committee"]
            tokens = [(m["token"] if members_token else None, [cid]) for m in room["members"]]
            ask_all([("members", tokens[i::processes]) for i in range(len(workers))])
            _settle(server_pid)  # the members' joins and their presence broadcasts are not what we time
            sent: dict[int, float] = {}
            answered: dict[int, float] = {}
            statuses: list[int] = []

            def go(m: dict, room: dict = room, sent: dict = sent, answered: dict = answered,
                   statuses: list = statuses) -> None:
                sent[m["member_id"]] = time.monotonic()
                statuses.append(submit(room, m))
                answered[m["member_id"]] = time.monotonic()

            threads = [threading.Thread(target=go, args=(m,)) for m in room["members"]]
            window0 = _cpu_of(server_pid)
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            if any(s != 200 for s in statuses):
                raise RuntimeError(f"submissions failed: {statuses}")
            mids = sorted(sent)
            seen = ask_all([("wait", cid, mids)] * len(workers))
            in_window += _cpu_of(server_pid) - window0
            for mid, t0 in sent.items():
                times = [s[mid] for s in seen]
                if any(t is None for t in times):
                    raise RuntimeError(f"a client never saw member {mid} of committee {cid}")
                latencies.append((max(times) - t0) * 1000)
                responses.append((answered[mid] - t0) * 1000)
            ask_all([("drop",)] * len(workers))
        cpu = {"wall_s": round(time.monotonic() - wall0, 1),
               "server_cpu_s": round(_cpu_of(server_pid) - server_cpu0, 2),
               "server_cpu_in_rounds_s": round(in_window, 2),
               "clients_cpu_s": round(sum(ask_all([("cpu",)] * len(workers))) - clients_cpu0, 2),
               "submitter_cpu_s": round(time.process_time() - own_cpu0, 2),
               "response_p50_ms": round(_pct(responses, 0.5), 1), "response_p99_ms": round(_pct(responses, 0.99), 1)}
    finally:
        for _proc, conn in workers:
            with contextlib.suppress(OSError):
                conn.send(("close",))
        for proc, conn in workers:
            with contextlib.suppress(EOFError, OSError):
                conn.recv()
            proc.join(timeout=30)
    return latencies, cpu


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--observers", type=int, default=200)
    parser.add_argument("--members", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--processes", type=int, default=2, help="processes sharing the clients")
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
    ours_cpu: dict = {}
    bare_cpu: dict = {}
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
            ours, ours_cpu = _measure(base, setup, setup["observers"], True, submit_real, args.processes, server.pid)
    except Exception:
        log.flush()
        print((work / "server.log").read_text(errors="replace")[-3000:], file=sys.stderr)
        raise
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

        if args.only != "ours":
            baseline, bare_cpu = _measure(base, setup, [None] * len(setup["observers"]), False, submit_bare,
                                          args.processes, bare.pid)
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
        "ours_cpu": ours_cpu, "bare_cpu": bare_cpu,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
