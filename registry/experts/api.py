"""JSON API of the expert library: my registration, and finance's review list."""

from __future__ import annotations

from flask_login import current_user
from flask_smorest import Blueprint

from accounts.models import Role
from core.auth import roles_required
from registry.experts import service

blp = Blueprint("registry_experts_api", __name__, url_prefix="/api/v1", description="Expert library")


def expert_out(expert) -> dict:
    return {
        "id": expert.id,
        "name": expert.name,
        "status": expert.status.value,
        "region_code": expert.region_code,
        "employer": expert.employer_name,
        "title": expert.title,
        "specialties": expert.specialty_codes,
    }


@blp.get("/experts/me")
@roles_required(Role.EXPERT)
def me():
    """My expert record (404 until registered)."""
    from core.errors import NotFound

    expert = service.expert_of_user(current_user)
    if expert is None:
        raise NotFound("尚未登记入库。", code="expert_not_registered")
    return expert_out(expert) | {
        "leaves": [
            {"id": x.id, "start_on": x.start_on.isoformat(), "end_on": x.end_on.isoformat()} for x in expert.leaves
        ]
    }


@blp.get("/experts")
@roles_required(Role.FINANCE_REVIEWER, Role.SUPERVISOR, Role.ADMIN)
def list_experts():
    """The library, for finance (names are not sealed here: no draw is named)."""
    return [expert_out(e) for e in service.list_experts()]
