"""JSON API of plans (/api/v1/plans): a unit's usable confirmations with what remains, the split-purchase check,
and the agency's tender project created from a confirmation. The finance intranet's signed messages (plan
confirmations, the export) arrive on the one finance-intranet receiver, /api/v1/contracts/intranet/messages,
which dispatches them by type (core.exchange)."""

from __future__ import annotations

from datetime import date

from flask import request
from flask_login import current_user
from flask_smorest import Blueprint

from accounts.models import Role
from core import clock
from core.auth import roles_required
from core.db import db
from core.errors import Forbidden, ValidationError
from plan import confirmations, projects, thresholds

blp = Blueprint("plan_api", __name__, url_prefix="/api/v1/plans", description="Plans, confirmations, budget")


def confirmation_out(row) -> dict:
    return {"id": row.id, "number": row.number, "org_id": row.org_id, "title": row.title,
            "catalogue_code": row.catalogue_code, "method": row.method, "plan_type": row.plan_type,
            "amount_fen": row.amount_fen, "drawn_fen": row.drawn_fen, "remaining_fen": confirmations.remaining_fen(row),
            "sha256": row.sha256, "source": row.source, "issued_at": row.issued_at.isoformat(),
            "valid_until": row.valid_until.isoformat() if row.valid_until else None}


@blp.get("/confirmations")
@roles_required(Role.PURCHASER, Role.AGENCY_STAFF)
def list_confirmations():
    """The confirmations of a unit with money left (the user's own unit; an agency names `org_id`)."""
    org_id = request.args.get("org_id", type=int) or current_user.org_id
    rows = [c for c in confirmations.usable_confirmations(org_id or 0) if confirmations.can_use(current_user, c)]
    return {"confirmations": [confirmation_out(c) for c in rows]}


@blp.get("/split-check")
@roles_required(Role.PURCHASER)
def split_check():
    """ok / warn / block for adding an amount of one catalogue item to the user's unit's year."""
    amount = request.args.get("amount_fen", type=int)
    if amount is None:
        raise ValidationError("请提供 amount_fen。", code="split_amount_invalid")
    day = request.args.get("on_day") or clock.to_local(clock.now()).date().isoformat()
    try:
        on_day = date.fromisoformat(day)
    except ValueError:
        raise ValidationError("日期格式应为 YYYY-MM-DD。", code="split_day_invalid") from None
    if current_user.org_id is None:
        raise Forbidden("没有所属单位。", code="no_org")
    result = thresholds.check_split_purchase(current_user.org_id, request.args.get("catalogue_code", ""), amount,
                                             on_day=on_day)
    return {**result.as_dict(), "message": result.message()}


@blp.post("/confirmations/<int:confirmation_id>/project")
@roles_required(Role.AGENCY_STAFF)
def create_project(confirmation_id: int):
    """The agency creates the tender project of a confirmation: the tender's project input, the purchaser,
    catalogue code and method taken from the confirmation; the lots draw the budget."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationError("请求体须为 JSON 对象。", code="project_invalid")
    project = projects.create_project_from_confirmation(current_user, confirmation_id, data)
    db.session.commit()
    return {"id": project.id, "code": project.code, "status": project.status.value,
            "lots": [{"number": lot.number, "budget_fen": lot.budget_fen} for lot in project.lots]}, 201
