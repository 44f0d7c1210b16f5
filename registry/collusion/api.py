"""JSON API of the collusion signals: the supervisor's flags, one lot's flags (its committee too), a
supplier's identity group. Read-only, like the pages: a flag is evidence, never a decision."""

from __future__ import annotations

from flask import request
from flask_login import current_user
from flask_smorest import Blueprint

from accounts.models import Role
from core import clock
from core.auth import roles_required
from core.db import db
from core.errors import NotFound
from registry.collusion import identity, service

blp = Blueprint("registry_collusion_api", __name__, url_prefix="/api/v1/collusion", description="Collusion signals")


def flag_out(flag) -> dict:
    data = service.describe(flag)
    data["computed_at"] = clock.as_utc(data["computed_at"]).isoformat()
    return data


@blp.get("/flags")
@roles_required(Role.SUPERVISOR, Role.ADMIN)
def list_flags():
    """The flags of the supervisor's regions, newest first (`kind` filters)."""
    return [flag_out(f) for f in service.flags_for(current_user, request.args.get("kind") or None)]


@blp.get("/flags/<int:flag_id>")
@roles_required(Role.SUPERVISOR, Role.ADMIN)
def get_flag(flag_id: int):
    return flag_out(service.flag_of(current_user, flag_id))


@blp.get("/lots/<int:lot_id>")
def lot_flags(lot_id: int):
    """A lot's run and flags, for its evaluation committee and the region's supervisors."""
    from tender.models import Lot

    lot = db.session.get(Lot, lot_id)
    if lot is None:
        raise NotFound("标项不存在。", code="lot_not_found")
    service.check_view_lot(current_user, lot)
    run = service.run_of(lot_id)
    return {"lot_id": lot_id, "computed": run is not None,
            "computed_at": clock.as_utc(run.computed_at).isoformat() if run else None,
            "rules_version": run.rules_version if run else None, "bids": run.bids if run else 0,
            "notes": run.notes if run else [], "flags": [flag_out(f) for f in service.flags_of_lot(lot_id)]}


@blp.get("/suppliers/<int:org_id>/group")
@roles_required(Role.SUPERVISOR, Role.ADMIN)
def supplier_group(org_id: int):
    """The identity group around a supplier: members and the shared values linking them."""
    return identity.group_of(org_id)
