"""The local beacon (beacon/): drand's HTTP API, a round signed only once its time has come on the
platform clock, and a client that accepts only signatures verifying under the pinned key."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from beacon import BeaconError, TooEarlyError, chain_of, fetch_signature
from beacon.local import GENESIS, PERIOD, ensure_chain
from beacon.server import serve_in_thread
from crypto import tlock

ROOT = Path(__file__).resolve().parents[2]


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


@pytest.fixture
def beacon(tmp_path, clock):
    server, url = serve_in_thread(tmp_path / "b1")
    yield url, ensure_chain(tmp_path / "b1")
    server.shutdown()
    server.server_close()


def test_round_is_signed_only_once_its_time_has_come(beacon, clock) -> None:
    url, info = beacon
    chain = info["chain_hash"]
    status, body = _get(f"{url}/{chain}/info")
    assert status == 200 and body["public_key"] == info["public_key"] and body["schemeID"] == tlock.SCHEME
    target = tlock.round_at((clock.now() + timedelta(minutes=5)).timestamp(), GENESIS, PERIOD)
    status, body = _get(f"{url}/{chain}/public/{target}")
    assert status == 425  # the future: nobody gets it, the platform included
    with pytest.raises(TooEarlyError):
        fetch_signature([url], chain, bytes.fromhex(info["public_key"]), target)
    clock.advance(timedelta(minutes=5))
    status, body = _get(f"{url}/{chain}/public/{target}")
    assert status == 200 and body["round"] == target
    signature = fetch_signature([url], chain, bytes.fromhex(info["public_key"]), target)
    assert signature.hex() == body["signature"]
    tlock.verify_round(bytes.fromhex(info["public_key"]), target, signature)
    status, latest = _get(f"{url}/public/latest")
    assert status == 200 and latest["round"] == target
    assert _get(f"{url}/{'0' * 64}/public/{target}")[0] == 404  # another chain


def test_a_signature_from_another_key_is_refused(beacon, tmp_path, clock) -> None:
    """An endpoint that answers for the pinned chain with a signature of another key (a forged or
    wrong-chain beacon) is refused, whatever it says."""
    url, info = beacon
    server, other_url = serve_in_thread(tmp_path / "b2")
    try:
        other = ensure_chain(tmp_path / "b2")
        round_number = tlock.round_at(clock.now().timestamp(), GENESIS, PERIOD) - 1
        with pytest.raises(BeaconError, match="refused signature"):
            fetch_signature([other_url], other["chain_hash"], bytes.fromhex(info["public_key"]), round_number)
        # with a good endpoint after the bad one, the good signature is taken
        good = fetch_signature([other_url + "/nowhere", url], info["chain_hash"],
                               bytes.fromhex(info["public_key"]), round_number)
        tlock.verify_round(bytes.fromhex(info["public_key"]), round_number, good)
    finally:
        server.shutdown()
        server.server_close()


def test_configuration_pins_the_chain(tmp_path) -> None:
    quicknet = chain_of({"ENV_NAME": "production"})
    assert quicknet.name == "quicknet" and quicknet.chain_hash == tlock.QUICKNET["chain_hash"]
    assert quicknet.round_at(datetime.fromtimestamp(1692803367 + 30, UTC)) == 11
    local = chain_of({"BEACON": "local", "BEACON_DIR": str(tmp_path)})
    assert local.name == "local" and local.public_key.hex() == ensure_chain(tmp_path)["public_key"]
    with pytest.raises(ValueError):
        chain_of({"BEACON": "somewhere"})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_flask_beacon_serve_process(tmp_path) -> None:
    """`flask beacon serve` as its own process, on the platform clock of its configuration."""
    port = _free_port()
    frozen = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
    env = {**os.environ, "BIAOYUN_INSTANCE_PATH": str(tmp_path), "BIAOYUN_BEACON_DIR": str(tmp_path / "beacon"),
           "BIAOYUN_CLOCK_FROZEN_AT": frozen.isoformat(), "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}"}
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "beacon", "serve", "--port",
                                str(port)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                status, info = _get(f"{url}/info")
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail(process.stdout.read1().decode() if process.poll() is not None else "no beacon")
        now_round = tlock.round_at(frozen.timestamp(), GENESIS, PERIOD)
        status, body = _get(f"{url}/{info['chain_hash']}/public/{now_round}")
        assert status == 200
        tlock.verify_round(bytes.fromhex(info["public_key"]), now_round, bytes.fromhex(body["signature"]))
        assert _get(f"{url}/{info['chain_hash']}/public/{now_round + 1}")[0] == 425
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()
