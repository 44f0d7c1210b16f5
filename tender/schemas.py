"""API schemas of the tender: separate shapes for what comes in and what goes out."""

from marshmallow import Schema, fields, validate

from core import money
from core.bounded import Id, Int


class LotIn(Schema):
    name = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    budget_fen = Int(required=True, strict=True)
    max_price_fen = Int(required=True, strict=True)


class CriterionIn(Schema):
    name = fields.Str(required=True)
    weight = Int(required=True, strict=True)
    price = fields.Bool(load_default=False)


class ProjectIn(Schema):
    title = fields.Str(required=True)
    purchaser_org_id = Id(required=True)
    catalogue_code = fields.Str(required=True)
    category = fields.Str(required=True, validate=validate.OneOf(["goods", "services", "works"]))
    method = fields.Str(load_default="public_tender")
    eval_method = fields.Str(required=True, validate=validate.OneOf(["scoring", "lowest_price"]))
    criteria = fields.List(fields.Nested(CriterionIn), load_default=list)
    price_fixed = fields.Bool(load_default=False)
    same_brand_counts_once = fields.Bool(load_default=False)
    is_complex = fields.Bool(load_default=False, metadata={"description": "技术复杂或社会影响较大: 7+ members"})
    complex_reason = fields.Str(load_default="", validate=validate.Length(max=300))
    sme_percent = fields.Decimal(load_default=None, allow_none=True, as_string=True, places=2, metadata={
        "description": "small/micro price deduction %, within the region's band (null: the band's low end)"})
    sme_consortium_percent = fields.Decimal(load_default=None, allow_none=True, as_string=True, places=2, metadata={
        "description": "consortium/subcontract price deduction %, within the region's band (null: its low end)"})
    confirm_uncovered_year = Int(load_default=None, allow_none=True, metadata={
        "description": "count periods in this year, which the working-day calendar lacks, on Mon–Fri alone"})
    lots = fields.List(fields.Nested(LotIn), required=True)
    notice_at = fields.Str(required=True, metadata={"description": "ISO 8601 with offset"})
    doc_start_at = fields.Str(required=True)
    doc_end_at = fields.Str(required=True)
    clarify_deadline = fields.Str(required=True)
    deadline = fields.Str(required=True, metadata={"description": "bid deadline = opening time"})
    opening_mode = fields.Str(required=True, validate=validate.OneOf(["custodian", "bidder"]))
    decrypt_window_minutes = Int(load_default=30)
    custodian_user_ids = fields.List(Id(), load_default=list)
    include_vault = fields.Bool(load_default=True)
    include_tlock = fields.Bool(load_default=False, metadata={
        "description": "add the public time-lock custodian (a drand round at the opening time)"})
    k = Int(required=True)


class ProjectPatchIn(ProjectIn):
    """PATCH of a draft: any of ProjectIn's fields; the others keep the project's values."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)


class TextIn(Schema):
    text = fields.Str(required=True)


class NoticeIn(Schema):
    title = fields.Str(required=True)
    body = fields.Str(required=True)


class ConsortiumMemberIn(Schema):
    name = fields.Str(required=True, validate=validate.Length(max=120))
    uscc = fields.Str(required=True, validate=validate.Length(max=18))


class ConsortiumIn(Schema):
    members = fields.List(fields.Nested(ConsortiumMemberIn), required=True, validate=validate.Length(max=10),
                          metadata={"description": "the consortium's other members; [] when bidding alone"})


class ReasonIn(Schema):
    reason = fields.Str(required=True)


class SharesIn(Schema):
    shares = fields.List(fields.Dict(), required=True)
    totp = fields.Str(required=True)


class FileKeyIn(Schema):
    file_key = fields.Str(required=True, metadata={"description": "b64u of the 32-byte file key"})


class LotOut(Schema):
    id = Id()
    number = Int()
    name = fields.Str()
    budget_fen = Int()
    max_price_fen = Int()
    status = fields.Function(lambda lot: lot.status.value)
    policy_hash = fields.Str(allow_none=True)
    failure_reason = fields.Str(allow_none=True)


class ProjectOut(Schema):
    id = Id()
    code = fields.Str()
    title = fields.Str()
    status = fields.Function(lambda p: p.status.value)
    purchaser = fields.Function(lambda p: p.purchaser.name)
    agency = fields.Function(lambda p: p.agency.name)
    catalogue_code = fields.Str()
    category = fields.Function(lambda p: p.category.value)
    method = fields.Function(lambda p: p.method.value)
    eval_method = fields.Function(lambda p: p.eval_method.value)
    criteria = fields.Raw()
    is_complex = fields.Bool()
    complex_reason = fields.Str()
    sme_percent = fields.Decimal(as_string=True, allow_none=True)
    sme_consortium_percent = fields.Decimal(as_string=True, allow_none=True)
    budget_fen = Int()
    budget = fields.Function(lambda p: money.format_yuan(p.budget_fen))
    notice_at = fields.DateTime()
    doc_start_at = fields.DateTime()
    doc_end_at = fields.DateTime()
    clarify_deadline = fields.DateTime()
    deadline = fields.DateTime()
    opening_mode = fields.Function(lambda p: p.opening_mode.value)
    k = Int()
    n = fields.Function(lambda p: len(p.custodians))
    custodians = fields.Function(lambda p: [{"id": c.custodian_id, "label": c.label, "x": c.position + 1}
                                            for c in p.custodians])
    lots = fields.List(fields.Nested(LotOut))
    documents = fields.Function(lambda p: [{"id": d.id, "name": d.name, "size": d.size, "sha256": d.sha256}
                                           for d in p.documents])
    published_at = fields.DateTime(allow_none=True)


class BidOut(Schema):
    id = Id()
    lot_id = Id()
    status = fields.Function(lambda b: b.status.value)
    sha256 = fields.Str()
    size = Int()
    submitted_at = fields.DateTime()
    outcome_code = fields.Str(allow_none=True)
    outcome_note = fields.Str(allow_none=True)
    fault = fields.Str(allow_none=True)


class ClarificationOut(Schema):
    id = Id()
    question = fields.Str()
    asked_at = fields.DateTime()
    answer = fields.Str(allow_none=True)
    answered_at = fields.DateTime(allow_none=True)
