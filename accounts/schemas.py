"""API schemas: separate shapes for what comes in and what goes out."""

from marshmallow import Schema, fields, validate

from core.bounded import Id


class UserOut(Schema):
    id = Id()
    username = fields.Str()
    name = fields.Str()
    org_id = Id(allow_none=True)
    region_code = fields.Str()
    roles = fields.Method("get_roles")
    totp_enabled = fields.Bool()

    def get_roles(self, user) -> list[str]:
        return sorted(r.value for r in user.roles)


class PublicKeyIn(Schema):
    pem = fields.Str(required=True)
    purpose = fields.Str(required=True, validate=validate.OneOf(["sign", "encrypt"]))
    label = fields.Str(load_default="", validate=validate.Length(max=60))


class PublicKeyOut(Schema):
    id = Id()
    purpose = fields.Function(lambda k: k.purpose.value)
    label = fields.Str()
    pem = fields.Str()
    fingerprint = fields.Str()
    created_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)


class TokenIn(Schema):
    name = fields.Str(required=True, validate=validate.Length(min=1, max=60))


class TokenOut(Schema):
    id = Id()
    name = fields.Str()
    prefix = fields.Str()
    created_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)


class IssuedTokenOut(TokenOut):
    secret = fields.Str(metadata={"description": "Shown once; store it now."})
