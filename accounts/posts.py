"""Posts (岗位配置): each organisation's own posts and who holds them.

A post is data of one organisation (经办, 审核, 负责人 by default, more if it adds them), given by the
organisation's administrator to its own people. Workflows ask `holders(org_id, post)` or
`has_post(user, org_id, post)` (a post named by its code, "clerk", "reviewer", "head", or by its
Chinese name), so who may submit, review or sign off a plan is the organisation's to configure.
Every write audits and flushes; the caller commits.
"""

from __future__ import annotations

from sqlalchemy import func, or_, select

from accounts.models import Org, OrgPost, PostHolder, User
from audit.service import record
from core import clock
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationError
from core.i18n import N_

# The posts every purchasing unit and department starts with (code, name).
STANDARD_POSTS = (("clerk", N_("经办")), ("reviewer", N_("审核")), ("head", N_("负责人")))


def _post_clause(org_id: int, post: str):
    return (OrgPost.org_id == org_id) & or_(OrgPost.code == post, OrgPost.name == post)


def find_post(org_id: int, post: str) -> OrgPost | None:
    """The organisation's post by its code or its name."""
    return db.session.scalar(select(OrgPost).where(_post_clause(org_id, post)))


def holders(org_id: int, post: str) -> list[User]:
    """The active people of `org_id` holding `post` (its code or name), by name; none if no such post."""
    return list(db.session.scalars(
        select(User).join(PostHolder, PostHolder.user_id == User.id).join(OrgPost, OrgPost.id == PostHolder.post_id)
        .where(_post_clause(org_id, post), User.active.is_(True), User.org_id == org_id).order_by(User.name, User.id)))


def has_post(user: User | None, org_id: int, post: str) -> bool:
    """Whether this user, active and of `org_id`, holds `post` there."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.active or user.org_id != org_id:
        return False
    return db.session.scalar(select(func.count()).select_from(PostHolder).join(OrgPost).where(
        _post_clause(org_id, post), PostHolder.user_id == user.id)) > 0


def posts_of(org_id: int) -> list[OrgPost]:
    return list(db.session.scalars(select(OrgPost).where(OrgPost.org_id == org_id).order_by(OrgPost.id)))


def posts_held(user: User) -> list[OrgPost]:
    """The posts this user holds in their organisation."""
    return list(db.session.scalars(select(OrgPost).join(PostHolder).where(PostHolder.user_id == user.id)
                                   .order_by(OrgPost.id)))


def ensure_standard_posts(org: Org) -> list[OrgPost]:
    """Give a new organisation the standard posts (no audit of its own: the opening of the org is)."""
    have = {p.code for p in posts_of(org.id)}
    now = clock.now()
    added = [OrgPost(org_id=org.id, code=code, name=str(name), created_at=now)
             for code, name in STANDARD_POSTS if code not in have]
    db.session.add_all(added)
    db.session.flush()
    return added


def can_manage(actor: User | None, org: Org) -> bool:
    """The organisation's administrator, or the administrator of the unit a department belongs to."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.active or not actor.org_admin:
        return False
    return actor.org_id == org.id or (org.parent_id is not None and actor.org_id == org.parent_id)


def require_manager(actor: User, org: Org) -> None:
    if not can_manage(actor, org):
        raise Forbidden("只有本单位的管理员可以管理人员和岗位。", code="not_org_admin")


def _org(org_id: int) -> Org:
    org = db.session.get(Org, org_id)
    if org is None:
        raise NotFound("单位不存在。", code="org_not_found")
    return org


def add_post(actor: User, org_id: int, name: str) -> OrgPost:
    """An organisation adds a post of its own (e.g. 财务复核)."""
    org = _org(org_id)
    require_manager(actor, org)
    name = (name or "").strip()
    if not 1 <= len(name) <= 40:
        raise ValidationError("请填写岗位名称（不超过 40 字）。", code="post_name_invalid", details={"field": "name"})
    if db.session.scalar(select(OrgPost.id).where(OrgPost.org_id == org.id, OrgPost.name == name)):
        raise Conflict(f"本单位已有岗位“{name}”。", code="post_duplicate", details={"field": "name"})
    count = db.session.scalar(select(func.count()).select_from(OrgPost).where(OrgPost.org_id == org.id))
    post = OrgPost(org_id=org.id, code=f"custom-{count + 1}", name=name, created_at=clock.now())
    db.session.add(post)
    db.session.flush()
    record("accounts.post_added", post, {"org": org.id, "code": post.code, "name": name})
    return post


def _post(org_id: int, post: str) -> OrgPost:
    found = find_post(org_id, post)
    if found is None:
        raise NotFound("本单位没有这个岗位。", code="post_not_found")
    return found


def assign_post(actor: User, org_id: int, post: str, user_id: int) -> PostHolder:
    """Give a post to one of the organisation's own active people; a person of another org is refused."""
    org = _org(org_id)
    require_manager(actor, org)
    row = _post(org.id, post)
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("人员不存在。", code="user_not_found")
    if user.org_id != org.id:
        raise ValidationError("只能把岗位分配给本单位的人员。", code="post_other_org", details={"field": "user"})
    if not user.active:
        raise ValidationError("该人员已停用，不能分配岗位。", code="user_inactive", details={"field": "user"})
    if any(h.user_id == user.id for h in row.holders):
        raise Conflict(f"{user.name} 已担任{row.name}岗位。", code="post_already_held")
    holder = PostHolder(post=row, user_id=user.id, assigned_at=clock.now(), assigned_by_id=actor.id)
    db.session.add(holder)
    db.session.flush()
    record("accounts.post_assigned", row, {"org": org.id, "post": row.code, "user": user.id})
    return holder


def unassign_post(actor: User, org_id: int, post: str, user_id: int) -> OrgPost:
    org = _org(org_id)
    require_manager(actor, org)
    row = _post(org.id, post)
    holder = next((h for h in row.holders if h.user_id == user_id), None)
    if holder is None:
        raise NotFound("该人员未担任此岗位。", code="post_not_held")
    row.holders.remove(holder)
    db.session.flush()
    record("accounts.post_unassigned", row, {"org": org.id, "post": row.code, "user": user_id})
    return row
