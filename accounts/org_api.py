"""JSON API of account opening and posts: finance opens purchasing units and departments; an organisation's
administrator manages its people and gives its posts. Errors answer {"error": {"code", "message"}}."""

from __future__ import annotations

from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from accounts import orgs, posts
from core.bounded import Id
from core.db import db
from core.errors import Forbidden

blp = Blueprint("accounts_orgs_api", __name__, url_prefix="/api/v1", description="Account opening and posts")
Text = fields.Str


class OrgPersonIn(Schema):
    username = Text(required=True, validate=validate.Length(max=64))
    name = Text(required=True, validate=validate.Length(max=60))
    phone = Text(load_default="", validate=validate.Length(max=20))


class OrgUnitIn(Schema):
    name = Text(required=True, validate=validate.Length(max=120))
    uscc = Text(required=True, validate=validate.Length(max=18))
    region_code = Text(required=True, validate=validate.Length(max=12))
    admin = fields.Nested(OrgPersonIn, required=True)


class OrgNameIn(Schema):
    name = Text(required=True, validate=validate.Length(max=120))


class OrgHolderIn(Schema):
    user_id = Id(required=True)


class OrgOut(Schema):
    id = Id()
    name = Text()
    kind = fields.Function(lambda o: o.kind.value)
    uscc = Text(allow_none=True)
    region_code = Text()
    parent_id = Id(allow_none=True)


class OrgPersonOut(Schema):
    id = Id()
    username = Text()
    name = Text()
    phone = Text(allow_none=True)
    org_id = Id()
    active = fields.Bool()
    org_admin = fields.Bool()
    posts = fields.Method("get_posts")

    def get_posts(self, user) -> list[str]:
        return [p.code for p in posts.posts_held(user)]


class OrgNewAccountOut(Schema):
    user = fields.Nested(OrgPersonOut)
    password = Text(metadata={"description": "The first password, shown once."})


class OrgPostOut(Schema):
    code = Text()
    name = Text()
    holders = fields.Method("get_holders")

    def get_holders(self, post) -> list[int]:
        return [h.user_id for h in post.holders]


def _managed_org(org_id: int):
    org = orgs.get_org(org_id)
    posts.require_manager(current_user, org)
    return org


@blp.get("/orgs/purchasers")
@blp.response(200, OrgOut(many=True))
def list_units():
    """The purchasing units of the regions I oversee (finance)."""
    return orgs.purchasers_of(current_user)


@blp.post("/orgs/purchasers")
@blp.arguments(OrgUnitIn)
@blp.response(201, OrgNewAccountOut)
def open_unit(data: dict):
    """Open a purchasing unit with its administrator's account (finance); the first password is in this answer only."""
    issued = orgs.open_purchaser(current_user, data["name"], data["uscc"], data["region_code"],
                                 orgs.Person(**data["admin"]))
    db.session.commit()
    return issued


@blp.post("/orgs/<int:org_id>/departments")
@blp.arguments(OrgNameIn)
@blp.response(201, OrgOut)
def open_department(data: dict, org_id: int):
    dept = orgs.open_department(current_user, org_id, data["name"])
    db.session.commit()
    return dept


@blp.get("/orgs/<int:org_id>/people")
@blp.response(200, OrgPersonOut(many=True))
def people(org_id: int):
    return orgs.people_of(_managed_org(org_id))


@blp.post("/orgs/<int:org_id>/people")
@blp.arguments(OrgPersonIn)
@blp.response(201, OrgNewAccountOut)
def add_person(data: dict, org_id: int):
    issued = orgs.create_member(current_user, org_id, orgs.Person(**data))
    db.session.commit()
    return issued


@blp.post("/people/<int:user_id>/deactivate")
@blp.response(200, OrgPersonOut)
def deactivate(user_id: int):
    user = orgs.deactivate_member(current_user, user_id)
    db.session.commit()
    return user


@blp.post("/people/<int:user_id>/activate")
@blp.response(200, OrgPersonOut)
def activate(user_id: int):
    user = orgs.activate_member(current_user, user_id)
    db.session.commit()
    return user


@blp.get("/orgs/<int:org_id>/posts")
@blp.response(200, OrgPostOut(many=True))
def list_posts(org_id: int):
    """The organisation's posts and who holds them (its own people may read them too)."""
    org = orgs.get_org(org_id)
    if current_user.org_id != org.id and not posts.can_manage(current_user, org):
        raise Forbidden("只能查看本单位的岗位。", code="not_org_member")
    return posts.posts_of(org.id)


@blp.post("/orgs/<int:org_id>/posts")
@blp.arguments(OrgNameIn)
@blp.response(201, OrgPostOut)
def add_post(data: dict, org_id: int):
    post = posts.add_post(current_user, org_id, data["name"])
    db.session.commit()
    return post


@blp.post("/orgs/<int:org_id>/posts/<post>/holders")
@blp.arguments(OrgHolderIn)
@blp.response(201, OrgPostOut)
def assign(data: dict, org_id: int, post: str):
    holder = posts.assign_post(current_user, org_id, post, data["user_id"])
    db.session.commit()
    return holder.post


@blp.delete("/orgs/<int:org_id>/posts/<post>/holders/<int:user_id>")
@blp.response(200, OrgPostOut)
def unassign(org_id: int, post: str, user_id: int):
    row = posts.unassign_post(current_user, org_id, post, user_id)
    db.session.commit()
    return row
