"""The local beacon: a drand-compatible chain whose one BLS key lives on this machine.

It signs round r (``sk · H(sha256(u64be(r)))`` on G1, scheme bls-unchained-g1-rfc9380) only once
the platform clock has reached the round's time, so the time-lock custodian behaves as with drand
quicknet for tests, CI and offline installs. It is no stronger than this machine: the key file
signs any round for whoever reads it.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from core import clock
from core.files import create_once
from crypto import tlock

GENESIS = 1577836800  # 2020-01-01T00:00:00Z: before any time the platform's clock is set to
PERIOD = 3  # seconds, as quicknet
BEACON_ID = "biaoyun-local"


def beacon_dir(config: Mapping[str, Any]) -> Path:
    configured = config.get("BEACON_DIR")
    if configured:
        return Path(configured)
    from core.config import INSTANCE

    return Path(config.get("INSTANCE_PATH") or INSTANCE) / "beacon"


def chain_hash_of(public_key: str, period: int, genesis_time: int) -> str:
    """The local chain's hash: SHA-256 of the canonical JSON of its public parameters."""
    params = {"beacon_id": BEACON_ID, "genesis_time": genesis_time, "period": period,
              "public_key": public_key, "scheme": tlock.SCHEME}
    return hashlib.sha256(json.dumps(params, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def ensure_chain(directory: Path) -> dict[str, Any]:
    """Make (once) and read the local beacon's key and public chain file; return the chain info."""
    directory.mkdir(parents=True, exist_ok=True)
    key_path = directory / "beacon_secret.hex"
    if not key_path.exists():
        scalar = secrets.randbelow(tlock.FR_ORDER - 1) + 1
        create_once(key_path, f"{scalar:064x}\n".encode())
    scalar = int(key_path.read_text().strip(), 16)
    info_path = directory / "chain.json"
    public_key = tlock.public_key_of(scalar).hex()
    info = {"public_key": public_key, "period": PERIOD, "genesis_time": GENESIS,
            "chain_hash": chain_hash_of(public_key, PERIOD, GENESIS), "scheme": tlock.SCHEME,
            "beacon_id": BEACON_ID}
    if not info_path.exists():
        create_once(info_path, json.dumps(info, indent=1).encode())
    return info


class LocalBeacon:
    """Signs rounds whose time has come on the platform clock."""

    def __init__(self, directory: Path) -> None:
        self.info = ensure_chain(directory)
        self._scalar = int((directory / "beacon_secret.hex").read_text().strip(), 16)
        self._cache: dict[int, bytes] = {}

    @property
    def chain_hash(self) -> str:
        return self.info["chain_hash"]

    def latest_round(self) -> int:
        """The last round whose time has come (0 before genesis)."""
        now = clock.now().timestamp()
        if now < GENESIS:
            return 0
        return int((now - GENESIS) // PERIOD) + 1

    def signature(self, round_number: int) -> bytes | None:
        """The round's signature, or None while its time has not come."""
        if not 1 <= round_number <= self.latest_round():
            return None
        if round_number not in self._cache:
            if len(self._cache) > 4096:
                self._cache.clear()
            self._cache[round_number] = tlock.sign_round(self._scalar, round_number)
        return self._cache[round_number]

    def drand_info(self) -> dict[str, Any]:
        """``/info`` as drand's HTTP API v1 gives it (with the v2 names too, for either client)."""
        i = self.info
        return {"public_key": i["public_key"], "period": i["period"], "genesis_time": i["genesis_time"],
                "hash": i["chain_hash"], "chain_hash": i["chain_hash"],
                "groupHash": hashlib.sha256(bytes.fromhex(i["public_key"])).hexdigest(),
                "schemeID": i["scheme"], "scheme": i["scheme"],
                "metadata": {"beaconID": i["beacon_id"]}, "beacon_id": i["beacon_id"]}

    def beacon_json(self, round_number: int) -> dict[str, Any] | None:
        signature = self.signature(round_number)
        if signature is None:
            return None
        return {"round": round_number, "randomness": hashlib.sha256(signature).hexdigest(),
                "signature": signature.hex()}
