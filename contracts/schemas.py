"""API schemas of contracts: what comes in."""

from marshmallow import Schema, fields, validate


class ContractDraftIn(Schema):
    """The open terms of the contract (see contracts.service.TERMS); everything else comes from the records."""

    terms = fields.Dict(keys=fields.Str(), values=fields.Str(), required=True)


class ContractSignIn(Schema):
    sha256 = fields.Str(required=True, validate=validate.Length(equal=64))
    signature = fields.Str(required=True, validate=validate.Length(min=80, max=100))
