"""Who sees what of a draw's committee: the VIEWS table by role and period, and the guards built on it.
"""

from __future__ import annotations

from sqlalchemy import or_, select

from accounts.models import Role, User
from accounts.service import oversees, regions_under
from audit.service import record
from core import clock
from core.db import db
from core.errors import Forbidden
from expert_draw.models import (
    DrawRequest,
    DrawRequestSupplier,
)
from expert_draw.subject import result_published_at

AGENCY_ROLES = (Role.AGENCY_STAFF,)


# What each role sees of a draw's committee, by period: (before the evaluation starts, from its start, from the
# result notice). CONTACTS = names, employers, phone numbers and decline reasons (to organise the evaluation);
# NAMES = names only (what the result notice publishes, 87号令); COUNTS = seats and states; NONE = nothing.
# The only place that decides it; expert_draw/README.md prints it and tests/expert_draw/test_pages.py checks it.
CONTACTS, NAMES, COUNTS, NONE = "contacts", "names", "counts", "none"


VIEWS: dict[str, tuple[str, str, str]] = {
    "supervisor": (CONTACTS, CONTACTS, CONTACTS),  # the region's finance supervisor; a look before the start is audited
    "agency": (COUNTS, CONTACTS, CONTACTS),         # the project's agency, which runs the evaluation
    "purchaser": (COUNTS, NAMES, NAMES),            # its representatives sit on the committee
    "supplier": (COUNTS, COUNTS, NAMES),            # a bidder named on the request: names with the result only
    "reviewer": (COUNTS, COUNTS, COUNTS),           # finance reviewers of the region, administrators
    "other": (NONE, NONE, NONE),                    # everyone else: the result notice itself is public
}


def viewer_kind(user: User, req: DrawRequest) -> str:
    """The row of VIEWS that `user` reads for this request."""
    if user.has_role(Role.SUPERVISOR) and oversees(user, req.region_code):
        return "supervisor"
    if user.has_role(Role.AGENCY_STAFF) and user.org_id == req.agency_org_id:
        return "agency"
    if user.has_role(Role.PURCHASER) and user.org_id == req.purchaser_org_id:
        return "purchaser"
    if user.has_role(Role.SUPPLIER) and user.org_id in req.supplier_org_ids:
        return "supplier"
    if user.has_role(Role.ADMIN) or (user.has_role(Role.FINANCE_REVIEWER) and oversees(user, req.region_code)):
        return "reviewer"
    return "other"


def period(req: DrawRequest) -> int:
    """0 before the evaluation starts, 1 from its start, 2 once the result notice is published."""
    if clock.now() < req.evaluation_start_at:
        return 0
    return 2 if result_published_at(req.project_id, req.lot_id) is not None else 1


def visibility(user: User, req: DrawRequest) -> str:
    """CONTACTS, NAMES, COUNTS or NONE: what `user` sees of the drawn experts now (the VIEWS table)."""
    return VIEWS[viewer_kind(user, req)][period(req)]


def require_view(user: User, req: DrawRequest) -> str:
    seen = visibility(user, req)
    if seen == "none":
        raise Forbidden("您无权查看此抽取申请。", code="draw_request_forbidden")
    return seen


def can_manage(user: User, req: DrawRequest) -> bool:
    return user.has_role(*AGENCY_ROLES) and user.org_id == req.agency_org_id


def require_manage(user: User, req: DrawRequest) -> None:
    if not can_manage(user, req):
        raise Forbidden("只有本项目的代理机构经办人可以操作。", code="not_request_agency")


def look_at_names(user: User, req: DrawRequest) -> bool:
    """Whether `user` may see the names now; a supervisor's look before the evaluation is audited."""
    seen = require_view(user, req)
    if seen in (NAMES, CONTACTS) and clock.now() < req.evaluation_start_at:
        record("expert_draw.names_viewed", req, {"request_id": req.id, "viewer": user.id})
    return seen in (NAMES, CONTACTS)


def requests_for(user: User) -> list[DrawRequest]:
    query = select(DrawRequest).order_by(DrawRequest.evaluation_start_at.desc())
    if user.has_role(Role.ADMIN):
        return list(db.session.scalars(query.limit(200)))
    if user.has_role(Role.SUPERVISOR, Role.FINANCE_REVIEWER):
        query = query.where(DrawRequest.region_code.in_(regions_under(user.region_code)))
        return list(db.session.scalars(query.limit(200)))
    if user.org_id is None:
        return []
    if user.has_role(Role.SUPPLIER):
        query = query.join(DrawRequestSupplier).where(DrawRequestSupplier.org_id == user.org_id)
    else:
        query = query.where(or_(DrawRequest.agency_org_id == user.org_id, DrawRequest.purchaser_org_id == user.org_id))
    return list(db.session.scalars(query.limit(200)))
