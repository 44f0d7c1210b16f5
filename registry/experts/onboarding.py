"""An expert's way in: a new expert signs up with an account of their own; an expert imported from a
list (who has none) gets a single-use activation link by SMS and e-mail, sets a username and password
there, and then binds TOTP like every expert.

Without this an imported expert can never answer an invitation (replying needs an expert login), so
each unanswered one timed out and cost credit points. The link's token is shown once, in the message;
only its SHA-256 is stored, so the database alone lets nobody in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update

from accounts.activation import check_link, check_passwords, check_username, is_valid_phone, link_digest, new_link_token
from accounts.models import Region, Role, User
from accounts.service import create_user
from audit.service import record
from core import clock
from core.db import db
from core.errors import Conflict, Forbidden, ValidationError
from region_rules.keys import RuleKey, RuleType, declare
from region_rules.store import value as rule
from registry.experts.models import Activation, Expert, ExpertStatus
from registry.experts.service import REVIEWER_ROLES, get_expert

# The activation link's validity is the region's to set (declared here, where it is used).
declare("registry", "专家库", [RuleKey("expert_activation_valid_days", RuleType.INT, 14,
                                       "专家账户激活链接的有效期（日）", "本平台安全要求", 1, 90)])

# Who may send an activation: the library's keepers, and the agency whose draw reached the expert.
SENDER_ROLES = (*REVIEWER_ROLES, Role.AGENCY_STAFF)
RENEWED_BY = "财政部门或代理机构"


@dataclass
class IssuedActivation:
    activation: Activation
    token: str  # shown once, in the message; never stored


def issue_activation(sender: User | None, expert: Expert) -> IssuedActivation:
    """A fresh activation link for an expert without an account; earlier unused links stop working.
    `sender` None is the platform itself (an invitation to a drawn expert who has no account)."""
    if sender is not None and not sender.has_role(*SENDER_ROLES):
        raise Forbidden("只有财政部门或代理机构可以发送激活邀请。", code="not_allowed")
    if expert.user_id is not None:
        raise Conflict("该专家已有账户，无需激活。", code="already_activated")
    if expert.status not in (ExpertStatus.ACTIVE, ExpertStatus.SUSPENDED, ExpertStatus.PENDING):
        raise Conflict("该专家不在库中，不能发送激活邀请。", code="expert_not_listed")
    now = clock.now()
    db.session.execute(update(Activation).where(Activation.expert_id == expert.id, Activation.used_at.is_(None),
                                                Activation.expires_at > now).values(expires_at=now))
    token, digest = new_link_token()
    days = rule(expert.region_code, "expert_activation_valid_days")
    activation = Activation(expert_id=expert.id, token_sha256=digest, created_at=now,
                            expires_at=now + timedelta(days=days), sent_by_id=sender.id if sender else None)
    db.session.add(activation)
    db.session.flush()
    record("registry.expert_activation_sent", expert, {"activation": activation.id, "valid_days": days,
                                                       "by": sender.id if sender else "platform"})
    return IssuedActivation(activation, token)


def pending_activation(token: str) -> Activation:
    """The unused, unexpired activation a link names, or a clear refusal."""
    found = db.session.scalar(select(Activation).where(Activation.token_sha256 == link_digest(token)))
    return check_link(found, RENEWED_BY)


def activate(token: str, username: str, password: str, repeated: str, id_last6: str) -> User:
    """The expert opens the link, proves it is them (the last six characters of the ID number on
    file) and makes the account; the expert record is linked to it. TOTP is bound at first login."""
    activation = db.session.scalar(
        select(Activation).where(Activation.id == pending_activation(token).id).with_for_update()
    )
    if activation.used_at is not None:  # a second tab won the race
        raise Conflict("该激活链接已使用过。请直接登录。", code="activation_used")
    expert = get_expert(activation.expert_id)
    if id_last6.strip().upper() != expert.id_number[-6:]:
        raise ValidationError("身份证号码后六位与专家库登记的不一致。", code="identity_mismatch")
    if expert.user_id is not None:
        raise Conflict("该专家已有账户，请直接登录。", code="already_activated")
    check_passwords(password, repeated)
    user = create_user(check_username(username), expert.name, password, [Role.EXPERT], expert.region_code,
                       phone=expert.phone)
    expert.user_id = user.id
    activation.used_at = clock.now()
    db.session.flush()
    record("registry.expert_activated", expert, {"activation": activation.id, "user_id": user.id})
    return user


def sign_up(username: str, name: str, phone: str, region_code: str, password: str, repeated: str) -> User:
    """A new expert makes an account, then fills in the registration (入库申请) with its evidence."""
    if not name.strip():
        raise ValidationError("请填写姓名。", code="name_required")
    if not is_valid_phone(phone.strip()):
        raise ValidationError("联系电话格式不正确。", code="phone_invalid")
    check_passwords(password, repeated)
    if db.session.get(Region, region_code) is None:
        raise ValidationError("所在区划不存在。", code="region_invalid")
    user = create_user(check_username(username), name.strip(), password, [Role.EXPERT], region_code,
                       phone=phone.strip())
    record("registry.expert_signed_up", user, {"username": user.username})
    return user


def activation_message(expert: Expert, link: str, expires_text: str) -> str:
    return (f"【标云】{expert.name}专家您好：您已在政府采购评审专家库中，请于 {expires_text} 前打开链接设置"
            f"登录账户，以便接收和答复评审邀请：{link}")
