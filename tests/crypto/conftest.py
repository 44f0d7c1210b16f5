"""Fixtures for the sealed-bid tests: fixed parties, a policy, and a sealing helper."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from crypto import Custodian, make_policy, seal
from crypto.container import MIN_CHUNK


class Parties:
    """Three custodians (k=2), a supplier with separate signing and encryption keys."""

    def __init__(self) -> None:
        self.custodians = [ec.generate_private_key(ec.SECP256R1()) for _ in range(3)]
        self.sign = ec.generate_private_key(ec.SECP256R1())
        self.enc = ec.generate_private_key(ec.SECP256R1())
        self.policy = make_policy(
            "T-2025-01",
            "1",
            2,
            [Custodian(f"c{i}", k.public_key(), f"custodian {i}") for i, k in enumerate(self.custodians)],
        )


@pytest.fixture(scope="session")
def parties() -> Parties:
    return Parties()


SUMMARY = {"bidder": "ACME 有限公司", "lot": "1", "price_fen": 12_345_600, "delivery_days": 45}


@pytest.fixture(scope="session")
def make_sealed(parties: Parties) -> Callable[..., bytes]:
    def _make(
        files: list[tuple[str, bytes]], chunk_size: int = MIN_CHUNK, summary: dict | None = None
    ) -> bytes:
        out = io.BytesIO()
        seal(
            parties.policy, parties.sign, parties.enc.public_key(), summary or SUMMARY,
            [(name, io.BytesIO(data)) for name, data in files], out, "B-001", chunk_size=chunk_size,
        )  # fmt: skip
        return out.getvalue()

    return _make
