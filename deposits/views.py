"""Pages of the deposits: the lot's deposit page (the agency's setting before publication, every deposit
with its refund or forfeiture), the supplier's panel on the bid page, the daily reconciliation, and the
administrator's registry of banks and issuers. Thin over `service`; one commit per request."""

from __future__ import annotations

import json

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from accounts.models import Role
from core import exchange
from core.auth import roles_required
from core.db import db
from core.errors import DomainError, ValidationError, settle_refusal
from core.i18n import N_
from deposits import bank, rules, service, stages
from deposits.api import parse_day
from deposits.transitions import Purpose

bp = Blueprint("deposits", __name__, url_prefix="/deposits")
TYPE_ZH = {"deposit.credit": N_("保证金到账"), "deposit.refund": N_("退款指令"),
           "deposit.refund_confirmed": N_("退款确认"), "guarantee.release": N_("保函解除"),
           "guarantee.released": N_("保函解除确认"), "outbox.fetch": N_("取回待处理指令")}


def _act(action, success: str, back: str):
    try:
        action()
        db.session.commit()
        flash(success, "success")
    except DomainError as exc:
        settle_refusal(exc)
        flash(exc.message, "danger")
    return redirect(back)


@bp.get("/lots/<int:lot_id>")
def lot(lot_id: int):
    if not service.can_view_lot(current_user, lot_id):
        abort(404)
    lot_row, project = stages.lot_of(lot_id)
    shared = service.shared_payer_accounts(lot_id)
    return render_template("deposits/lot.html", lot=lot_row, project=project, setting=service.setting_of(lot_id),
                           deposits=service.deposits_of_lot(lot_id), staff=service.is_staff(current_user, lot_id),
                           shared=shared, org_names={o: service.org_name(o) for orgs in shared.values() for o in orgs},
                           max_amount=service.max_amount(lot_id),
                           waiver=rules.rule(project.region_code, "waiver"),
                           performance_max=rules.rule(project.region_code, "performance_max_percent"),
                           banks=[s for s in exchange.senders(service.BANK_CHANNEL) if s.active],
                           status_zh=service.STATUS_ZH, form_zh=service.FORM_ZH,
                           forfeit_reasons=service.FORFEIT_REASONS)


@bp.post("/lots/<int:lot_id>")
@roles_required(Role.AGENCY_STAFF)
def configure(lot_id: int):
    from core import money

    form = request.form
    try:
        amount = money.parse_yuan(form.get("amount", "") or "0")
    except ValueError:
        amount = -1
    data = {"required": form.get("required") == "1", "amount_fen": amount, "forms": form.getlist("forms"),
            "bank": form.get("bank", ""), "bid_valid_days": form.get("bid_valid_days", ""),
            "performance_percent": form.get("performance_percent", "")}

    def run():
        try:
            service.configure_lot(current_user, lot_id, data)
        except ValidationError as exc:
            fields = exc.details.get("fields") or {}
            raise ValidationError("；".join(fields.values()) or exc.message, code=exc.code) from exc

    return _act(run, _("保证金设置已保存。"), url_for("deposits.lot", lot_id=lot_id))


@bp.post("/<int:deposit_id>/refund")
@roles_required(Role.AGENCY_STAFF)
def refund(deposit_id: int):
    deposit = service.get_deposit(deposit_id)
    return _act(lambda: service.refund_deposit(current_user, deposit_id, request.form.get("reason", "")),
                _("已安排退还，将按期向银行发出退款指令。"), url_for("deposits.lot", lot_id=deposit.lot_id))


@bp.post("/<int:deposit_id>/forfeit")
@roles_required(Role.AGENCY_STAFF)
def forfeit(deposit_id: int):
    deposit = service.get_deposit(deposit_id)
    return _act(lambda: service.forfeit_deposit(current_user, deposit_id, request.form.get("reason_code", ""),
                                                request.form.get("note", "")),
                _("已记录不予退还及其理由。"), url_for("deposits.lot", lot_id=deposit.lot_id))


@bp.post("/<int:deposit_id>/release")
@roles_required(Role.AGENCY_STAFF)
def release(deposit_id: int):
    deposit = service.get_deposit(deposit_id)
    return _act(lambda: service.release_performance_security(current_user, deposit_id,
                                                             request.form.get("acceptance_ref", "")),
                _("已安排退还履约保证金。"), url_for("deposits.lot", lot_id=deposit.lot_id))


def _bid_page(lot_id: int) -> str:
    _lot, project = stages.lot_of(lot_id)
    return url_for("tender.bid_page", project_id=project.id, lot_id=lot_id)


@bp.post("/lots/<int:lot_id>/guarantee")
@roles_required(Role.SUPPLIER)
def guarantee(lot_id: int):
    upload = request.files.get("file")

    def run():
        try:
            data = json.loads((upload.read(65536) if upload else b"").decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            data = None
        if not isinstance(data, dict):
            raise ValidationError("请上传银行或保险机构出具的电子保函文件（.json）。", code="guarantee_malformed")
        purpose = Purpose.PERFORMANCE if request.form.get("purpose") == "performance" else Purpose.BID
        service.submit_guarantee(current_user, lot_id, data.get("letter"), data.get("signature"), purpose)

    return _act(run, _("电子保函已验证并登记。"), _bid_page(lot_id))


@bp.post("/lots/<int:lot_id>/waiver")
@roles_required(Role.SUPPLIER)
def waiver(lot_id: int):
    return _act(lambda: service.declare_waiver(current_user, lot_id), _("已登记中小企业免收投标保证金。"),
                _bid_page(lot_id))


@bp.get("/reconciliation")
@roles_required(Role.AGENCY_STAFF, Role.SUPERVISOR, Role.ADMIN)
def reconciliation():
    day = parse_day(request.args.get("day"))
    sender = exchange.sender_by_code(request.args["bank"]) if request.args.get("bank") else None
    return render_template("deposits/reconciliation.html", report=bank.reconciliation(day, sender), day=day,
                           banks=exchange.senders(service.BANK_CHANNEL), bank=sender, type_zh=TYPE_ZH)


@bp.get("/senders")
@roles_required(Role.ADMIN, Role.SUPERVISOR)
def senders():
    return render_template("deposits/senders.html", senders=exchange.senders(), admin=current_user.has_role(Role.ADMIN))


@bp.post("/senders")
@roles_required(Role.ADMIN)
def register_sender():
    f = request.form
    return _act(lambda: exchange.register_sender(current_user, f.get("code", ""), f.get("name", ""),
                                                 f.get("channel", ""), f.get("kind", "bank"), f.get("algorithm", ""),
                                                 f.get("public_key_pem", "")),
                _("发送方及其公钥已登记。"), url_for("deposits.senders"))


@bp.post("/senders/<int:sender_id>/deactivate")
@roles_required(Role.ADMIN)
def deactivate_sender(sender_id: int):
    return _act(lambda: exchange.deactivate_sender(current_user, sender_id), _("该发送方已停用。"),
                url_for("deposits.senders"))


def bid_panel(lot_id: int) -> dict | None:
    """The supplier's deposit for the bid page's panel (a template global), or None when not its business."""
    if not current_user.is_authenticated or not current_user.has_role(Role.SUPPLIER) or not current_user.org_id:
        return None
    return service.state_for(lot_id, current_user.org_id)
