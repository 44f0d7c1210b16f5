"""What a dishonest party can do to a sealed container without its file key (for the attack tests).

`relabel` is the relabelled-copy attack of issue 10: a supplier holding a competitor's sealed file puts
its own bidder id and signing key on it and signs it. It cannot recompute the header MAC or, in
version 2, the key commitment (both need the file key), so it keeps them.
"""

from __future__ import annotations

import hashlib
import io

from cryptography.hazmat.primitives.asymmetric import ec

from crypto import container
from crypto.encoding import canonical_json, public_key_b64u

P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def relabel(data: bytes, bidder_id: str, signer: ec.EllipticCurvePrivateKey, version: int | None = None) -> bytes:
    """A copy of ``data`` claiming ``bidder_id``, signed by ``signer``; ciphertext, MAC, stanzas kept."""
    header = container.read_header(io.BytesIO(data))
    rest = data[len(header.prefix) + 32 : -65]
    fields = dict(header.fields, bidder_id=bidder_id, signer=public_key_b64u(signer.public_key()))
    body = canonical_json(fields)
    prefix = container.MAGIC + bytes([version or header.version]) + len(body).to_bytes(4, "big") + body
    digest = hashlib.sha256(prefix + header.mac + rest).digest()
    return prefix + header.mac + rest + b"S" + container.sign_digest(signer, digest)


def high_s_twin(signature: bytes) -> bytes:
    """The other valid ECDSA encoding (r, n - s) of a raw r||s signature."""
    s = int.from_bytes(signature[32:], "big")
    return signature[:32] + (P256_ORDER - s).to_bytes(32, "big")
