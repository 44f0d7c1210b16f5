"""API schemas of the deposits: what comes in (the lot's setting, a guarantee letter, a forfeit…)."""

from marshmallow import Schema, fields, validate

from core.bounded import Int


class SettingIn(Schema):
    required = fields.Bool(required=True)
    amount_fen = Int(load_default=0)
    forms = fields.List(fields.Str(validate=validate.OneOf(["transfer", "guarantee"])), load_default=list)
    bank = fields.Str(load_default="", metadata={"description": "the collecting bank's sender code"})
    bid_valid_days = Int(load_default=90)
    performance_percent = Int(load_default=0)


class GuaranteeIn(Schema):
    letter = fields.Dict(required=True, metadata={"description": "the letter, format biaoyun-guarantee/1"})
    signature = fields.Str(required=True, validate=validate.Length(max=200))
    purpose = fields.Str(load_default="bid", validate=validate.OneOf(["bid", "performance"]))


class RefundReasonIn(Schema):
    reason = fields.Str(load_default="", validate=validate.Length(max=300))


class ForfeitIn(Schema):
    reason_code = fields.Str(required=True, validate=validate.OneOf(["withdrawn_after_deadline", "refused_to_sign"]))
    note = fields.Str(load_default="", validate=validate.Length(max=200))


class ReleaseIn(Schema):
    acceptance_ref = fields.Str(required=True, validate=validate.Length(min=1, max=100))


class SenderIn(Schema):
    code = fields.Str(required=True, validate=validate.Length(min=1, max=60))
    name = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    channel = fields.Str(required=True, validate=validate.OneOf(["deposits.bank", "deposits.guarantee"]))
    kind = fields.Str(load_default="bank", validate=validate.OneOf(["bank", "insurer"]))
    algorithm = fields.Str(required=True, validate=validate.OneOf(["ed25519", "p256"]))
    public_key_pem = fields.Str(required=True, validate=validate.Length(max=4000))
