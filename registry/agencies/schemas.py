"""API shapes of the agency registry: what comes in (sign-up, particulars, staff, change, mark, rating)
and what goes out (a listing as the agency sees it, an entry of the public list, a rating)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from core.bounded import Id, Int

Text = fields.Str


class AgencySignUpIn(Schema):
    org_name = Text(required=True, validate=validate.Length(max=120))
    uscc = Text(required=True, validate=validate.Length(max=18))
    region_code = Text(required=True, validate=validate.Length(max=12))
    username = Text(required=True, validate=validate.Length(max=64))
    name = Text(required=True, validate=validate.Length(max=60))
    phone = Text(load_default="", validate=validate.Length(max=20))
    password = Text(required=True, validate=validate.Length(max=200))
    password2 = Text(required=True, validate=validate.Length(max=200))


class AgencyParticularsIn(Schema):
    legal_rep = Text(load_default="", validate=validate.Length(max=60))
    address = Text(load_default="", validate=validate.Length(max=200))
    contact_name = Text(load_default="", validate=validate.Length(max=60))
    contact_phone = Text(load_default="", validate=validate.Length(max=20))
    email = Text(load_default="", validate=validate.Length(max=120))
    scope = Text(load_default="", validate=validate.Length(max=2000))


class AgencyStaffIn(Schema):
    name = Text(required=True, validate=validate.Length(max=60))
    id_last4 = Text(required=True, validate=validate.Length(max=4))
    title = Text(load_default="", validate=validate.Length(max=60))
    phone = Text(load_default="", validate=validate.Length(max=20))


class AgencyChangeIn(Schema):
    changed_on = fields.Date(required=True)
    note = Text(required=True, validate=validate.Length(max=200))


class AgencyMarkIn(Schema):
    mark = Text(required=True, validate=validate.OneOf(["suspend", "restore", "remove"]))
    reason = Text(required=True, validate=validate.Length(max=300))


class AgencyRatingIn(Schema):
    scores = fields.Dict(keys=fields.Str(), values=Int(), required=True)
    comment = Text(load_default="", validate=validate.Length(max=500))


class AgencyStaffOut(Schema):
    id = Id()
    name = Text()
    id_last4 = Text()
    title = Text()
    phone = Text()


class AgencyListingOut(Schema):
    id = Id()
    org_id = Id()
    name = fields.Function(lambda x: x.org.name)
    uscc = fields.Function(lambda x: x.org.uscc)
    region_code = Text()
    status = fields.Function(lambda x: x.status.value)
    legal_rep = Text()
    address = Text()
    contact_name = Text()
    contact_phone = Text()
    email = Text()
    scope = Text()
    listed_at = fields.DateTime(allow_none=True)
    change_on = fields.Date(allow_none=True)
    change_note = Text()
    update_due_at = fields.DateTime(allow_none=True)
    overdue_warned_at = fields.DateTime(allow_none=True)
    mark_reason = Text()
    staff = fields.List(fields.Nested(AgencyStaffOut))
    missing = fields.Method("get_missing")

    def get_missing(self, listing) -> list[str]:
        from registry.agencies.service import missing

        return missing(listing)


class AgencyPublicEntryOut(Schema):
    id = fields.Function(lambda e: e.listing.id)
    name = fields.Function(lambda e: e.listing.org.name)
    uscc = fields.Function(lambda e: e.listing.org.uscc)
    region_code = fields.Function(lambda e: e.listing.region_code)
    status = fields.Function(lambda e: e.listing.status.value)
    staff_count = Int()
    rating = fields.Float(allow_none=True)
    ratings = Int()
    update_overdue = fields.Bool(attribute="overdue")
    by_dimension = fields.Dict(keys=fields.Str(), values=fields.Float())


class AgencyRatingOut(Schema):
    id = Id()
    project_id = Id()
    agency_org_id = Id()
    rater_kind = Text()
    scores = fields.Dict(keys=fields.Str(), values=Int())
    average = fields.Float()
    comment = Text()
    rated_at = fields.DateTime()


class AgencyRateableOut(Schema):
    project_id = fields.Function(lambda r: r["project"].id)
    title = fields.Function(lambda r: r["project"].title)
    agency = fields.Function(lambda r: r["project"].agency.name)
    kind = fields.Function(lambda r: r["kind"])
    due = fields.Function(lambda r: r["due"].isoformat() if r["due"] else None)
    open = fields.Function(lambda r: r["open"])
    rating = fields.Function(lambda r: AgencyRatingOut().dump(r["rating"]) if r["rating"] else None)
