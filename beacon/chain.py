"""A beacon chain as configured (hash, pinned key, period, genesis, endpoints) and its client."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from crypto import tlock

LOCAL_DEFAULT_PORT = 8089


class BeaconError(Exception):
    """The beacon could not give a verified signature (unreachable, wrong chain, bad signature)."""

    code = "beacon_unavailable"


class TooEarlyError(BeaconError):
    """The round is not signed yet."""

    code = "beacon_too_early"


@dataclass(frozen=True)
class Chain:
    """One drand chain: what a tender's time-lock custodian is frozen to."""

    name: str  # "quicknet" or "local"
    chain_hash: str
    public_key: bytes  # BLS12-381 G2, 96 bytes compressed
    period: int
    genesis_time: int
    urls: tuple[str, ...]

    @property
    def is_public(self) -> bool:
        return self.name == "quicknet"

    def round_at(self, when: datetime) -> int:
        """The first round published at or after ``when`` (the opening time)."""
        return tlock.round_at(when.timestamp(), self.genesis_time, self.period)

    def round_time(self, round_number: int) -> int:
        return tlock.round_time(round_number, self.genesis_time, self.period)


def _local_dir(config: Mapping[str, Any]) -> Path:
    from beacon import local

    return local.beacon_dir(config)


def chain_of(config: Mapping[str, Any]) -> Chain:
    """The chain the app is configured for, with its pinned key (from config, never from the network)."""
    name = config.get("BEACON") or ("quicknet" if config.get("ENV_NAME") == "production" else "local")
    if name == "quicknet":
        info = dict(tlock.QUICKNET)
        default_urls = "https://api.drand.sh,https://drand.cloudflare.com"
    elif name == "local":
        from beacon import local

        info = local.ensure_chain(_local_dir(config))
        default_urls = f"http://127.0.0.1:{int(config.get('BEACON_PORT') or LOCAL_DEFAULT_PORT)}"
    else:
        raise ValueError(f"BEACON must be 'local' or 'quicknet', not {name!r}")
    urls = config.get("BEACON_URLS") or default_urls
    if isinstance(urls, str):
        urls = [u.strip() for u in urls.split(",") if u.strip()]
    public_key = bytes.fromhex(str(config.get("BEACON_PUBLIC_KEY") or info["public_key"]))
    tlock.check_public_key(public_key)
    return Chain(
        name=name,
        chain_hash=str(config.get("BEACON_CHAIN_HASH") or info["chain_hash"]),
        public_key=public_key,
        period=int(config.get("BEACON_PERIOD") or info["period"]),
        genesis_time=int(config.get("BEACON_GENESIS") or info["genesis_time"]),
        urls=tuple(u.rstrip("/") for u in urls),
    )


def current_chain() -> Chain:
    """The chain of the current Flask app."""
    from flask import current_app

    return chain_of(current_app.config)


def fetch_signature(urls: tuple[str, ...] | list[str], chain_hash: str, public_key: bytes, round_number: int,
                    timeout: float = 5.0) -> bytes:
    """GET ``{url}/{chain_hash}/public/{round}`` from each endpoint in turn; return the first signature
    that verifies against the pinned ``public_key``. A signature that does not verify is never
    returned, whoever served it (raise BeaconError when no endpoint gave a good one, TooEarlyError
    when they say the round is not out yet)."""
    too_early, problems = False, []
    for url in urls:
        try:
            with urllib.request.urlopen(f"{url}/{chain_hash}/public/{round_number}", timeout=timeout) as response:
                body = json.loads(response.read(65536))
        except urllib.error.HTTPError as exc:
            too_early = too_early or exc.code in (404, 425)
            problems.append(f"{url}: HTTP {exc.code}")
            continue
        except (OSError, ValueError) as exc:
            problems.append(f"{url}: {exc}")
            continue
        try:
            if body.get("round") != round_number:
                raise tlock.TlockError(f"answered round {body.get('round')}")
            signature = bytes.fromhex(body["signature"])
            tlock.verify_round(public_key, round_number, signature)
        except (AttributeError, KeyError, ValueError, TypeError, tlock.TlockError) as exc:
            problems.append(f"{url}: refused signature ({exc})")
            continue
        return signature
    if too_early and len(problems) == len(urls):
        raise TooEarlyError(f"round {round_number} is not signed yet ({'; '.join(problems)})")
    raise BeaconError(f"no verified signature for round {round_number}: {'; '.join(problems) or 'no endpoint'}")
