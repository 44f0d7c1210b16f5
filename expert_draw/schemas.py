"""Input schemas of the expert draw API (outputs are built by expert_draw.present)."""

from marshmallow import Schema, fields, validate


class SpecialtyIn(Schema):
    code = fields.String(required=True)
    primary = fields.Integer(required=True, validate=validate.Range(min=1))
    backup = fields.Integer(load_default=0, validate=validate.Range(min=0))


class RequestIn(Schema):
    project_id = fields.Integer()
    lot_id = fields.Integer()
    title = fields.String(load_default="")
    purchaser_org_id = fields.Integer()
    method = fields.String(load_default="public_tender")
    budget_fen = fields.Integer(load_default=0, validate=validate.Range(min=0))
    supplier_org_ids = fields.List(fields.Integer(), load_default=list)
    evaluation_start_at = fields.String(required=True)
    evaluation_end_at = fields.String()
    place = fields.String(load_default="")
    is_remote = fields.Boolean(load_default=False)
    purchaser_reps = fields.Integer(load_default=0, validate=validate.Range(min=0))
    is_complex = fields.Boolean(load_default=False, metadata={"description": "技术复杂或社会影响较大 (7+ members)"})
    complex_reason = fields.String(load_default="", validate=validate.Length(max=300))
    is_offsite = fields.Boolean(load_default=False, metadata={"description": "异地评审: no draw window"})
    specialties = fields.List(fields.Nested(SpecialtyIn), required=True, validate=validate.Length(min=1))


class ExclusionIn(Schema):
    expert_id = fields.Integer(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=300))


class RunIn(Schema):
    supervisor_input = fields.String(required=True)
    beacon_value = fields.String()


class DeclineIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=300))
