"""Generator of crypto/vectors/tlock.json (FORMAT.md §15): ``python -m crypto._tlock_vectors``.

Interop ciphertexts are fixed inputs made by the reference implementations (drand's tlock Go test
suite and tlock-js 0.9.0) for the public quicknet round 12040883, whose real signature is included;
every other section is computed here from fixed "random" draws and checked bit-for-bit by both
languages' tests.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from crypto import tlock

QUICKNET_ROUND = 12040883
QUICKNET_SIGNATURE = (
    "929906c959032ab363c9f26570d215d66f5c06cb0c44fe508c12bb5839f04ec895bb6868e5b9ff13ab289bdb5266b394"
)
GO_HELLO = """-----BEGIN AGE ENCRYPTED FILE-----
YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IHRsb2NrIDEyMDQwODgzIDUyZGI5YmE3
MGUwY2MwZjZlYWY3ODAzZGQwNzQ0N2ExZjU0Nzc3MzVmZDNmNjYxNzkyYmE5NDYw
MGM4NGU5NzEKa1JjK01NSEUwS005b1V0SmNLTWZGb1JFVzBXN1JQbTNtdzZpVUJ1
cGNXVkZkZDJQb1h6U0JrK25TM01BNnBKNwpHZDl3REhmVU5hTldXTWw2cGVia2Jh
OUVNZGJDWnBuQVNtOWFIb3hqUitwaGFVT2xoS1ppZGl5ZHBLSStPS2N0CmxvT2ZP
SW9KaGtndTVTRnJUOGVVQTJUOGk3aTBwQlBzTDlTWUJUZEJQb28KLS0tIEl6Q1Js
WSt1RXp0d21CbEg0cTFVZGNJaW9pS2l0M0c0bHVxNlNjT2w3UUUKDI4cDlPHPgjy
UnBmtsw6U2LlKh8iDf0E1PfwDenmKFfQaAGm0WLxdlzP8Q==
-----END AGE ENCRYPTED FILE-----
"""
JS_SHARE = """-----BEGIN AGE ENCRYPTED FILE-----
YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IHRsb2NrIDEyMDQwODgzIDUyZGI5YmE3
MGUwY2MwZjZlYWY3ODAzZGQwNzQ0N2ExZjU0Nzc3MzVmZDNmNjYxNzkyYmE5NDYw
MGM4NGU5NzEKcWRSWlVJSnY3Zm1ZU3htQlNESDJBZ2VMV3FOYzdPejhTbUpsQUEx
UE1lWjQwTEpTZzZYSmFLZGd4dWV5azNqQwpHTjFnYXM1SUN5VzdrSnhnTmlhaStz
RHNENk5iQml5eUMvYTk2cHdzcTlGblpnZm1lWkpQcFUzRFRORW85ZkNaCk52R1ZH
UC8zcU1iTDAyVUQxSHRXRzZWL3JVZ0tDdnZaTmJwemVQNW01SVUKLS0tIGU5dHJG
VjZNekQ3SUJKQ0RXbFlETGw5azJGVEVOcDBRbk5iQjVhM2FjbVUKn1iYaEeMknyZ
kkwJYx0/BcJsf1ZfFGQhhSGnAPB9839F1+KN0lVNhxEwjFL0RswHBukh+85IAXos
mpXzO73gMA==
-----END AGE ENCRYPTED FILE-----
"""
LOCAL_SCALAR = int.from_bytes(hashlib.sha256(b"biaoyun/vectors/tlock/local-beacon").digest(), "big") % tlock.FR_ORDER
SHARE = bytes(range(32))


def _draws(label: str) -> Any:
    """A deterministic byte source: SHA-256 counter blocks of a label."""
    state: dict[str, Any] = {"n": 0, "buffer": b""}

    def draw(n: int) -> bytes:
        while len(state["buffer"]) < n:
            state["buffer"] += hashlib.sha256(f"biaoyun/vectors/tlock/{label}/{state['n']}".encode()).digest()
            state["n"] += 1
        out, state["buffer"] = state["buffer"][:n], state["buffer"][n:]
        return out

    return draw


def build_vectors() -> dict[str, Any]:
    local_pk = tlock.public_key_of(LOCAL_SCALAR)
    local_round = 100
    local_sig = tlock.sign_round(LOCAL_SCALAR, local_round)
    sigma = _draws("ibe")(16)
    msg = bytes(range(16))
    ibe_ct = tlock.ibe_encrypt(local_pk, local_round, msg, lambda n: sigma)
    chain_hash = hashlib.sha256(b"biaoyun/vectors/tlock/local-chain").hexdigest()
    age = tlock.encrypt(local_pk, chain_hash, local_round, SHARE, _draws("age"))
    return {
        "about": "FORMAT.md §15 time-lock vectors; regenerate with python -m crypto._tlock_vectors",
        "quicknet": {**tlock.QUICKNET, "round": QUICKNET_ROUND, "signature": QUICKNET_SIGNATURE,
                     "round_message": tlock.round_message(QUICKNET_ROUND).hex()},
        "interop": [
            {"made_by": "drand/tlock Go test suite (TestDecryptText)", "armored": GO_HELLO,
             "plaintext_hex": b"hello world".hex()},
            {"made_by": "tlock-js 0.9.0 timelockEncrypt", "armored": JS_SHARE, "plaintext_hex": SHARE.hex()},
        ],
        "local_beacon": {"secret_scalar": f"{LOCAL_SCALAR:064x}", "public_key": local_pk.hex(),
                         "round": local_round, "signature": local_sig.hex(),
                         "wrong_round_signature": tlock.sign_round(LOCAL_SCALAR, local_round + 1).hex()},
        "ibe": {"public_key": local_pk.hex(), "round": local_round, "sigma": sigma.hex(), "msg": msg.hex(),
                "ciphertext": ibe_ct.hex()},
        "age": {"public_key": local_pk.hex(), "chain_hash": chain_hash, "round": local_round,
                "draws": "file key (16), IBE sigma (16), payload nonce (16) from SHA-256 blocks of "
                         "'biaoyun/vectors/tlock/age/<n>'",
                "draws_hex": _draws("age")(48).hex(), "plaintext_hex": SHARE.hex(), "file_hex": age.hex()},
        "rounds": [
            {"genesis_time": 1692803367, "period": 3, "time": t, "round": tlock.round_at(t, 1692803367, 3)}
            for t in (1692803367, 1692803368, 1692803370, 1692803371, 1764547200)
        ],
    }


def render() -> str:
    return json.dumps(build_vectors(), indent=1, ensure_ascii=False, sort_keys=True) + "\n"


if __name__ == "__main__":
    Path(__file__).with_name("vectors").joinpath("tlock.json").write_text(render(), encoding="utf-8")
