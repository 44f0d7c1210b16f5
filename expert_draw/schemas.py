"""Input schemas of the expert draw API (outputs are built by expert_draw.present)."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.bounded import Id, Int


class SpecialtyIn(Schema):
    code = fields.String(required=True)
    primary = Int(required=True, validate=validate.Range(min=1))
    backup = Int(load_default=0, validate=validate.Range(min=0))


class RequestIn(Schema):
    project_id = Id()
    lot_id = Id()
    title = fields.String(load_default="")
    purchaser_org_id = Id()
    method = fields.String(load_default="public_tender")
    budget_fen = Int(load_default=0, validate=validate.Range(min=0))
    supplier_org_ids = fields.List(Id(), load_default=list)
    evaluation_start_at = fields.String(required=True)
    evaluation_end_at = fields.String()
    place = fields.String(load_default="")
    is_remote = fields.Boolean(load_default=False)
    purchaser_reps = Int(load_default=0, validate=validate.Range(min=0))
    is_complex = fields.Boolean(load_default=False, metadata={"description": "技术复杂或社会影响较大 (7+ members)"})
    complex_reason = fields.String(load_default="", validate=validate.Length(max=300))
    is_offsite = fields.Boolean(load_default=False, metadata={"description": "异地评审: no draw window"})
    specialties = fields.List(fields.Nested(SpecialtyIn), required=True, validate=validate.Length(min=1))

    @validates_schema
    def _subject_given(self, data: dict, **_: object) -> None:
        """A draw is for a project (project_id) or for a subject given in full, whose purchaser is needed."""
        if not data.get("project_id") and data.get("purchaser_org_id") is None:
            raise ValidationError("project_id or purchaser_org_id is required.", "purchaser_org_id")


class ExclusionIn(Schema):
    expert_id = Id(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=300))


class RunIn(Schema):
    supervisor_input = fields.String(required=True)
    beacon_value = fields.String()


class DeclineIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=300))
