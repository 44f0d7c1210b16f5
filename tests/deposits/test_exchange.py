"""core.exchange, the signed-message receiver the deposits (and later the plan's finance intranet) use:
registered keys of both algorithms, idempotency, replay refusal, the message log. Every refusal changes
nothing but its own refused line."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from sqlalchemy import func, select

APPLIED: list[dict] = []


@pytest.fixture
def ping(app_ctx):
    from core import exchange

    APPLIED.clear()

    def apply(sender, body, message):
        from core.errors import ValidationError

        if body.get("bad"):
            raise ValidationError("坏的正文。", code="ping_bad")
        APPLIED.append(body)
        return {"pong": body.get("n")}

    exchange.handler("deposits.bank", "test.ping")(apply)
    return apply


def _count(status: str | None = None) -> int:
    from core.db import db
    from core.exchange import ExchangeMessage

    stmt = select(func.count()).select_from(ExchangeMessage)
    if status:
        stmt = stmt.where(ExchangeMessage.status == status)
    return db.session.scalar(stmt)


def _refused(envelope) -> str:
    from core import exchange
    from core.db import db
    from core.errors import DomainError, settle_refusal

    with pytest.raises(DomainError) as caught:
        exchange.receive(envelope)
    settle_refusal(caught.value)
    db.session.remove()
    return caught.value.code


def test_a_signed_message_is_applied_once_and_logged(senders, bank_message, ping, clock):
    from core import exchange
    from core.db import db

    envelope = bank_message("test.ping", {"n": 1})
    got = exchange.receive(envelope)
    db.session.commit()
    assert got.result == {"pong": 1} and APPLIED == [{"n": 1}]
    assert got.message.status == "accepted" and got.message.sender_code == "tsbank" and len(got.message.digest) == 64
    # the same message again (a bank retrying): refused as a duplicate with the first answer, not applied twice
    assert _refused(envelope) == "exchange_duplicate" and APPLIED == [{"n": 1}]
    # a new message id carrying a used nonce is a replay
    assert _refused(bank_message("test.ping", {"n": 2}, nonce=envelope["nonce"])) == "exchange_replayed"
    assert APPLIED == [{"n": 1}] and _count("accepted") == 1 and _count("refused") == 2


@pytest.mark.parametrize(("change", "code"), [
    ("signature", "exchange_bad_signature"), ("body", "exchange_bad_signature"), ("old", "exchange_stale"),
    ("future", "exchange_stale"), ("sender", "exchange_unknown_sender"), ("type", "exchange_unknown_type"),
    ("missing", "exchange_malformed"), ("short_nonce", "exchange_malformed"), ("handler", "ping_bad"),
    ("channel", "exchange_wrong_channel"), ("other_key", "exchange_bad_signature"),
])
def test_refusals_change_nothing(senders, bank_message, ping, clock, change, code):
    from core import clock as clock_module
    from core import exchange

    envelope = bank_message("test.ping", {"n": 1})
    if change == "signature":
        envelope["signature"] = envelope["signature"][:-2] + ("AA" if envelope["signature"][-2:] != "AA" else "BA")
    elif change == "body":
        envelope["body"] = {"n": 2}
    elif change in ("old", "future"):
        delta = timedelta(minutes=6) * (-1 if change == "old" else 1)
        at = (clock_module.now() + delta).strftime("%Y-%m-%dT%H:%M:%SZ")
        envelope = bank_message("test.ping", {"n": 1}, timestamp=at)
    elif change == "sender":
        envelope = bank_message("test.ping", {"n": 1}, sender="nobody")
    elif change == "type":
        envelope = bank_message("test.nothing", {"n": 1})
    elif change == "missing":
        envelope.pop("nonce")
    elif change == "short_nonce":
        envelope = bank_message("test.ping", {"n": 1}, nonce="short")
    elif change == "handler":
        envelope = bank_message("test.ping", {"bad": True})
    elif change == "channel":
        envelope = bank_message("test.ping", {"n": 1}, channel="deposits.guarantee")
    elif change == "other_key":
        envelope = bank_message("test.ping", {"n": 1}, key=ed25519.Ed25519PrivateKey.generate())
    assert _refused(envelope) == code
    assert APPLIED == [] and _count("accepted") == 0 and _count("refused") == 1
    # the genuine message is still accepted afterwards (a refused line holds no id or nonce hostage)
    assert exchange.receive(bank_message("test.ping", {"n": 3})).result == {"pong": 3}


def test_p256_senders_and_signed_documents(senders, clock):
    from core import exchange

    doc = {"letter_no": "X1", "amount_fen": 100}
    signed = exchange.sign_envelope(senders.issuer_key, doc)
    assert exchange.verify_signed(senders.issuer, doc, signed["signature"])
    assert not exchange.verify_signed(senders.issuer, {**doc, "amount_fen": 101}, signed["signature"])
    other = exchange.sign_envelope(ec.generate_private_key(ec.SECP256R1()), doc)
    assert not exchange.verify_signed(senders.issuer, doc, other["signature"])
    assert not exchange.verify_signed(senders.issuer, doc, "not base64!")


def test_a_key_of_the_wrong_algorithm_is_refused(senders, make_user):
    from core import exchange
    from core.errors import ValidationError

    with pytest.raises(ValidationError) as caught:
        exchange.register_sender(None, "x", "某银行", "deposits.bank", "bank", "p256", senders.bank.public_key_pem)
    assert caught.value.code == "exchange_key_invalid"
