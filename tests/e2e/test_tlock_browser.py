"""The time-lock custodian end to end in headless chromium: a supplier seals a bid in the browser for a
tender whose policy holds a human custodian and the time-lock (k = 2). The browser wraps the time-lock
share itself (static/js/crypto/tlock.js over @noble/curves, served from /vendor/). The server is
`flask serve`, which starts the local beacon: before the opening round the beacon refuses it; after the
deadline the sweep fetches the round's signature, verifies it, unwraps the browser-made share and audits
round and signature; with the custodian's share the bid opens in Python.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime

import pytest
from tests_helpers import free_port, running_server

from core.config import ROOT

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
OPEN_AFTER_S = 60

SETUP = """
from datetime import timedelta
from core.app import create_app
from core import clock
app = create_app()
with app.app_context():
    from accounts.models import User
    from audit.service import ensure_head
    from core.db import db
    from core.demo import run_seed
    from tender import demo, service
    db.create_all(); ensure_head(); db.session.commit()
    run_seed()
    agent = User.query.filter_by(username="daili").one()
    keeper = User.query.filter_by(username="caijian").one()
    suppliers = [User.query.filter_by(username=f"gys{i}").one() for i in (1, 2, 3)]
    from accounts.models import Org, OrgKind
    purchaser = Org.query.filter_by(kind=OrgKind.PURCHASER).order_by(Org.id).first()
    with clock.clock.frozen(clock.now() - timedelta(days=21) + timedelta(seconds={seconds})):
        data = demo.project_data("时间锁浏览器测试项目", purchaser, clock.now(),
                                 lots=[("测试设备", 100_000_00, 99_000_00)], custodians=[keeper.id], k=2)
        data.update(include_vault=False, include_tlock=True)
        project = demo.create_demo_project(agent, data, publish=True, suppliers=suppliers)
        for user, price in ((suppliers[1], 97_500_00), (suppliers[2], 96_800_00)):  # sealed in Python
            demo.seal_and_submit(project, project.lots[0], user, demo.demo_keys(user, "supplier"), price, 10)
    db.session.commit()
    target = project.lots[0].policy["custodians"][1]["tlock"]
    print("PROJECT", project.id, project.lots[0].id, project.deadline.isoformat(), target["round"],
          target["chain_hash"])
"""

KEEPER_SHARES = """
import sys
from core.app import create_app
app = create_app()
with app.app_context():
    import crypto
    from accounts.models import User
    from core.db import db
    from tender import opening
    from tender.demo import demo_keys
    from tender.models import Project
    keeper = User.query.filter_by(username="caijian").one()
    pair = demo_keys(keeper, "custodian")
    project = db.session.get(Project, int(sys.argv[1]))
    member = next(c for c in project.custodians if c.user_id == keeper.id)
    for lot in project.lots:
        for bid in opening.current_bids(lot):
            share = crypto.unwrap_share(opening.header_of(bid), pair.encryption)
            opening.store_share(bid, member.custodian_id, share, keeper.id)
    db.session.commit()
"""

STATE = """
import json, sys
project_id = int(sys.argv[1])
from core.app import create_app
app = create_app()
with app.app_context():
    from audit.models import AuditEvent
    from tender.models import Bid, OpeningRecord, ShareSubmission
    event = AuditEvent.query.filter_by(action="tender.tlock_shares_released").first()
    bids = Bid.query.filter_by(project_id=project_id).all()
    ids = [b.id for b in bids]
    print(json.dumps({"tlock_shares": ShareSubmission.query.filter(ShareSubmission.custodian_id == "tlock",
                                                                   ShareSubmission.bid_id.in_(ids)).count(),
                      "records": sorted(r.price_fen for r in OpeningRecord.query.filter(
                          OpeningRecord.bid_id.in_([b.id for b in bids]))),
                      "bids": [[b.status.value, b.outcome_code] for b in bids],
                      "event": event.payload if event else None}, default=str))
"""


def _python(env: dict, script: str, *args: str) -> str:
    done = subprocess.run([sys.executable, "-c", script, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.fixture(scope="module")
def tlock_server(live_server_env, tmp_path_factory):
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed")
    instance = tmp_path_factory.mktemp("tlock_server") / "instance"
    beacon_port = free_port()
    env = dict(live_server_env, BIAOYUN_INSTANCE_PATH=str(instance), FILE_STORE=str(instance / "files"),
               DATABASE_URL=f"sqlite:///{instance / 'biaoyun.sqlite'}",
               BIAOYUN_AUDIT_KEY_PATH=str(instance / "keys" / "audit_ed25519.pem"),
               BIAOYUN_BEACON_PORT=str(beacon_port), BIAOYUN_BEACON_DIR=str(instance / "beacon"))
    out = _python(env, SETUP.replace("{seconds}", str(OPEN_AFTER_S)))
    _, project_id, lot_id, deadline, round_number, chain_hash = next(
        x for x in out.splitlines() if x.startswith("PROJECT")).split()
    with running_server(env, instance.parent / "server.log", 60) as base_url:
        yield {"url": base_url, "env": env, "project": int(project_id), "lot": int(lot_id),
               "deadline": datetime.fromisoformat(deadline), "round": int(round_number), "chain": chain_hash,
               "beacon": f"http://127.0.0.1:{beacon_port}", "keys": instance / "demo-keys"}


def _beacon_status(server) -> int:
    try:
        with urllib.request.urlopen(f"{server['beacon']}/{server['chain']}/public/{server['round']}", timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_browser_sealed_time_lock_share_opens_after_the_beacon_signs(tlock_server, browser_page, tmp_path,
                                                                      console_errors):
    from e2e.test_tender_browser import _login, _seal_in_browser, _sweep

    server, page = tlock_server, browser_page
    for _ in range(50):  # the beacon is a child of `flask serve`
        try:
            status = _beacon_status(server)
            break
        except OSError:
            time.sleep(0.2)
    assert status == 425  # the opening round: not signed before its time, for anyone
    _login(page, server["url"], "gys1")
    page.goto(f"{server['url']}/tender/{server['project']}")
    assert "本地信标" in page.locator("#tlock-beacon").inner_text()  # the page says which beacon
    assert "已递交" in _seal_in_browser(page, server, tmp_path, "gys1", "98000.00")

    state = json.loads(_python(server["env"], STATE, str(server["project"])))
    assert state["tlock_shares"] == 0 and len(state["bids"]) == 3
    wait = (server["deadline"] - datetime.now(UTC)).total_seconds() + 4  # + one beacon period
    if wait > 0:
        time.sleep(wait)
    assert _beacon_status(server) == 200
    swept = _sweep(server)  # closes submission; the sweep fetches, verifies and unwraps the time-lock share
    swept += _sweep(server)
    state = json.loads(_python(server["env"], STATE, str(server["project"])))
    # the three time-lock shares (one made in the browser); k = 2, so the custodian's share is still missing
    assert state["tlock_shares"] == 3 and state["records"] == [], (state, swept)
    event = state["event"] if isinstance(state["event"], dict) else json.loads(state["event"])
    assert event["round"] == server["round"] and len(event["signature"]) == 96
    _python(server["env"], KEEPER_SHARES, str(server["project"]))
    _sweep(server)
    state = json.loads(_python(server["env"], STATE, str(server["project"])))
    assert state["records"] == [96_800_00, 97_500_00, 98_000_00]
    assert console_errors == []
