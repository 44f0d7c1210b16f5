"""Signed machine-to-machine messages (内外网数据对接): a bank's deposit notifications today, the finance
intranet's confirmations and payments tomorrow (plan/), with one receiver and one log.

A sender (a bank, an insurer, the finance intranet) is registered by the platform's administrator with
its public key: Ed25519, or ECDSA P-256 whose signature is raw r||s in the low-s form, as every other
signature of the platform (`crypto.document`). A message is a JSON object, its envelope

    {"sender": "icbc-330329", "channel": "deposits.bank", "type": "deposit.credit",
     "message_id": "<the sender's idempotency key>", "nonce": "<16+ random characters>",
     "timestamp": "2026-11-27T02:00:00Z", "body": {...}, "signature": "<base64url>"}

and what is signed is `SIGNING_LABEL` followed by the SHA-256 of the canonical JSON of the envelope
without its `signature` (`signing_input`). `receive(envelope)` refuses, with a stable code and nothing
changed but the log's refused line: an unknown or inactive sender (`exchange_unknown_sender`), a bad
signature (`exchange_bad_signature`), a malformed envelope (`exchange_malformed`), a timestamp outside
the window (`exchange_stale`, `EXCHANGE_WINDOW_SECONDS`, default 300 s either way), a nonce already seen
(`exchange_replayed`), a message id already accepted (`exchange_duplicate`, with the first answer in
`details`; a resent message is never applied twice), a type nobody handles (`exchange_unknown_type`).
Otherwise it runs the handler its package registered with `handler(channel, type)` inside a savepoint:
a handler's refusal (a `DomainError`) is rolled back, logged as refused with its code and re-raised.
The accepted message, its digest and the handler's answer stay in `ExchangeMessage`, committed with the
change it made.

Outgoing messages (a refund order to a bank) are `send(...)`: logged as `pending` until the receiver's
acknowledgement arrives as an incoming message whose handler calls `acknowledge(message_id, ...)`. The
receiver picks them up with a signed message of its own (a channel registers `fetch_outbox` as a
handler): each comes as an envelope signed by the platform's Ed25519 key (`envelope_of`, sender
`biaoyun`, the same signing input), which the receiver checks against `platform_public_key_pem()`.
`messages_of(sender, day)` is the day's log for a reconciliation report.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from flask import current_app, has_app_context
from sqlalchemy import JSON, ForeignKey, Index, String, Text, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import clock
from core.db import db
from core.errors import DomainError, Forbidden, NotFound, ValidationError

SIGNING_LABEL = b"biaoyun/exchange/v1/message\x00"
DEFAULT_WINDOW_SECONDS = 300
ENVELOPE_FIELDS = ("sender", "channel", "type", "message_id", "nonce", "timestamp", "body")


class Algorithm(enum.StrEnum):
    ED25519 = "ed25519"
    P256 = "p256"


class Direction(enum.StrEnum):
    IN = "in"
    OUT = "out"


class MessageStatus(enum.StrEnum):
    ACCEPTED = "accepted"          # incoming, applied
    REFUSED = "refused"            # incoming, refused with `error_code`; nothing applied
    PENDING = "pending"            # outgoing, not acknowledged yet
    ACKNOWLEDGED = "acknowledged"  # outgoing, the receiver confirmed it


class ExchangeSender(db.Model):
    """A system allowed to send signed messages on one channel, with its registered public key."""

    __tablename__ = "exchange_sender"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(60), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # "bank" | "insurer" | "finance" …: what the channel needs
    algorithm: Mapped[str] = mapped_column(String(10))
    public_key_pem: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    registered_at: Mapped[datetime]


class ExchangeMessage(db.Model):
    """One line of the message log: a message received (accepted or refused) or sent."""

    __tablename__ = "exchange_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(3))
    channel: Mapped[str] = mapped_column(String(60))
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("exchange_sender.id"), index=True)
    sender_code: Mapped[str] = mapped_column(String(60), default="")  # as claimed, also for a refused one
    type: Mapped[str] = mapped_column(String(60), default="")
    message_id: Mapped[str] = mapped_column(String(100), default="")
    nonce: Mapped[str] = mapped_column(String(100), default="")
    sent_at: Mapped[datetime | None]
    received_at: Mapped[datetime] = mapped_column(index=True)
    digest: Mapped[str] = mapped_column(String(64))
    body: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # None for a refused envelope we could not trust
    status: Mapped[str] = mapped_column(String(14), index=True)
    error_code: Mapped[str | None] = mapped_column(String(60))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reply_to: Mapped[str | None] = mapped_column(String(100))  # an acknowledgement's outgoing message id
    acknowledged_at: Mapped[datetime | None]

    sender: Mapped[ExchangeSender | None] = relationship()

    __table_args__ = (
        # accepted and outgoing lines only: a refused line never holds a message id or nonce hostage
        Index("ix_exchange_message_once", "sender_id", "direction", "message_id", unique=True,
              sqlite_where=text("status <> 'refused'"), postgresql_where=text("status <> 'refused'")),
        Index("ix_exchange_message_nonce", "sender_id", "nonce", unique=True,
              sqlite_where=text("status = 'accepted'"), postgresql_where=text("status = 'accepted'")),
    )


class ExchangeRefused(DomainError):
    """A refused message: its refused line in the log is kept (committed), nothing else."""

    keep_changes = True


@dataclass(frozen=True)
class Received:
    """What `receive` answers: the log line and the handler's result."""

    message: ExchangeMessage
    result: dict[str, Any]


Handler = Callable[[ExchangeSender, dict[str, Any], ExchangeMessage], dict[str, Any]]
_HANDLERS: dict[tuple[str, str], Handler] = {}


def handler(channel: str, type_: str) -> Callable[[Handler], Handler]:
    """Register the function that applies messages of one type on one channel: fn(sender, body, message)
    returns the answer (a JSON object) or raises a `DomainError`."""

    def decorator(fn: Handler) -> Handler:
        _HANDLERS[(channel, type_)] = fn
        return fn

    return decorator


# ------------------------------------------------------------------ keys and signatures

def load_key(pem: str, algorithm: str):
    """A registered sender's public key from PEM, of the algorithm it is registered with."""
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, TypeError) as exc:
        raise ValidationError("公钥格式有误（须为 PEM）。", code="exchange_key_invalid") from exc
    if algorithm == Algorithm.ED25519 and isinstance(key, ed25519.Ed25519PublicKey):
        return key
    if algorithm == Algorithm.P256 and isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve,
                                                                                                  ec.SECP256R1):
        return key
    raise ValidationError("公钥与所选算法不符（Ed25519 或 ECDSA P-256）。", code="exchange_key_invalid")


def fingerprint(pem: str) -> str:
    """SHA-256 of the key's DER SubjectPublicKeyInfo, hex."""
    key = serialization.load_pem_public_key(pem.encode())
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def signing_input(envelope: dict[str, Any]) -> bytes:
    """The bytes a sender signs: the label and the SHA-256 of the canonical JSON without `signature`."""
    from crypto.encoding import canonical_json

    unsigned = {k: v for k, v in envelope.items() if k != "signature"}
    return SIGNING_LABEL + hashlib.sha256(canonical_json(unsigned)).digest()


def verify_signature(key, algorithm: str, message: bytes, signature: bytes) -> bool:
    """Check a signature made with a registered key; anything malformed is simply not valid."""
    from crypto.document import verify_raw

    if algorithm == Algorithm.P256:
        return verify_raw(key, message, signature)
    try:
        key.verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def sign_envelope(private_key, envelope: dict[str, Any]) -> dict[str, Any]:
    """The envelope with its `signature` (for senders' tools, the demo and the tests)."""
    from crypto.document import sign_raw
    from crypto.encoding import b64u_encode

    message = signing_input(envelope)
    if isinstance(private_key, ed25519.Ed25519PrivateKey):
        raw = private_key.sign(message)
    else:
        raw = sign_raw(private_key, message)
    return {**envelope, "signature": b64u_encode(raw)}


def make_envelope(sender: str, channel: str, type_: str, body: dict[str, Any], *, message_id: str | None = None,
                  at: datetime | None = None) -> dict[str, Any]:
    """A fresh unsigned envelope (a new nonce, now's timestamp)."""
    return {"sender": sender, "channel": channel, "type": type_, "message_id": message_id or secrets.token_hex(12),
            "nonce": secrets.token_urlsafe(18), "timestamp": _iso(at or clock.now()), "body": body}


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ------------------------------------------------------------------ senders

def register_sender(user, code: str, name: str, channel: str, kind: str, algorithm: str, public_key_pem: str):
    """The administrator registers a sender and its key (a new key for a known code replaces it, audited)."""
    from audit.service import record

    code, name = (code or "").strip(), (name or "").strip()
    if not code or len(code) > 60 or not name:
        raise ValidationError("请填写发送方代码和名称。", code="exchange_sender_invalid")
    if algorithm not in set(Algorithm):
        raise ValidationError("签名算法须为 Ed25519 或 ECDSA P-256。", code="exchange_key_invalid")
    load_key(public_key_pem, algorithm)
    row = db.session.scalar(select(ExchangeSender).where(ExchangeSender.code == code))
    if row is None:
        row = ExchangeSender(code=code, registered_at=clock.now())
        db.session.add(row)
    row.name, row.channel, row.kind, row.algorithm = name, channel, kind, algorithm
    row.public_key_pem, row.fingerprint, row.active = public_key_pem.strip(), fingerprint(public_key_pem), True
    row.registered_by_id = getattr(user, "id", None)
    db.session.flush()
    record("exchange.sender_registered", row, {"code": code, "channel": channel, "kind": kind,
                                               "algorithm": algorithm, "fingerprint": row.fingerprint})
    return row


def deactivate_sender(user, sender_id: int) -> ExchangeSender:
    """A sender's key revoked: its later messages are refused."""
    from audit.service import record

    row = db.session.get(ExchangeSender, sender_id)
    if row is None:
        raise NotFound("发送方不存在。", code="exchange_sender_not_found")
    row.active = False
    record("exchange.sender_deactivated", row, {"code": row.code, "by": getattr(user, "id", None)})
    return row


def sender_by_code(code: str) -> ExchangeSender | None:
    return db.session.scalar(select(ExchangeSender).where(ExchangeSender.code == code))


def senders(channel: str | None = None) -> list[ExchangeSender]:
    stmt = select(ExchangeSender).order_by(ExchangeSender.code)
    if channel:
        stmt = stmt.where(ExchangeSender.channel == channel)
    return list(db.session.scalars(stmt))


def verify_signed(sender: ExchangeSender, document: dict[str, Any], signature_b64u: str) -> bool:
    """Whether `document` (any JSON object, e.g. a guarantee letter) carries a valid signature of this
    sender's registered key, over the same signing input as a message."""
    from crypto.encoding import b64u_decode

    try:
        signature = b64u_decode(signature_b64u)
        message = signing_input(document)
    except (ValueError, TypeError):
        return False
    return sender.active and verify_signature(load_key(sender.public_key_pem, sender.algorithm), sender.algorithm,
                                              message, signature)


# ------------------------------------------------------------------ receiving

def window() -> timedelta:
    seconds = current_app.config.get("EXCHANGE_WINDOW_SECONDS") if has_app_context() else None
    return timedelta(seconds=int(seconds or DEFAULT_WINDOW_SECONDS))


def _digest(envelope: Any) -> str:
    from crypto.encoding import canonical_json

    try:
        return hashlib.sha256(canonical_json(envelope)).hexdigest()
    except (ValueError, TypeError):
        return hashlib.sha256(repr(envelope).encode()).hexdigest()


def _refuse(envelope: Any, code: str, message: str, *, sender: ExchangeSender | None = None,
            trusted: bool = False, status: int = 422, details: dict | None = None):
    env = envelope if isinstance(envelope, dict) else {}
    db.session.add(ExchangeMessage(
        direction=Direction.IN.value, channel=str(env.get("channel", ""))[:60], sender_id=sender.id if sender else None,
        sender_code=str(env.get("sender", ""))[:60], type=str(env.get("type", ""))[:60],
        message_id=str(env.get("message_id", ""))[:100], nonce=str(env.get("nonce", ""))[:100],
        received_at=clock.now(), digest=_digest(envelope), body=env.get("body") if trusted else None,
        status=MessageStatus.REFUSED.value, error_code=code))
    db.session.flush()
    raise ExchangeRefused(message, code=code, status=status, details=details)


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.endswith("Z"):
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def receive(envelope: Any, channel: str | None = None) -> Received:
    """Verify one signed message and apply it once (see the module's docstring for every refusal)."""
    from crypto.encoding import b64u_decode

    if not isinstance(envelope, dict) or any(f not in envelope for f in (*ENVELOPE_FIELDS, "signature")):
        _refuse(envelope, "exchange_malformed", "报文格式有误：缺少必需字段。")
    sender = sender_by_code(str(envelope["sender"]))
    if sender is None or not sender.active:
        _refuse(envelope, "exchange_unknown_sender", "发送方未登记或已停用。", status=403)
    if (channel and envelope["channel"] != channel) or envelope["channel"] != sender.channel:
        _refuse(envelope, "exchange_wrong_channel", "发送方无权在此通道发送报文。", sender=sender, status=403)
    try:
        signature = b64u_decode(envelope["signature"]) if isinstance(envelope["signature"], str) else b""
        signed = signing_input(envelope)
    except (ValueError, TypeError):
        signature, signed = b"", b""
    key = load_key(sender.public_key_pem, sender.algorithm)
    if not signed or not verify_signature(key, sender.algorithm, signed, signature):
        _refuse(envelope, "exchange_bad_signature", "报文签名验证失败。", sender=sender, status=403)
    message_id, nonce = envelope["message_id"], envelope["nonce"]
    if (not isinstance(message_id, str) or not 1 <= len(message_id) <= 100 or not isinstance(nonce, str)
            or not 16 <= len(nonce) <= 100 or not isinstance(envelope["body"], dict)):
        _refuse(envelope, "exchange_malformed", "报文格式有误：编号、随机数或正文不合规。", sender=sender)
    sent_at = _parse_time(envelope["timestamp"])
    now = clock.now()
    if sent_at is None or abs(now - sent_at) > window():
        _refuse(envelope, "exchange_stale", "报文时间戳超出允许的时间窗口，视为重放，不予受理。", sender=sender)
    first = db.session.scalar(select(ExchangeMessage).where(
        ExchangeMessage.sender_id == sender.id, ExchangeMessage.direction == Direction.IN.value,
        ExchangeMessage.message_id == message_id, ExchangeMessage.status == MessageStatus.ACCEPTED.value))
    if first is not None:
        _refuse(envelope, "exchange_duplicate", "该报文编号已受理，不重复处理。", sender=sender, status=409,
                details={"first_received_at": first.received_at.isoformat(), "result": first.result or {}})
    seen = db.session.scalar(select(ExchangeMessage.id).where(
        ExchangeMessage.sender_id == sender.id, ExchangeMessage.nonce == nonce,
        ExchangeMessage.status == MessageStatus.ACCEPTED.value))
    if seen is not None:
        _refuse(envelope, "exchange_replayed", "报文随机数已使用过，视为重放，不予受理。", sender=sender, status=409)
    apply = _HANDLERS.get((sender.channel, str(envelope["type"])))
    if apply is None:
        _refuse(envelope, "exchange_unknown_type", "不支持的报文类型。", sender=sender)
    row = ExchangeMessage(direction=Direction.IN.value, channel=sender.channel, sender_id=sender.id,
                          sender_code=sender.code, type=envelope["type"], message_id=message_id, nonce=nonce,
                          sent_at=sent_at, received_at=now, digest=_digest(envelope), body=envelope["body"],
                          status=MessageStatus.ACCEPTED.value)
    savepoint = db.session.begin_nested()
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:  # the same message id or nonce accepted meanwhile by a concurrent request
        savepoint.rollback()
        _refuse(envelope, "exchange_replayed", "报文已由另一请求受理，不重复处理。", sender=sender, status=409)
    try:
        result = apply(sender, envelope["body"], row)
        row.result = result
        db.session.flush()
    except DomainError as exc:
        savepoint.rollback()
        _refuse(envelope, exc.code, exc.message, sender=sender, trusted=True, status=exc.status,
                details=exc.details)
    savepoint.commit()
    return Received(row, result)


# ------------------------------------------------------------------ sending

def send(receiver: ExchangeSender, type_: str, body: dict[str, Any]) -> ExchangeMessage:
    """Log an outgoing message to a registered system (pending until it acknowledges it)."""
    row = ExchangeMessage(direction=Direction.OUT.value, channel=receiver.channel, sender_id=receiver.id,
                          sender_code=receiver.code, type=type_, message_id=f"by-{secrets.token_hex(10)}",
                          nonce=secrets.token_urlsafe(18), sent_at=clock.now(), received_at=clock.now(),
                          digest=_digest(body), body=body, status=MessageStatus.PENDING.value)
    db.session.add(row)
    db.session.flush()
    return row


PLATFORM_SENDER = "biaoyun"
OUTBOX_LIMIT = 100


def platform_public_key_pem() -> str:
    """The platform's Ed25519 public key that signs its outgoing messages (the audit log's key, used here only
    behind `SIGNING_LABEL`; its fingerprint is published at /audit/key)."""
    from audit.service import signing_key

    return signing_key().public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def envelope_of(row: ExchangeMessage) -> dict[str, Any]:
    """An outgoing message as its receiver gets it: the envelope, signed by the platform's key."""
    from audit.service import signing_key

    envelope = {"sender": PLATFORM_SENDER, "to": row.sender_code, "channel": row.channel, "type": row.type,
                "message_id": row.message_id, "nonce": row.nonce, "timestamp": _iso(row.sent_at), "body": row.body}
    return sign_envelope(signing_key(), envelope)


def fetch_outbox(sender: ExchangeSender, body: dict[str, Any], message: ExchangeMessage) -> dict[str, Any]:
    """A registered system asks, in a signed message, for the messages waiting for it (oldest first): each
    is a signed envelope; they stay pending until the system confirms them one by one."""
    rows = db.session.scalars(select(ExchangeMessage).where(
        ExchangeMessage.sender_id == sender.id, ExchangeMessage.direction == Direction.OUT.value,
        ExchangeMessage.status == MessageStatus.PENDING.value).order_by(ExchangeMessage.id).limit(OUTBOX_LIMIT))
    return {"messages": [envelope_of(row) for row in rows], "platform_key": platform_public_key_pem()}


def outgoing(receiver: ExchangeSender, message_id: str) -> ExchangeMessage | None:
    return db.session.scalar(select(ExchangeMessage).where(
        ExchangeMessage.sender_id == receiver.id, ExchangeMessage.direction == Direction.OUT.value,
        ExchangeMessage.message_id == message_id))


def acknowledge(receiver: ExchangeSender, message_id: str, reply: ExchangeMessage) -> ExchangeMessage:
    """The receiver confirmed an outgoing message; a second confirmation is refused."""
    from core.errors import Conflict

    row = outgoing(receiver, message_id)
    if row is None:
        raise NotFound("没有这条发出的报文。", code="exchange_unknown_reply")
    if row.status == MessageStatus.ACKNOWLEDGED.value:
        raise Conflict("该报文已确认过。", code="exchange_already_acknowledged")
    row.status, row.acknowledged_at = MessageStatus.ACKNOWLEDGED.value, clock.now()
    reply.reply_to = message_id
    return row


def messages_of(channel: str, day: date, sender: ExchangeSender | None = None) -> list[ExchangeMessage]:
    """The log of one local (Beijing) day on a channel, in time order."""
    start = _midnight(day)
    stmt = select(ExchangeMessage).where(ExchangeMessage.channel == channel, ExchangeMessage.received_at >= start,
                                         ExchangeMessage.received_at < start + timedelta(days=1))
    if sender is not None:
        stmt = stmt.where(ExchangeMessage.sender_id == sender.id)
    return list(db.session.scalars(stmt.order_by(ExchangeMessage.received_at, ExchangeMessage.id)))


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=clock.LOCAL_TZ).astimezone(UTC)


def require_admin(user) -> None:
    if user is None or not user.has_role("admin"):
        raise Forbidden("只有平台管理员可以登记发送方密钥。", code="exchange_admin_only")
