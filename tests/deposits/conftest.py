"""Fixtures of the deposits tests: the tender's world (tests/tender/conftest.py: an agency, custodians,
suppliers with keys, a project factory) and the evaluation's room run to a published award
(tests/evaluation/conftest.py), loaded from their files; a collecting bank (Ed25519) and a guarantee
issuer (ECDSA P-256) registered with real keys, and a way to send the bank's signed messages."""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


_TESTS = Path(__file__).resolve().parents[1]
_tender = _load("deposits_tender_fixtures", _TESTS / "tender" / "conftest.py")
_evaluation = _load("deposits_evaluation_fixtures", _TESTS / "evaluation" / "conftest.py")
world, make_project, _cheap_password_hashing = _tender.world, _tender.make_project, _tender._cheap_password_hashing
room, published = _evaluation.room, _evaluation.published


def _pem(public_key) -> str:
    return public_key.public_bytes(serialization.Encoding.PEM,
                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@dataclass
class Senders:
    bank: object
    bank_key: ed25519.Ed25519PrivateKey
    issuer: object
    issuer_key: ec.EllipticCurvePrivateKey


@pytest.fixture
def senders(app_ctx, make_user):
    from core import exchange
    from core.db import db

    admin = make_user("admin", totp=False)
    bank_key, issuer_key = ed25519.Ed25519PrivateKey.generate(), ec.generate_private_key(ec.SECP256R1())
    bank = exchange.register_sender(admin, "tsbank", "泰顺农商银行", "deposits.bank", "bank", "ed25519",
                                    _pem(bank_key.public_key()))
    issuer = exchange.register_sender(admin, "pingan", "平安财产保险温州分公司", "deposits.guarantee", "insurer",
                                      "p256", _pem(issuer_key.public_key()))
    db.session.commit()
    return Senders(bank, bank_key, issuer, issuer_key)


@pytest.fixture
def bank_message(senders):
    """bank_message(type, body, key=None, **envelope overrides) -> a signed envelope from the bank."""
    from core import exchange

    def make(type_: str, body: dict, key=None, channel: str = "deposits.bank", sender: str = "tsbank", **over):
        envelope = exchange.make_envelope(sender, channel, type_, body) | over
        return exchange.sign_envelope(key or senders.bank_key, envelope)

    return make


@pytest.fixture
def letter_for(senders):
    """letter_for(project, lot, org, **overrides) -> {"letter", "signature"} signed by the issuer."""
    from datetime import timedelta

    from core import clock, exchange
    from tender.bids import bidder_id_of

    def make(project, lot, org, amount_fen: int, key=None, **overrides):
        start = clock.to_local(project.deadline).date()
        letter = {"format": "biaoyun-guarantee/1", "letter_no": f"BH-{lot.id}-{org.id}", "issuer": "pingan",
                  "applicant": bidder_id_of(org), "project_code": project.code, "lot": lot.number,
                  "purpose": "bid", "amount_fen": amount_fen,
                  "valid_from": (start - timedelta(days=7)).isoformat(),
                  "valid_until": (start + timedelta(days=120)).isoformat()} | overrides
        signed = exchange.sign_envelope(key or senders.issuer_key, letter)
        return {"letter": letter, "signature": signed["signature"]}

    return make
