"""API schemas of contracts: what comes in."""

from marshmallow import Schema, fields, validate

from core.bounded import Id


class ContractDraftIn(Schema):
    """The open terms of the contract (see contracts.service.TERMS); everything else comes from the records."""

    terms = fields.Dict(keys=fields.Str(), values=fields.Str(), required=True)


class ContractSignIn(Schema):
    sha256 = fields.Str(required=True, validate=validate.Length(equal=64))
    signature = fields.Str(required=True, validate=validate.Length(min=80, max=100))


class AcceptanceIn(Schema):
    mode = fields.Str(required=True, validate=validate.OneOf(["purchaser", "experts", "third_party"]))
    member_ids = fields.List(Id(strict=True), load_default=list)
    scheduled_on = fields.Date(required=True)
    third_party = fields.Str(load_default="")


class AcceptanceItemIn(Schema):
    ref = fields.Str(load_default="")
    accepted_quantity = fields.Float(load_default=None, allow_none=True)
    passed = fields.Bool(required=True)
    note = fields.Str(load_default="")


class AcceptanceResultIn(Schema):
    items = fields.List(fields.Nested(AcceptanceItemIn), required=True)
    delivery_due_on = fields.Date(required=True)
    delivered_on = fields.Date(required=True)
    conclusion = fields.Str(required=True)


class RemedyIn(Schema):
    remedy = fields.Str(required=True, validate=validate.OneOf(["rectify", "terminate"]))
    due_on = fields.Date(load_default=None, allow_none=True)
    note = fields.Str(required=True)
