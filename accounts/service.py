"""Accounts: passwords, TOTP, rate limiting, API tokens and users' public keys.

Every function that changes state flushes and writes its audit event; the caller commits.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app
from sqlalchemy import select, update

from accounts.models import ApiToken, KeyPurpose, LoginFailure, LoginSession, Org, PublicKey, Role, User, UserRole
from audit.service import record
from core import clock, secretbox
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, TooManyRequests, Unauthorized, ValidationError

password_hasher = PasswordHasher()
TOTP_PURPOSE = "totp-secret"
TOTP_ISSUER = "标云 Biaoyun"
TOKEN_PREFIX = "byt_"


# ---------------------------------------------------------------- users and passwords

def hash_password(password: str) -> str:
    if len(password) < 8:
        raise ValidationError("密码至少 8 位。", code="password_too_short")
    return password_hasher.hash(password)


def create_user(username: str, name: str, password: str | None, roles: list[Role] | tuple[Role, ...],
                region_code: str, org: Org | None = None, phone: str | None = None,
                password_hash: str | None = None) -> User:
    """Create an account; `password_hash` lets bulk loaders (demo, tests) hash a shared password once."""
    if db.session.scalar(select(User.id).where(User.username == username)):
        raise Conflict(f"用户名 {username} 已被使用。", code="username_taken")
    if password_hash is None:
        password_hash = hash_password(password or "")
    user = User(username=username, name=name, password_hash=password_hash, org=org,
                region_code=region_code, phone=phone, created_at=clock.now())
    user.role_rows = [UserRole(role=Role(r)) for r in roles]
    db.session.add(user)
    db.session.flush()
    record("accounts.user_created", user, {"username": username, "roles": sorted(str(r) for r in roles)})
    return user


def change_password(user: User, current: str, new: str, repeated: str) -> None:
    """The user replaces their password (a first password someone else saw, or an old one): every other
    session of theirs ends with the old stamp."""
    try:
        ok = password_hasher.verify(user.password_hash, current or "")
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        raise ValidationError("当前密码不正确。", code="password_wrong", details={"field": "current"})
    if new != repeated:
        raise ValidationError("两次输入的新密码不一致。", code="password_mismatch", details={"field": "new2"})
    if new == current:
        raise ValidationError("新密码不能与当前密码相同。", code="password_unchanged", details={"field": "new"})
    user.password_hash = hash_password(new)
    db.session.flush()
    record("accounts.password_changed", user)


def session_stamp(user: User) -> str:
    """Changes whenever the password changes, which voids every older session."""
    return user.password_hash[-16:]


def start_session(user: User) -> str:
    """A server-side session for a login; returns the secret the session cookie carries."""
    secret = secrets.token_urlsafe(32)
    db.session.add(LoginSession(user_id=user.id, secret_hash=hashlib.sha256(secret.encode()).digest(),
                                created_at=clock.now()))
    db.session.flush()
    return secret


def session_is_live(user_id: int, secret: str | None) -> bool:
    """The cookie's session secret names a session of this user that has not ended."""
    if not secret:
        return False
    return db.session.scalar(select(LoginSession.id).where(
        LoginSession.secret_hash == hashlib.sha256(secret.encode()).digest(), LoginSession.user_id == user_id,
        LoginSession.ended_at.is_(None))) is not None


def end_session(secret: str | None) -> None:
    """Logout: the session ends on the server, so a copy of the cookie no longer logs anyone in."""
    if secret:
        db.session.execute(update(LoginSession).where(
            LoginSession.secret_hash == hashlib.sha256(secret.encode()).digest(),
            LoginSession.ended_at.is_(None)).values(ended_at=clock.now()))


# ---------------------------------------------------------------- rate limiting
#
# Three counters, so that a stranger who types wrong passwords for someone else's account cannot stop that
# person's work (issue 11):
#   - password and login-TOTP failures per account *and* address (LOGIN_MAX_FAILURES): the guesser's own
#     address is slowed, the owner logging in from elsewhere is not;
#   - the same failures per address over all accounts (LOGIN_ADDRESS_MAX_FAILURES), against spraying;
#   - a slower global brake per account from any address (LOGIN_ACCOUNT_MAX_FAILURES), against a
#     distributed guess; it refuses new logins only: a session already logged in never passes through it;
#   - step-up failures (a logged-in user confirming scores, a signature, a share) on their own
#     (STEP_UP_MAX_FAILURES): only someone holding the session can make them.
# A refusal is audited and says when the oldest counted failure leaves the window: that is when it lifts.

LOGIN_KINDS = ("password", "totp")
STEP_UP_KIND = "step_up"


class RateLimited(TooManyRequests):
    """Too many recent failures. The refusal's audit event is kept (keep_changes)."""

    keep_changes = True


def _retry_after(*conditions, limit: int) -> int | None:
    """Seconds until fewer than `limit` failures matching `conditions` remain in the window, or None when
    there are fewer already."""
    window = current_app.config["LOGIN_FAILURE_WINDOW_S"]
    now = clock.now()
    ats = list(db.session.scalars(select(LoginFailure.at).where(*conditions, LoginFailure.at > now - timedelta(
        seconds=window)).order_by(LoginFailure.at.desc()).limit(limit)))
    if len(ats) < limit:
        return None
    lifts = ats[-1] + timedelta(seconds=window)
    return max(1, int((lifts - now).total_seconds() + 0.999))


def _refuse(username: str, address: str, factor: str, retry_after: int) -> None:
    record("accounts.login_refused", None,
           {"username": username, "address": address, "factor": factor, "retry_after": retry_after})
    raise RateLimited(f"尝试次数过多，请 {_wait_words(retry_after)}后再试。",
                      details={"retry_after": retry_after})


def _wait_words(seconds: int) -> str:
    return f"{seconds} 秒" if seconds < 60 else f"{(seconds + 59) // 60} 分钟"


def check_rate_limit(username: str, address: str) -> None:
    """Before a password or login code is checked: refuse while the account from this address, the address,
    or (the slower brake) the account from anywhere has too many recent failures."""
    config = current_app.config
    kinds = LoginFailure.kind.in_(LOGIN_KINDS)
    waits = [_retry_after(kinds, LoginFailure.username == username, LoginFailure.address == address,
                          limit=config["LOGIN_MAX_FAILURES"]),
             _retry_after(kinds, LoginFailure.address == address, limit=config["LOGIN_ADDRESS_MAX_FAILURES"]),
             _retry_after(kinds, LoginFailure.username == username, limit=config["LOGIN_ACCOUNT_MAX_FAILURES"])]
    if any(w is not None for w in waits):
        _refuse(username, address, "password", max(w for w in waits if w is not None))


def check_step_up_limit(user: User, address: str) -> None:
    """Before a logged-in user's step-up code is checked: only their own step-up failures count."""
    wait = _retry_after(LoginFailure.kind == STEP_UP_KIND, LoginFailure.username == user.username,
                        limit=current_app.config["STEP_UP_MAX_FAILURES"])
    if wait is not None:
        _refuse(user.username, address, STEP_UP_KIND, wait)


def record_failure(username: str, address: str, kind: str) -> None:
    db.session.add(LoginFailure(username=username, address=address[:64], kind=kind, at=clock.now()))
    record("accounts.login_failed", None, {"username": username, "address": address, "factor": kind})


class LoginFailed(Unauthorized):
    """Wrong password or code. Its failure record and audit event are kept (keep_changes)."""

    code = "login_failed"
    keep_changes = True


def authenticate_password(username: str, password: str, address: str) -> User:
    """Check the password; on failure record it (the caller commits before answering)."""
    check_rate_limit(username, address)
    user = db.session.scalar(select(User).where(User.username == username))
    try:
        ok = user is not None and user.active and password_hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        record_failure(username, address, "password")
        raise LoginFailed("用户名或密码错误。")
    if password_hasher.check_needs_rehash(user.password_hash):
        user.password_hash = password_hasher.hash(password)
    return user


# ---------------------------------------------------------------- TOTP

def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=TOTP_ISSUER)


def _matching_step(secret: str, code: str) -> int | None:
    """The time step (±1 for clock drift) whose code equals `code`, by the server clock."""
    code = (code or "").strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now_step = int(clock.now().timestamp()) // totp.interval
    for step in (now_step, now_step - 1, now_step + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def enrol_totp(user: User, secret: str, code: str) -> None:
    """Bind the authenticator once the user proves it shows the right codes."""
    step = _matching_step(secret, code)
    if step is None:
        raise ValidationError("动态口令不正确，请核对手机上的验证器后重试。", code="totp_invalid")
    user.totp_secret = secretbox.seal(secret.encode(), TOTP_PURPOSE)
    user.totp_last_step = step
    db.session.flush()
    record("accounts.totp_enrolled", user)


def verify_totp(user: User, code: str, address: str = "-", purpose: str = "login") -> None:
    """Accept a code once: the step moves forward in one atomic UPDATE, so a replay loses."""
    if user.totp_secret is None:
        raise Forbidden("此账户尚未绑定动态口令。", code="totp_not_enrolled")
    step_up = purpose != "login"
    if step_up:
        check_step_up_limit(user, address)
    else:
        check_rate_limit(user.username, address)
    secret = secretbox.unseal(user.totp_secret, TOTP_PURPOSE).decode()
    step = _matching_step(secret, code)
    accepted = step is not None and db.session.execute(
        update(User).where(User.id == user.id, User.totp_last_step < step).values(totp_last_step=step),
        execution_options={"synchronize_session": False},
    ).rowcount == 1
    if not accepted:
        record_failure(user.username, address, STEP_UP_KIND if step_up else "totp")
        raise LoginFailed("动态口令不正确或已使用，请等待下一个口令。", code="totp_invalid")
    db.session.refresh(user, ["totp_last_step"])
    if step_up:
        record("accounts.step_up", user, {"purpose": purpose})


# ---------------------------------------------------------------- API tokens

@dataclass
class IssuedToken:
    token: ApiToken
    secret: str  # shown to the user once, never stored


def _token_digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def create_api_token(user: User, name: str) -> IssuedToken:
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise ValidationError("请填写令牌名称（不超过 60 字）。", code="token_name_invalid")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, prefix=secret[:12], token_hash=_token_digest(secret),
                     created_at=clock.now())
    db.session.add(token)
    db.session.flush()
    record("accounts.token_created", token, {"name": name, "prefix": token.prefix})
    return IssuedToken(token, secret)


def revoke_api_token(user: User, token_id: int) -> ApiToken:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound("令牌不存在。")
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        record("accounts.token_revoked", token, {"prefix": token.prefix})
    return token


def authenticate_token(secret: str) -> User | None:
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_digest(secret)))
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    return token.user


def list_api_tokens(user: User) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.created_at.desc())))


# ---------------------------------------------------------------- public keys

def load_p256_public_key(pem: str) -> ec.EllipticCurvePublicKey:
    try:
        key = serialization.load_pem_public_key(pem.strip().encode())
    except (ValueError, TypeError) as exc:
        raise ValidationError("无法识别的公钥：请粘贴 PEM 格式（-----BEGIN PUBLIC KEY-----）。",
                              code="key_unreadable") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise ValidationError("只接受 P-256（secp256r1）椭圆曲线公钥。", code="key_wrong_type")
    return key


def key_fingerprint(key: ec.EllipticCurvePublicKey) -> str:
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def register_public_key(user: User, pem: str, purpose: KeyPurpose | str, label: str) -> PublicKey:
    key = load_p256_public_key(pem)
    try:
        purpose = KeyPurpose(purpose)
    except ValueError as exc:
        raise ValidationError("密钥用途必须是 sign 或 encrypt。", code="key_purpose_invalid") from exc
    fingerprint = key_fingerprint(key)
    if db.session.scalar(select(PublicKey.id).where(PublicKey.fingerprint == fingerprint)):
        raise Conflict("此公钥已登记过。", code="key_duplicate")
    normalised = key.public_bytes(serialization.Encoding.PEM,
                                  serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    row = PublicKey(user_id=user.id, org_id=user.org_id, purpose=purpose, label=(label or "").strip()[:60]
                    or purpose.value, pem=normalised, fingerprint=fingerprint, created_at=clock.now())
    db.session.add(row)
    db.session.flush()
    record("accounts.key_registered", row, {"fingerprint": fingerprint, "purpose": purpose.value})
    return row


def revoke_public_key(user: User, key_id: int) -> PublicKey:
    row = db.session.get(PublicKey, key_id)
    if row is None or row.user_id != user.id:
        raise NotFound("公钥不存在。")
    if row.revoked_at is not None:
        raise Conflict("此公钥已吊销。", code="key_already_revoked")
    row.revoked_at = clock.now()
    record("accounts.key_revoked", row, {"fingerprint": row.fingerprint})
    return row


def list_public_keys(user: User) -> list[PublicKey]:
    return list(db.session.scalars(select(PublicKey).where(PublicKey.user_id == user.id)
                                   .order_by(PublicKey.created_at.desc())))


def signing_keys_of(user: User) -> list[PublicKey]:
    """The user's own active signing keys, registered for his organisation."""
    return list(db.session.scalars(select(PublicKey).where(
        PublicKey.user_id == user.id, PublicKey.org_id == user.org_id, PublicKey.purpose == KeyPurpose.SIGN,
        PublicKey.revoked_at.is_(None)).order_by(PublicKey.id)))


def verify_document_signature(user: User, document: dict, signature: str) -> PublicKey:
    """The key of the user's under which `signature` (base64url raw r||s) signs `document` (FORMAT.md §14):
    what makes an answer, a confirmation or a contract the signer's own act. Refused with a clear code."""
    from crypto import document_digest, verify_document
    from crypto.encoding import b64u_decode

    keys = signing_keys_of(user)
    if not keys:
        raise ValidationError("您还没有登记签名密钥：请先在“密钥”页面生成并登记。", code="no_sign_key")
    try:
        raw = b64u_decode((signature or "").strip(), 64)
    except ValueError:
        raise ValidationError("签名格式不正确（应为 64 字节的 base64url）。", code="bad_signature") from None
    digest = document_digest(document)
    key = next((k for k in keys if verify_document(load_p256_public_key(k.pem), digest, raw)), None)
    if key is None:
        raise ValidationError("签名无法用您登记的签名公钥验证：请使用本人登记过的签名密钥文件，并确认内容未被改动。",
                              code="signature_invalid")
    return key


def active_keys_of_org(org_id: int, purpose: KeyPurpose) -> list[PublicKey]:
    """Keys that may sign for an organisation now (for the tender module's bid checks)."""
    return list(db.session.scalars(select(PublicKey).where(
        PublicKey.org_id == org_id, PublicKey.purpose == purpose, PublicKey.revoked_at.is_(None))))


# ---------------------------------------------------------------- organisations

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_char(first17: str) -> str:
    """The 18th character of a unified social credit code (GB 32100-2015)."""
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


def is_valid_uscc(code: str) -> bool:
    code = (code or "").strip().upper()
    return (len(code) == 18 and all(c in USCC_CHARS for c in code)
            and uscc_check_char(code[:17]) == code[17])


def create_org(name: str, kind: str, region_code: str, uscc: str | None = None, is_sme: bool = False) -> Org:
    if uscc is not None and not is_valid_uscc(uscc):
        raise ValidationError(f"统一社会信用代码 {uscc} 无效（长度或校验位不符）。", code="uscc_invalid")
    if uscc is not None and db.session.scalar(select(Org.id).where(Org.uscc == uscc.strip().upper())):
        raise Conflict(f"统一社会信用代码 {uscc} 已有单位登记。", code="org_duplicate", details={"field": "uscc"})
    org = Org(name=name, kind=kind, region_code=region_code, uscc=uscc.upper() if uscc else None, is_sme=is_sme)
    db.session.add(org)
    db.session.flush()
    record("accounts.org_created", org, {"name": name, "kind": str(kind), "uscc": org.uscc})
    return org


# ---------------------------------------------------------------- regions

def finance_orgs(region_code: str) -> list[int]:
    """The finance bureau(s) of a region: who is warned when a deadline (an award's, a contract's,
    a complaint's) is missed."""
    from accounts.models import OrgKind

    return [o.id for o in db.session.scalars(select(Org).where(Org.kind == OrgKind.FINANCE,
                                                               Org.region_code == region_code).order_by(Org.id))]


def regions_under(code: str) -> set[str]:
    """A region and every region below it (a city's supervisors oversee its counties too)."""
    from accounts.models import Region

    children: dict[str | None, list[str]] = {}
    for child, parent in db.session.execute(select(Region.code, Region.parent_code)):
        children.setdefault(parent, []).append(child)
    found, stack = set(), [code]
    while stack:
        node = stack.pop()
        if node not in found:
            found.add(node)
            stack.extend(children.get(node, ()))
    return found


def oversees(user: User, region_code: str) -> bool:
    """Whether a supervisor (or finance reviewer) of `user.region_code` oversees this region."""
    return region_code in regions_under(user.region_code)
