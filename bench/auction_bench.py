"""Benchmark of the live reverse auction: bidders bid over HTTP while watchers follow on Socket.IO.

Usage: python bench/auction_bench.py [--bidders 10] [--watchers 100] [--bids 100]

Scaled down from the issue's 50 bidders and 500 watchers to fit a shared 2-core sandbox (the defaults);
pass the issue's figures on a machine of its own. One auction only (the issue's ten at once is not done).

1. A fresh instance (own SQLite database in a temp folder): a purchaser, `--bidders` admitted suppliers
   each with a store listing the auctioned computer, `--watchers` supervisors (one audience), API tokens.
   The auction is published through the service, starting now, for an hour.
2. `flask serve --no-worker` runs the server. Every watcher and every bidder connects to `/auction` over
   Socket.IO (websocket, token in the handshake) and joins the auction's room.
3. Sequential phase: `--bids` bids, bidder after bidder, each one decrement below the lowest, through
   `POST /mall/auctions/<id>/bids` (the same `place_bid` as the socket): row lock, judging by the server
   clock, the chained log entry, the audit event, the commit, then the room's push. Latency = from sending
   the bid until EVERY client has received a `changed` state whose lowest price is that bid.
4. Burst phase: every bidder sends the same next amount at once: exactly one must be accepted, the others
   refused (`bid_not_below_lowest`) — each in the log, none lost or doubled.
5. The auction is closed (the chronograph's step, run with the platform clock at the end) and the log is
   downloaded: `mall.verifier` must verify it, and its accepted bids must be exactly, in order, those the
   server accepted.
6. The same clients and the same sequence of bids against a bare Flask-SocketIO server (threading mode)
   whose POST handler only broadcasts the lowest price: `ratio` = our p99 / its p99.

The clients are `bench/room_bench.py`'s minimal asyncio Socket.IO client, in one event-loop thread.
The last line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from room_bench import SioClient, _free_port, _pct, _wait_up  # noqa: E402

SETUP = r"""
import json, sys
from datetime import timedelta
import pyotp
from core import clock, secretbox
from core.app import create_app
from accounts import service as accounts
from accounts.models import OrgKind, Region, RegionLevel

bidders, watchers = int(sys.argv[1]), int(sys.argv[2])
app = create_app()
with app.app_context():
    from audit.service import ensure_head
    from core.db import db
    from mall import auction, supermarket
    from mall.supermarket import ListingData
    from registry.catalogue.demo import import_extract
    from registry.products import service as products
    from registry.suppliers.models import SizeClass, Supplier, SupplierStatus

    db.create_all(); ensure_head()
    db.session.add_all([Region(code="330000", name="浙江省", level=RegionLevel.PROVINCE),
                        Region(code="330329", name="泰顺县", level=RegionLevel.COUNTY, parent_code="330000")])
    db.session.flush()
    import_extract()
    pw = accounts.hash_password("bench-pass-2026")

    def user(name, role, kind, totp=False):
        org = accounts.create_org(f"{name} 单位", kind, "330329")
        u = accounts.create_user(name, name, None, [role], "330329", org=org, password_hash=pw)
        if totp:
            u.totp_secret = secretbox.seal(pyotp.random_base32().encode(), accounts.TOTP_PURPOSE)
        db.session.flush()
        return u

    reviewer = user("bench-centre", "agency_staff", OrgKind.CENTRAL_AGENCY, totp=True)
    buyer = user("bench-buyer", "purchaser", OrgKind.PURCHASER)
    sellers = []
    for i in range(bidders):
        u = user(f"gys{i}", "supplier", OrgKind.SUPPLIER)
        db.session.add(Supplier(org_id=u.org_id, admin_user_id=u.id, status=SupplierStatus.ACTIVE,
                                legal_representative="张三", address="泰顺县罗阳镇1号", size_class=SizeClass.SMALL,
                                bank_name="泰顺农商银行", bank_account_name=u.org.name,
                                bank_account_number="201000123456789", created_at=clock.now(), admitted_at=clock.now()))
        sellers.append(u)
    db.session.flush()
    proposal = products.propose_product(sellers[0], products.ProductData("联想", "启天 M455",
                                        "台式计算机 处理器 i5 内存 16GB 固态硬盘 512GB", "A02010105"))
    product = products.accept_proposal(reviewer, proposal).product
    for u in sellers:
        products.make_offer(u, product, products.OfferData(5_000_00, ["330000"]))
        supermarket.open_store(u)
        supermarket.list_product(u, product.id, ListingData(price_fen=5_000_00, region_codes=["330000"]))
    made = auction.publish_auction(buyer, auction.AuctionData(product.id, 10, 10_000_00, 1_00, clock.now(), 60,
                                                              "泰顺县罗阳镇新城大道 1 号", "基准竞价"))
    out = {"auction": made.id, "ceiling": made.ceiling_fen, "step": made.decrement_fen,
           "bidders": [accounts.create_api_token(u, "bench").secret for u in sellers],
           "watchers": [accounts.create_api_token(user(f"watch{i}", "supervisor", OrgKind.FINANCE, totp=True),
                                                  "bench").secret for i in range(watchers)],
           "reader": None}
    out["reader"] = out["watchers"][0]
    db.session.commit()
    print(json.dumps(out))
"""

CLOSE = r"""
import sys
from datetime import timedelta
from core import chronograph, clock
from core.app import create_app
app = create_app()
with app.app_context():
    from mall.auction import get_auction
    a = get_auction(int(sys.argv[1]))
    with clock.clock.frozen(a.ends_at + timedelta(seconds=1)):
        print(chronograph.run_sweep("mall-auction-sweep"))
"""

BARE = r"""
import sys
from flask import Flask
from flask_socketio import SocketIO, join_room

app = Flask("bare")
sio = SocketIO(app, async_mode="threading", cors_allowed_origins="*")

@sio.on("join", namespace="/auction")
def on_join(data):
    join_room(f"auction:{data['auction_id']}")
    return {"ok": True}

@app.post("/bid/<int:aid>/<int:amount>")
def bid(aid, amount):
    sio.emit("changed", {"auction_id": aid, "what": "bid", "state": {"lowest_fen": amount}}, to=f"auction:{aid}",
             namespace="/auction")
    return {"ok": True}

@app.get("/healthz")
def healthz():
    return "ok"

sio.run(app, host="127.0.0.1", port=int(sys.argv[1]), allow_unsafe_werkzeug=True, use_reloader=False)
"""


class AuctionClient(SioClient):
    """Records when it first saw each lowest price of each auction."""

    PREFIX = "/auction,"

    async def start(self, rooms: list[int], timeout: float = 60) -> None:
        loop = asyncio.get_running_loop()
        await loop.create_connection(lambda: self, self.host, self.port)
        await asyncio.wait_for(asyncio.shield(self.connected), timeout)
        for aid in rooms:
            reply = await asyncio.wait_for(self.call("join", {"auction_id": aid}), timeout)
            if not reply or not reply.get("ok"):
                raise RuntimeError(f"join refused: {reply}")

    def _packet(self, text: str, now: float) -> None:
        if text.startswith(f"42{self.PREFIX}[\"changed\"") or text.startswith('42["changed"'):
            rest = text[2:].removeprefix(self.PREFIX)
            data = json.loads(rest)[1]
            lowest = (data.get("state") or {}).get("lowest_fen")
            self.seen.setdefault((data.get("auction_id"), lowest), now)
            return
        super()._packet(text, now)


class Clients:
    """The clients' event loop in a thread of its own."""

    def __init__(self, base: str, tokens: list[str | None], auction_id: int) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.clients: list[AuctionClient] = self.run(self._connect(host, int(port), tokens, auction_id))

    def run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=300)

    async def _connect(self, host: str, port: int, tokens: list[str | None], aid: int) -> list[AuctionClient]:
        limit = asyncio.Semaphore(8)

        async def one(token):
            async with limit:
                client = AuctionClient(host, port, token)
                await client.start([aid])
                return client

        return list(await asyncio.gather(*(one(t) for t in tokens)))

    def last_seen(self, aid: int, lowest: int, timeout: float = 30) -> float | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all((aid, lowest) in c.seen for c in self.clients):
                return max(c.seen[(aid, lowest)] for c in self.clients)
            time.sleep(0.002)
        return None

    def close(self) -> None:
        async def close_all() -> None:
            await asyncio.gather(*(c.close() for c in self.clients))

        self.run(close_all())
        self.loop.call_soon_threadsafe(self.loop.stop)


def _run(base: str, setup: dict, tokens: list[str | None], bids: int, post) -> tuple[list[float], dict]:
    """The sequential phase, then the burst: latencies (ms) and the burst's outcome."""
    aid, step = setup["auction"], setup["step"]
    clients = Clients(base, tokens, aid)
    latencies: list[float] = []
    accepted: list[tuple[int, int]] = []  # (bidder index, amount) in the order the server accepted them
    try:
        lowest = setup["ceiling"]
        n_bidders = len(setup["bidders"])
        for i in range(bids):
            amount = lowest - step
            who = i % n_bidders
            t0 = time.monotonic()
            status = post(who, amount)
            if status != 200:
                raise RuntimeError(f"bid {i} refused: {status}")
            seen = clients.last_seen(aid, amount)
            if seen is None:
                raise RuntimeError(f"a client never saw the lowest price {amount}")
            latencies.append((seen - t0) * 1000)
            accepted.append((who, amount))
            lowest = amount
        amount = lowest - step
        statuses: list[tuple[int, int]] = []
        threads = [threading.Thread(target=lambda w=w: statuses.append((w, post(w, amount))))
                   for w in range(n_bidders)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        winners = [w for w, s in statuses if s == 200]
        burst = {"sent": len(statuses), "accepted": len(winners),
                 "refused": sum(1 for _w, s in statuses if s == 422),
                 "statuses": sorted(s for _w, s in statuses), "seen_by_all": clients.last_seen(aid, amount)
                 is not None}
        accepted += [(w, amount) for w in winners]
    finally:
        clients.close()
    return latencies, {"burst": burst, "accepted": accepted}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bidders", type=int, default=10)
    parser.add_argument("--watchers", type=int, default=100)
    parser.add_argument("--bids", type=int, default=100)
    args = parser.parse_args()
    import requests

    from mall import verifier

    work = Path(tempfile.mkdtemp(prefix="auction-bench-"))
    instance = work / "instance"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("BIAOYUN_") and k not in ("DATABASE_URL", "REDIS_URL")}
    env.update({"BIAOYUN_INSTANCE_PATH": str(instance), "DATABASE_URL": f"sqlite:///{instance / 'bench.sqlite'}",
                "FILE_STORE": str(instance / "files"), "SECRET_KEY": secrets.token_hex(32), "FLASK_APP": "wsgi",
                "BIAOYUN_AUDIT_KEY_PATH": str(instance / "keys" / "audit.pem")})
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", SETUP, str(args.bidders), str(args.watchers)], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(done.stderr[-3000:])
    setup = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"setup: {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    aid = setup["auction"]
    tokens = setup["watchers"] + setup["bidders"]

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(work / "server.log", "wb")  # noqa: SIM115
    server = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "serve", "--no-worker", "--port",
                               str(port)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    session = requests.Session()
    try:
        _wait_up(base)

        def post_real(who: int, amount: int) -> int:
            r = session.post(f"{base}/mall/auctions/{aid}/bids", json={"amount_fen": amount},
                             headers={"Authorization": f"Bearer {setup['bidders'][who]}"}, timeout=60)
            return r.status_code

        ours, outcome = _run(base, setup, tokens, args.bids, post_real)
        closed = subprocess.run([sys.executable, "-c", CLOSE, str(aid)], cwd=ROOT, env=env, capture_output=True,
                                text=True)
        if closed.returncode != 0:
            sys.exit(closed.stderr[-3000:])
        published = session.get(f"{base}/mall/auctions/{aid}/log.json",
                                headers={"Authorization": f"Bearer {setup['reader']}"}, timeout=60).json()
    except Exception:
        log.flush()
        print((work / "server.log").read_text(errors="replace")[-3000:], file=sys.stderr)
        raise
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
        log.close()
    found = verifier.verify(published)
    in_log = [e["amount_fen"] for e in published["entries"] if e["kind"] == "bid"]
    exact = in_log == [amount for _w, amount in outcome["accepted"]]

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    bare = subprocess.Popen([sys.executable, "-c", BARE, str(port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        _wait_up(base)
        bare_session = requests.Session()
        baseline, _ = _run(base, setup, [None] * len(tokens), args.bids,
                           lambda _w, amount: bare_session.post(f"{base}/bid/{aid}/{amount}", timeout=60).status_code
                           if amount >= 0 else 0)
    finally:
        os.killpg(bare.pid, signal.SIGTERM)
        bare.wait(timeout=20)
    import shutil

    shutil.rmtree(work, ignore_errors=True)
    result = {
        "bidders": args.bidders, "watchers": args.watchers, "clients": len(tokens), "bids": len(ours),
        "p50_ms": round(_pct(ours, 0.5), 1), "p99_ms": round(_pct(ours, 0.99), 1),
        "bare_p50_ms": round(_pct(baseline, 0.5), 1), "bare_p99_ms": round(_pct(baseline, 0.99), 1),
        "ratio": round(_pct(ours, 0.99) / _pct(baseline, 0.99), 2),
        "burst": outcome["burst"], "log_verifies": True, "log_entries": found["size"],
        "log_accepted": found["accepted"], "log_refused": found["refused"], "log_matches_accepted_in_order": exact,
        "winner": found["winner"], "cpus": os.cpu_count(), "auctions_at_once": 1,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
