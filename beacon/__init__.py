"""The randomness beacon behind the time-lock custodian (crypto/tlock.py, FORMAT.md §15).

Modules: `chain` (a chain as configured, and its client that verifies every round), `local` (this
project's own chain and its BLS key), `server` (its drand-compatible HTTP API) and `cli` (`flask
beacon serve`).

A tender's time-lock share is wrapped to one future round of a drand chain; at the opening the
sweep fetches that round's signature from the chain's endpoints, verifies it against the chain's
pinned BLS public key (never trusting the transport) and unwraps the share.

Two chains are known:

- ``quicknet``: the public drand network of the League of Entropy (3 s rounds). Nobody, the
  platform included, can open a share before the round is signed by a threshold of independent
  operators. Production uses it.
- ``local``: a beacon process of this project (``flask beacon serve``) with the same HTTP API,
  signing each round with its own BLS key only once the round's time has come on the platform
  clock. Tests, CI and the embedded default (``make run`` / ``flask serve``) use it, since these
  machines cannot reach the internet. Its time-lock is only as strong as the machine running it:
  whoever holds its key file can sign any round early.

Configuration (BIAOYUN_ prefix in the environment): ``BEACON`` (``local`` | ``quicknet``; default
``quicknet`` in production, ``local`` elsewhere), ``BEACON_URLS`` (endpoints, comma-separated),
``BEACON_CHAIN_HASH``, ``BEACON_PUBLIC_KEY``, ``BEACON_PERIOD``, ``BEACON_GENESIS`` (override the
chain's pinned values), ``BEACON_DIR`` (the local beacon's key and chain file), ``BEACON_PORT``.
"""

from __future__ import annotations

from beacon.chain import (
    BeaconError,
    Chain,
    TooEarlyError,
    chain_of,
    current_chain,
    fetch_signature,
)

__all__ = ["BeaconError", "Chain", "TooEarlyError", "chain_of", "current_chain", "fetch_signature",
           "register"]


def register(app) -> None:
    """Add ``flask beacon serve`` (the local beacon)."""
    from beacon.cli import beacon_cli

    app.cli.add_command(beacon_cli)
