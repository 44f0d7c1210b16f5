"""Builds ``crypto/vectors/v1.json`` and ``v2.json``, the deterministic vectors other implementations check.

Run ``python -m crypto._vectors 2 > crypto/vectors/v2.json`` (and ``1`` for v1.json, which must not
change: version-1 containers stay readable); the tests rebuild both and compare, so the files and the
code cannot drift apart.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from crypto import container, hpke, shamir
from crypto.encoding import b64u_encode, canonical_json, public_key_b64u
from crypto.keyfile import make_key_file
from crypto.opening import MemorySink, open_with_key
from crypto.policy import Custodian, make_policy, policy_hash


def fixed_key(name: str) -> ec.EllipticCurvePrivateKey:
    """A P-256 key whose scalar is SHA-256 of its name (valid with overwhelming probability)."""
    return hpke.private_key_from_scalar(hashlib.sha256(b"biaoyun vector key " + name.encode()).digest())


class Drbg:
    """SHA-256 counter-mode byte stream standing in for the random source; records draws."""

    def __init__(self, seed: str) -> None:
        self.seed, self.counter, self.buffer, self.draws = seed.encode(), 0, b"", []

    def __call__(self, n: int) -> bytes:
        while len(self.buffer) < n:
            self.buffer += hashlib.sha256(self.seed + self.counter.to_bytes(8, "big")).digest()
            self.counter += 1
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        self.draws.append(out.hex())
        return out


def _key_json(key: ec.EllipticCurvePrivateKey) -> dict[str, str]:
    pkcs8 = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return {
        "d": hpke.private_key_scalar(key).hex(),
        "pkcs8": b64u_encode(pkcs8),
        "public_key": public_key_b64u(key.public_key()),
    }


def vector_parties() -> dict[str, ec.EllipticCurvePrivateKey]:
    """The fixed keys: three custodians (one is the time vault), the supplier's two keys."""
    return {name: fixed_key(name) for name in ("agency", "notary", "vault", "supplier_sign", "supplier_enc")}


def vector_policy(keys: dict[str, ec.EllipticCurvePrivateKey]) -> dict[str, Any]:
    labels = {"agency": "采购代理机构", "notary": "公证处", "vault": "平台时间保险库"}
    custodians = [Custodian(cid, keys[cid].public_key(), label) for cid, label in labels.items()]
    return make_policy("ZJ-2025-0001", "1", 2, custodians)


def seal_vector(
    policy: dict[str, Any],
    keys: dict[str, Any],
    seed: str,
    files: list[tuple[str, bytes]],
    summary: dict[str, Any],
    version: int = container.VERSION,
) -> tuple[bytes, Drbg]:
    """Seal deterministically; returns the container bytes and the recorded random draws."""
    rand = Drbg(seed)
    out = io.BytesIO()
    container.seal(
        policy, keys["supplier_sign"], keys["supplier_enc"].public_key(), summary,
        [(name, io.BytesIO(data)) for name, data in files], out, "91330000MA2XXXXX1X",
        chunk_size=container.MIN_CHUNK, rand=rand, version=version,
    )  # fmt: skip
    return out.getvalue(), rand


def forge_self_stanza(
    data: bytes, file_key: bytes, other_key: bytes, keys: dict[str, Any], rand: Callable[[int], bytes]
) -> bytes:
    """What a cheating bidder could make: shares carry ``file_key``, the self stanza another key.

    The header MAC and signature are recomputed honestly, so only the key commitment can catch it.
    """
    header = container.read_header(io.BytesIO(data))
    rest = data[len(header.prefix) + 32 : -65]
    fields = json.loads(json.dumps(header.fields))
    info = container.self_info(header.policy_hash, header.commitment, header.bidder_id)
    eph = hpke.private_key_from_scalar(rand(32))
    enc, ct = hpke.wrap_deterministic(other_key, keys["supplier_enc"].public_key(), info, eph)
    fields["self"].update(enc=b64u_encode(enc), ct=b64u_encode(ct))
    body = canonical_json(fields)
    prefix = container.MAGIC + bytes([header.version]) + len(body).to_bytes(4, "big") + body
    mac_key = container.derive_keys(file_key, b"")["header_mac_key"]
    mac = hmac.new(mac_key, prefix, hashlib.sha256).digest()
    digest = hashlib.sha256(prefix + mac + rest).digest()
    return prefix + mac + rest + b"S" + container.sign_digest(keys["supplier_sign"], digest)


def _shamir_vectors() -> list[dict[str, Any]]:
    cases = []
    for seed, k, n in (("shamir-1", 2, 3), ("shamir-2", 3, 5), ("shamir-3", 1, 1)):
        rand = Drbg(seed)
        secret = rand(32)
        coefficients = rand(32 * (k - 1))
        shares = shamir.split(secret, k, n, lambda _n, c=coefficients: c)
        subsets = [list(range(1, k + 1)), list(range(n - k + 1, n + 1))]
        cases.append({
            "secret": secret.hex(), "k": k, "n": n, "coefficients": coefficients.hex(),
            "shares": [{"x": x, "y": y.hex()} for x, y in enumerate(shares, start=1)],
            "combine": [{"xs": xs, "secret": secret.hex()} for xs in subsets],
        })  # fmt: skip
    cases.append(
        {"gf_mul": [[a, b, shamir.gf_mul(a, b)] for a, b in ((0x57, 0x83), (0x53, 0xCA), (2, 0x80))]}
    )
    return cases


def _hpke_vectors() -> list[dict[str, Any]]:
    cases = []
    for name in ("wrap-1", "wrap-2"):
        recipient, ephemeral = fixed_key(name + "-R"), fixed_key(name + "-E")
        info = b"biaoyun/sealed/v1/share\x00" + bytes(64) + b"\x01bidder"
        pt = hashlib.sha256(name.encode()).digest()
        enc, ct = hpke.wrap_deterministic(pt, recipient.public_key(), info, ephemeral)
        ctx = hpke.setup_base_s(recipient.public_key(), info, ephemeral)
        cases.append({
            "skR": hpke.private_key_scalar(recipient).hex(), "skE": hpke.private_key_scalar(ephemeral).hex(),
            "pkR": public_key_b64u(recipient.public_key()), "info": info.hex(), "pt": pt.hex(),
            "enc": enc.hex(), "ct": ct.hex(), "shared_secret": ctx.shared_secret.hex(),
            "key": ctx.key.hex(), "base_nonce": ctx.base_nonce.hex(),
        })  # fmt: skip
    return cases


def _hkdf_vectors(version: int) -> list[dict[str, Any]]:
    cases = []
    for seed in ("hkdf-1", "hkdf-2"):
        rand = Drbg(seed)
        file_key, salt = rand(32), rand(32)
        extra: dict[str, Any] = {}
        binding = None
        if version >= 2:
            signer = public_key_b64u(fixed_key("supplier_sign").public_key())
            binding = container.commitment_binding(rand(32), signer, "91330000MA2XXXXX1X")
            extra = {"binding": binding.hex()}
        derived = container.derive_keys(file_key, salt, binding)
        cases.append({**extra,
            "file_key": file_key.hex(), "payload_salt": salt.hex(),
            "payload_key": derived["payload_key"].hex(), "commitment": derived["commitment"].hex(),
            "header_mac_key": derived["header_mac_key"].hex(),
            "share_commitment_x1": container.share_commitment(1, file_key).hex(),
        })  # fmt: skip
    return cases


def _file_json(name: str, data: bytes) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    if len(data) <= 4096:
        entry["content_b64u"] = b64u_encode(data)
    else:
        entry["pattern"] = "byte i is i mod 251"
    return entry


def _container_vector(
    name: str, policy: dict[str, Any], keys: dict[str, Any], files: list, summary: dict, version: int
) -> dict:
    data, rand = seal_vector(policy, keys, name, files, summary, version)
    info = container.inspect(io.BytesIO(data), policy)
    return {
        "name": name,
        "bidder_id": "91330000MA2XXXXX1X",
        "random_draws": rand.draws,
        "summary": summary,
        "files": [_file_json(n, d) for n, d in files],
        "container_b64u": b64u_encode(data),
        "inspect": info,
        "shares": {
            cid: container.unwrap_share(io.BytesIO(data), keys[cid]).to_json() for cid in ("agency", "vault")
        },
    }


def build_vectors(version: int = container.VERSION) -> dict[str, Any]:
    """All vectors of one container version as one JSON-ready dict."""
    keys = vector_parties()
    policy = vector_policy(keys)
    summary = {"bidder": "浙江某某科技有限公司", "delivery_days": 30, "lot": "1", "price_fen": 128_800_00}
    small = _container_vector(
        "container-small", policy, keys, [("报价单.txt", "总价：壹拾贰万捌仟捌佰元整\n".encode())], summary,
        version,
    )
    big_file = bytes(i % 251 for i in range(2 * container.MIN_CHUNK + 100))
    multi = _container_vector(
        "container-multichunk", policy, keys, [("tech.bin", big_file), ("empty.txt", b"")], summary, version
    )
    draws = [bytes.fromhex(d) for d in small["random_draws"]]
    forged_rand = Drbg("forged")
    forged = forge_self_stanza(
        bytes(_b64u(small["container_b64u"])), draws[0], forged_rand(32), keys, forged_rand
    )
    assert _opens_with_key_fails(forged, keys)
    return {
        "format": "biaoyun-vectors/1",
        "note": "Keys: d = private scalar hex, pkcs8 = unencrypted PKCS#8 DER b64u. See crypto/FORMAT.md.",
        "keys": {name: _key_json(key) for name, key in keys.items()},
        "policy": policy,
        "policy_canonical": canonical_json(policy).decode("utf-8"),
        "policy_hash": policy_hash(policy).hex(),
        "shamir": _shamir_vectors(),
        "hpke": _hpke_vectors(),
        "hkdf": _hkdf_vectors(version),
        "containers": [small, multi],
        "key_file": {
            "passphrase": "投标 passphrase ①",
            "file": json.loads(
                make_key_file(
                    {"sign": keys["supplier_sign"], "encrypt": keys["supplier_enc"]},
                    "supplier",
                    "投标 passphrase ①",
                    1000,
                    rand=Drbg("key-file"),
                )
            ),
            "sign_public_key": public_key_b64u(keys["supplier_sign"].public_key()),
            "encrypt_public_key": public_key_b64u(keys["supplier_enc"].public_key()),
        },
        "document_signature": _document_vector(keys["supplier_sign"]),
        "forged_self_stanza": {
            "container_b64u": b64u_encode(forged),
            "open_with_supplier_key": "key_commitment_mismatch",
            "open_with_shares": "ok",
        },
    }


def _document_vector(key: ec.EllipticCurvePrivateKey) -> dict[str, Any]:
    """A contract-like document signed with RFC 6979 (deterministic) nonces (FORMAT.md §14)."""
    from crypto.document import document_digest, sign_document

    doc = {"amount_fen": 128_800_00, "amount_words": "壹拾贰万捌仟捌佰元整", "format": "biaoyun-contract/1",
           "number": "HT-2025-0001-1", "purchaser": {"name": "某某县教育局"},
           "supplier": {"name": "浙江某某科技有限公司"}, "terms": {"payment": "验收合格后30日内支付"}}
    digest = document_digest(doc)
    return {
        "document": doc,
        "canonical": canonical_json(doc).decode("utf-8"),
        "sha256": digest.hex(),
        "signer_public_key": public_key_b64u(key.public_key()),
        "signature": b64u_encode(sign_document(key, digest)),
    }


def _b64u(text: str) -> bytes:
    from crypto.encoding import b64u_decode

    return b64u_decode(text)


def _opens_with_key_fails(data: bytes, keys: dict[str, Any]) -> bool:
    from crypto.errors import KeyCommitmentMismatchError

    try:
        open_with_key(io.BytesIO(data), keys["supplier_enc"], MemorySink())
    except KeyCommitmentMismatchError:
        return True
    return False


def render(version: int = 1) -> str:
    """The exact text of v<version>.json."""
    vectors = build_vectors(version)
    if version >= 2:
        vectors["version"] = version
    return json.dumps(vectors, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


if __name__ == "__main__":
    import sys

    print(render(int(sys.argv[1]) if len(sys.argv) > 1 else 1), end="")
