"""Pages of the expert draw: agency (request, draw, result), supervisor (watch, exclusions, names),
expert (my invitations, reply)."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from accounts.models import Org, OrgKind, Role, User
from core import clock, files, money
from core.auth import public, roles_required
from core.db import db
from core.errors import DomainError, NotFound, ValidationError, settle_refusal
from expert_draw import present, proofs, service
from expert_draw.models import Draw, DrawRequest, Invitation
from expert_draw.subject import DrawSubject, subject_for_project
from region_rules import views as rules_views
from registry.experts.service import leaf_specialties

bp = Blueprint("expert_draw", __name__, url_prefix="/expert-draw")
VIEW_ROLES = (
    Role.AGENCY_STAFF,
    Role.SUPERVISOR,
    Role.FINANCE_REVIEWER,
    Role.PURCHASER,
    Role.SUPPLIER,
    Role.ADMIN,
)


def _address() -> str:
    return request.remote_addr or "-"


def _get_draw(draw_id: int) -> Draw:
    draw = db.session.get(Draw, draw_id)
    if draw is None:
        raise NotFound(_("没有这次抽取。"), code="draw_not_found")
    return draw


@bp.get("/")
@roles_required(*VIEW_ROLES)
def index():
    reqs = service.requests_for(current_user)
    return render_template(
        "expert_draw/index.html",
        requests=reqs,
        labels=present.STATUS_LABELS,
        can_request=current_user.has_role(Role.AGENCY_STAFF),
    )


def _local(name: str, required: bool = True) -> datetime | None:
    text = request.form.get(name, "").strip()
    if not text and not required:
        return None
    try:
        return clock.parse_local(text)
    except ValueError:
        raise ValidationError(_("时间格式应为 2026-11-30 09:00（北京时间）。"), code="time_invalid") from None


def _int(name: str, default: int = 0) -> int:
    text = request.form.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit():
        raise ValidationError(_("人数须为整数。"), code="count_invalid")
    return int(text)


def _subject_from_form() -> DrawSubject:
    project_id = request.form.get("project_id", "").strip()
    if project_id:
        if not project_id.isdigit():
            raise ValidationError(_("项目编号无效。"), code="project_invalid")
        lot = request.form.get("lot_id", "").strip()
        return subject_for_project(int(project_id), int(lot) if lot.isdigit() else None)
    try:
        budget = money.parse_yuan(request.form.get("budget", ""))
    except (ValueError, AttributeError):
        raise ValidationError(_("预算金额格式不正确，请填写元，例如 3000000.00。"), code="budget_invalid") from None
    purchaser = request.form.get("purchaser_org_id", "")
    if not purchaser.isdigit():
        raise ValidationError(_("请选择采购人。"), code="purchaser_required")
    return DrawSubject(
        title=request.form.get("title", "").strip() or _("未命名项目"),
        purchaser_org_id=int(purchaser),
        agency_org_id=current_user.org_id or 0,
        method=request.form.get("method", "public_tender"),
        budget_fen=budget,
        region_code=current_user.region_code,
        supplier_org_ids={int(x) for x in request.form.getlist("supplier_org_ids") if x.isdigit()},
    )


def _counts_from_form() -> list[service.SpecialtyCount]:
    counts = []
    for i in range(4):
        code = request.form.get(f"specialty_{i}", "").strip()
        if code:
            counts.append(service.SpecialtyCount(code, _int(f"primary_{i}", 0), _int(f"backup_{i}", 0)))
    return counts


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.AGENCY_STAFF)
def new():
    if request.method == "POST":
        try:
            req = service.create_request(
                current_user,
                _subject_from_form(),
                _counts_from_form(),
                _local("evaluation_start_at"),
                _local("evaluation_end_at", required=False),
                request.form.get("place", ""),
                is_remote=bool(request.form.get("is_remote")),
                purchaser_reps=_int("purchaser_reps"),
                is_complex=bool(request.form.get("is_complex")),
                complex_reason=request.form.get("complex_reason", ""),
                is_offsite=bool(request.form.get("is_offsite")),
            )
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            return _new_form(), exc.status
        db.session.commit()
        flash(_("抽取申请已创建。"), "success")
        return redirect(url_for("expert_draw.detail", request_id=req.id))
    return _new_form()


def _new_form():
    orgs = db.session.scalars(
        select(Org).where(Org.kind.in_([OrgKind.PURCHASER, OrgKind.SUPPLIER])).order_by(Org.name)
    ).all()
    return render_template(
        "expert_draw/new.html",
        form=request.form,
        specialties=leaf_specialties(),
        purchasers=[o for o in orgs if o.kind == OrgKind.PURCHASER],
        suppliers=[o for o in orgs if o.kind == OrgKind.SUPPLIER],
        methods=present.METHOD_LABELS,
    )


@bp.get("/<int:request_id>")
@roles_required(*VIEW_ROLES)
def detail(request_id: int):
    req = service.get_request(request_id)
    data = present.present_request(req, current_user)
    return render_template(
        "expert_draw/detail.html",
        req=req,
        data=data,
        can_manage=service.can_manage(current_user, req),
        is_supervisor=current_user.has_role(Role.SUPERVISOR),
        reasons=present.AVOIDANCE_RULES,
    )


@bp.get("/<int:request_id>/status.json")
@roles_required(*VIEW_ROLES)
def status_json(request_id: int):
    """Counts and states for the watch page (polled by static/js/expert_draw/watch.js)."""
    req = service.get_request(request_id)
    data = present.present_request(req, current_user)
    return jsonify({"status": data["status"], "status_label": data["status_label"], "seats": data["seats"]})


@bp.get("/<int:request_id>/names")
@roles_required(Role.SUPERVISOR, Role.AGENCY_STAFF, Role.PURCHASER, Role.SUPPLIER)
def names(request_id: int):
    req = service.get_request(request_id)
    if not service.look_at_names(current_user, req):
        flash(_("专家名单保密：评审开始前仅财政监督人员可以查看，投标人在结果公告发布后可以查看专家姓名。"), "warning")
        return redirect(url_for("expert_draw.detail", request_id=req.id))
    data = present.present_request(req, current_user, names=True)
    db.session.commit()  # the look is audited
    return render_template("expert_draw/names.html", req=req, data=data)


@bp.get("/draws/<int:draw_id>/exclusions")
@roles_required(Role.SUPERVISOR)
def exclusions(draw_id: int):
    draw = _get_draw(draw_id)
    service.look_at_names(current_user, draw.request)
    rows = present.exclusion_rows(draw)
    db.session.commit()
    return render_template("expert_draw/exclusions.html", draw=draw, rows=rows,
                           number=draw.request.draws.index(draw) + 1)  # as the request's page counts them


def _act(request_id: int, action, success):
    """Run a write, commit once, flash the outcome and go back to the request page. `success` is the
    message, or a function of the action's result giving (message, category). The experts a write
    invites or tells are notified after the commit (the service declared it)."""
    try:
        result = action()
    except DomainError as exc:
        settle_refusal(exc)
        flash(exc.message, "danger")
        return redirect(url_for("expert_draw.detail", request_id=request_id))
    db.session.commit()
    message, category = success(result) if callable(success) else (success, "success")
    flash(message, category)
    return redirect(url_for("expert_draw.detail", request_id=request_id))




@bp.post("/<int:request_id>/exclusions")
@roles_required(Role.AGENCY_STAFF)
def add_exclusion(request_id: int):
    req = service.get_request(request_id)

    def action():
        expert = service.find_expert_by_id_number(request.form.get("id_number", ""))
        service.add_manual_exclusion(current_user, req, expert.id, request.form.get("reason", ""))

    return _act(req.id, action, _("回避申请已记录。"))


@bp.post("/<int:request_id>/commit")
@roles_required(Role.AGENCY_STAFF)
def commit(request_id: int):
    req = service.get_request(request_id)
    beacon = request.form.get("beacon", "").strip() or None
    return _act(
        req.id,
        lambda: service.commit_draw(current_user, req, beacon) and None,
        _("候选池和服务器种子的哈希已写入审计日志，请监督人员输入随机数。"),
    )


@bp.post("/draws/<int:draw_id>/run")
@roles_required(Role.AGENCY_STAFF, Role.SUPERVISOR)
def run(draw_id: int):
    draw = _get_draw(draw_id)

    def action():
        supervisor = current_user
        if not current_user.has_role(Role.SUPERVISOR):
            from accounts.service import verify_totp

            username = request.form.get("supervisor_username", "").strip()
            supervisor = db.session.scalar(select(User).where(User.username == username))
            if supervisor is None or not supervisor.has_role(Role.SUPERVISOR):
                raise ValidationError(_("请填写现场监督人员的账号。"), code="supervisor_required")
            verify_totp(supervisor, request.form.get("supervisor_code", "").strip(), _address(), purpose="expert_draw")
        return service.run_draw(
            draw,
            supervisor,
            request.form.get("supervisor_input", ""),
            request.form.get("beacon_value") or None,
        )

    return _act(draw.request_id, action, _("抽取完成，已通知被抽中的专家。"))


@bp.post("/draws/<int:draw_id>/discard")
@roles_required(Role.AGENCY_STAFF)
def discard(draw_id: int):
    draw = _get_draw(draw_id)
    return _act(
        draw.request_id,
        lambda: service.discard_draw(current_user, draw, request.form.get("reason", "")) and None,
        _("本次抽取已放弃，记录保留在审计日志中。"),
    )


@bp.post("/<int:request_id>/cancel")
@roles_required(Role.AGENCY_STAFF)
def cancel(request_id: int):
    req = service.get_request(request_id)
    return _act(
        req.id,
        lambda: service.cancel_request(current_user, req, request.form.get("reason", "")),
        lambda told: (_("抽取申请已取消，已通知 %(n)s 位专家。", n=len(told)) if told else _("抽取申请已取消。"),
                      "success"),
    )


@bp.post("/invitations/<int:invitation_id>/withdraw")
@roles_required(Role.AGENCY_STAFF, Role.SUPERVISOR)
def withdraw(invitation_id: int):
    inv = db.session.get(Invitation, invitation_id) or abort(404)
    return _act(
        inv.request_id,
        lambda: service.withdraw_invitation(current_user, inv, request.form.get("reason", "")),
        lambda notify: (_("已撤换，并从备选顺序中补抽，已通知递补专家。"), "success") if notify
        else (_("已撤换。备选顺序中已无符合条件的专家，请补充抽取。"), "warning"),
    )


@bp.post("/<int:request_id>/phone-reply")
@roles_required(Role.AGENCY_STAFF)
def phone_reply(request_id: int):
    req = service.get_request(request_id)

    def action():
        answer = request.form.get("answer")
        if answer not in ("attend", "decline"):
            raise ValidationError(_("请选择专家的答复：参加或不参加。"), code="answer_invalid")
        said_at = _local("said_at")
        return service.record_phone_reply(current_user, req, request.form.get("reply_code", ""), answer == "attend",
                                          said_at, request.form.get("reason", ""), request.form.get("note", ""))

    return _act(req.id, action, _("电话答复已登记。"))


@bp.post("/invitations/<int:invitation_id>/no-show")
@roles_required(Role.AGENCY_STAFF)
def no_show(invitation_id: int):
    inv = db.session.get(Invitation, invitation_id) or abort(404)
    return _act(
        inv.request_id,
        lambda: service.record_no_show(current_user, inv) and None,
        _("已登记缺席，计入专家信用记录。"),
    )


@bp.get("/draws/<int:draw_id>/audit.json")
@public
def audit_export(draw_id: int):
    """The draw's audit record (events, inclusion proofs, signed checkpoint; names nobody), for
    `python -m expert_draw.verifier`: the request's viewers, and anyone once the result notice is published."""
    draw = db.session.get(Draw, draw_id)
    if draw is None or not proofs.can_download(current_user, draw.request):
        abort(404)
    document = proofs.audit_document(draw)
    db.session.commit()  # a checkpoint signed for the proofs is kept
    response = jsonify(document)
    response.headers["Content-Disposition"] = files.content_disposition(f"draw-{draw.id}-audit.json")
    return response


@bp.get("/<int:request_id>/verify")
@public
def verify(request_id: int):
    """专家抽取核验: what anyone needs to check a request's draws alone (the result notice links here)."""
    req = db.session.get(DrawRequest, request_id)
    if req is None or not proofs.can_download(current_user, req):
        abort(404)
    return render_template("expert_draw/verify.html", req=req, draws=sorted(req.draws, key=lambda d: d.id),
                           public=proofs.is_public(req))


# ---------------------------------------------------------------- experts


@bp.get("/my")
@roles_required(Role.EXPERT)
def my_invitations():
    rows = [present.present_invitation_for_expert(i) for i in service.invitations_of(current_user)]
    return render_template("expert_draw/my.html", rows=rows)


@bp.route("/reply/<code>", methods=["GET", "POST"])
@roles_required(Role.EXPERT)
def reply(code: str):
    inv = service.invitation_for_code(current_user, code)
    if request.method == "POST":
        try:
            if request.form.get("answer") == "confirm":
                service.confirm_invitation(current_user, inv)
                message = _("您已确认参加评审，请按时到场。")
            else:
                service.decline_invitation(current_user, inv, request.form.get("reason", ""))
                message = _("您已拒绝本次评审邀请。")
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            return redirect(url_for("expert_draw.reply", code=code))
        db.session.commit()
        flash(message, "success")
        return redirect(url_for("expert_draw.my_invitations"))
    return render_template("expert_draw/reply.html", inv=present.present_invitation_for_expert(inv))


# ---------------------------------------------------------------- the rule table

@bp.route("/rules", methods=["GET", "POST"])
@roles_required(*rules_views.VIEWERS)
def rules_page():
    """The draw's part of the region rules page (region_rules), kept at its address."""
    return rules_views.page_for("expert_draw", "expert_draw.rules_page")
