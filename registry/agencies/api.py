"""JSON API of the agency registry (/api/v1/agencies): the public list, sign-up, the agency's own
listing, the supervisor's marks and the ratings after a project. Errors answer {"error": {"code", "message"}}."""

from __future__ import annotations

from flask_login import current_user
from flask_smorest import Blueprint

from accounts.models import Role
from accounts.orgs import Person
from core.auth import public, roles_required
from core.db import db
from registry.agencies import ratings, service
from registry.agencies.schemas import (
    AgencyChangeIn,
    AgencyListingOut,
    AgencyMarkIn,
    AgencyParticularsIn,
    AgencyPublicEntryOut,
    AgencyRateableOut,
    AgencyRatingIn,
    AgencyRatingOut,
    AgencySignUpIn,
    AgencyStaffIn,
)

blp = Blueprint("registry_agencies_api", __name__, url_prefix="/api/v1/agencies", description="Agency registry")


@blp.get("")
@public
@blp.response(200, AgencyPublicEntryOut(many=True))
def public_list():
    """The public list: listed and suspended agencies with their staff count and average rating."""
    return service.public_list()


@blp.post("/signup")
@public
@blp.arguments(AgencySignUpIn)
@blp.response(201, AgencyListingOut)
def signup(data: dict):
    """A new agency registers: its organisation, its administrator's account and a draft listing."""
    user = service.sign_up(data["org_name"], data["uscc"], data["region_code"],
                           Person(data["username"], data["name"], data["phone"]), data["password"], data["password2"])
    listing = service.listing_of_org(user.org_id)
    db.session.commit()
    return listing


@blp.get("/mine")
@roles_required(Role.AGENCY_STAFF)
@blp.response(200, AgencyListingOut)
def mine():
    """My agency's listing (its administrator only)."""
    return service.my_listing(current_user)


@blp.put("/mine")
@roles_required(Role.AGENCY_STAFF)
@blp.arguments(AgencyParticularsIn)
@blp.response(200, AgencyListingOut)
def update(data: dict):
    """Change the particulars (the whole set)."""
    listing = service.update_particulars(current_user, service.Particulars(**data))
    db.session.commit()
    return listing


@blp.post("/mine/staff")
@roles_required(Role.AGENCY_STAFF)
@blp.arguments(AgencyStaffIn)
@blp.response(201, AgencyListingOut)
def add_staff(data: dict):
    service.add_staff(current_user, service.StaffMember(**data))
    db.session.commit()
    return service.my_listing(current_user)


@blp.delete("/mine/staff/<int:staff_id>")
@roles_required(Role.AGENCY_STAFF)
@blp.response(200, AgencyListingOut)
def remove_staff(staff_id: int):
    listing = service.remove_staff(current_user, staff_id)
    db.session.commit()
    return listing


@blp.post("/mine/submit")
@roles_required(Role.AGENCY_STAFF)
@blp.response(200, AgencyListingOut)
def submit():
    """Complete the registration; 422 listing_incomplete names what is missing."""
    listing = service.submit_listing(current_user)
    db.session.commit()
    return listing


@blp.post("/mine/change")
@roles_required(Role.AGENCY_STAFF)
@blp.arguments(AgencyChangeIn)
@blp.response(200, AgencyListingOut)
def note_change(data: dict):
    """Say the particulars changed on a day: the update is due within the region's working days."""
    listing = service.note_change(current_user, data["changed_on"], data["note"])
    db.session.commit()
    return listing


@blp.post("/mine/change/finish")
@roles_required(Role.AGENCY_STAFF)
@blp.response(200, AgencyListingOut)
def finish_update():
    listing = service.finish_update(current_user)
    db.session.commit()
    return listing


@blp.post("/<int:listing_id>/mark")
@roles_required(Role.SUPERVISOR, Role.ADMIN)
@blp.arguments(AgencyMarkIn)
@blp.response(200, AgencyListingOut)
def mark(data: dict, listing_id: int):
    """The supervisor suspends, restores or removes an agency, with a reason."""
    listing = service.mark_listing(current_user, listing_id, data["mark"], data["reason"])
    db.session.commit()
    return listing


@blp.get("/overseen")
@roles_required(Role.SUPERVISOR, Role.ADMIN)
@blp.response(200, AgencyListingOut(many=True))
def overseen():
    """Every agency registered in the regions I oversee, whatever its status (the supervisor's list)."""
    return service.listings_overseen(current_user)


@blp.get("/ratings")
@roles_required(Role.PURCHASER, Role.SUPPLIER, Role.EXPERT)
@blp.response(200, AgencyRateableOut(many=True))
def rateable():
    """The finished projects I took part in, with my rating of their agency if given and the period."""
    return ratings.rateable_projects(current_user)


@blp.post("/ratings/<int:project_id>")
@roles_required(Role.PURCHASER, Role.SUPPLIER, Role.EXPERT)
@blp.arguments(AgencyRatingIn)
@blp.response(201, AgencyRatingOut)
def rate(data: dict, project_id: int):
    """Rate the agency of a finished project I took part in (once; 1–5 on each dimension)."""
    row = ratings.rate_agency(current_user, project_id, data["scores"], data["comment"])
    db.session.commit()
    return row
