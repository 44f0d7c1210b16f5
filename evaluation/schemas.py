"""API schemas of the evaluation room: what comes in (each action's body)."""

from marshmallow import Schema, fields, validate

from core.bounded import Id, Int


class OpenIn(Schema):
    purchaser_rep_id = Id(load_default=None, allow_none=True)
    purchaser_rep_ids = fields.List(Id(), load_default=list,
                                    metadata={"description": "as many as the draw request's purchaser_reps"})


class DeclarationIn(Schema):
    conflict = fields.Bool(required=True)
    note = fields.Str(load_default="", validate=validate.Length(max=300))


class ChairVoteIn(Schema):
    candidate_id = Id(required=True)


class MarkIn(Schema):
    bid_id = Id(required=True)
    requirement = fields.Str(required=True)
    passed = fields.Bool(required=True)
    reason = fields.Str(load_default="")


class ReviewIn(Schema):
    marks = fields.List(fields.Nested(MarkIn), required=True)


class ClarificationIn(Schema):
    bid_id = Id(required=True)
    question = fields.Str(required=True)
    kind = fields.Str(load_default="clarification", validate=validate.OneOf(["clarification", "low_price"]))
    minutes = Int(load_default=60)


class AnswerIn(Schema):
    answer = fields.Str(required=True)
    signature = fields.Str(required=True)


class PriceConfirmIn(Schema):
    confirmed = fields.Bool(required=True)
    signature = fields.Str(required=True)


class DecisionIn(Schema):
    accepted = fields.Bool(required=True)
    reason = fields.Str(load_default="")


class ScoresIn(Schema):
    scores = fields.Dict(keys=fields.Str(), values=fields.Dict(keys=fields.Str(), values=fields.Str()),
                         required=True, metadata={"description": "{bid_id: {criterion: \"12.50\"}} (decimal text)"})
    totp = fields.Str(required=True, metadata={"description": "the member's current TOTP code (step-up)"})


class FlagIn(Schema):
    action = fields.Str(required=True, validate=validate.OneOf(["confirm", "correct"]))
    note = fields.Str(required=True)
    new_score = fields.Str(load_default=None, allow_none=True)


class SignIn(Schema):
    totp = fields.Str(required=True)
    dissent = fields.Str(load_default=None, allow_none=True)


class EvalReasonIn(Schema):
    reason = fields.Str(required=True)


class CalendarConfirmIn(Schema):
    confirm_uncovered_year = Int(load_default=None, allow_none=True, metadata={
        "description": "count the deadlines in this year, which the working-day calendar lacks, on Mon–Fri alone"})


class ConfirmIn(CalendarConfirmIn):
    candidate_id = Id(required=True)
    reason = fields.Str(load_default="")


class ChallengeAnswerIn(Schema):
    answer = fields.Str(required=True)
    upheld = fields.Bool(required=True)
    remedy = fields.Str(load_default=None, allow_none=True, validate=validate.OneOf(["void_award", "reevaluate"]))


class ComplaintAcceptIn(Schema):
    suspend = fields.Bool(load_default=False)


class ComplaintRefuseIn(Schema):
    reason = fields.Str(required=True)
    note = fields.Str(load_default="")


class ComplaintDecideIn(Schema):
    decision = fields.Str(required=True)
    upheld = fields.Bool(required=True)
    remedy = fields.Str(load_default=None, allow_none=True, validate=validate.OneOf(["void_award", "reevaluate"]))
