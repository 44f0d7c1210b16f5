"""Plan pages: the unit's plans and intentions, a plan with its chain and the reviewer's decision, the
confirmations, and finance's region configuration page (rules, payment accounts, workflows, the file import,
the intranet's day). Thin: every write is a service function; the view commits once."""

from __future__ import annotations

import json
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from accounts.models import Role
from accounts.orgs import is_finance
from audit.service import record
from core import clock, money
from core.auth import roles_required
from core.db import db
from core.errors import DomainError, ValidationError
from plan import confirmations, intranet, plans, rules, workflow
from plan.models import Confirmation, PaymentAccount, Plan
from portal.dashboard import nav_item
from region_rules.keys import keys_of

bp = Blueprint("plan", __name__, url_prefix="/plans")
USERS = (Role.PURCHASER, Role.FINANCE_REVIEWER, Role.SUPERVISOR, Role.ADMIN, Role.AGENCY_STAFF)
FINANCE = (Role.FINANCE_REVIEWER, Role.SUPERVISOR, Role.ADMIN)
STATUS_ZH = {"draft": _l("草稿"), "in_review": _l("审批中"), "returned": _l("已退回"), "approved": _l("已批准"),
             "rejected": _l("不予批准"), "withdrawn": _l("已撤回")}
STEP_ZH = {"waiting": _l("待办"), "active": _l("办理中"), "approved": _l("通过"), "returned": _l("退回"),
           "rejected": _l("不予批准"), "skipped": _l("不适用"), "void": _l("未办理")}


def _fail(exc: DomainError, target: str):
    db.session.rollback()
    fields = exc.details.get("fields") if isinstance(exc.details, dict) else None
    flash(exc.message + (("：" + "；".join(fields.values())) if fields else ""), "danger")
    return redirect(target)


def _region() -> str:
    return current_user.org.region_code if current_user.org else current_user.region_code


@bp.route("/")
@roles_required(*USERS)
def index():
    org_id = current_user.org_id
    mine = plans.plans_of(org_id) if org_id else []
    region_plans = []
    if is_finance(current_user):
        region_plans = list(db.session.scalars(select(Plan).where(Plan.region_code == _region())
                                               .order_by(Plan.id.desc()).limit(100)))
    return render_template("plan/index.html", plans=mine, region_plans=region_plans,
                           waiting=workflow.steps_waiting_for(current_user), status_zh=STATUS_ZH,
                           is_clerk=bool(org_id and plans.is_clerk(current_user, org_id)),
                           usable=confirmations.usable_confirmations(org_id) if org_id else [])


def _plan_data(form) -> dict:
    try:
        budget = money.parse_yuan(form.get("budget_yuan", ""))
    except money.MoneyError:
        budget = None
    quantity = form.get("quantity", "")
    intention = form.get("intention_id", "")
    return {"title": form.get("title", ""), "plan_type": form.get("plan_type", ""),
            "budget_project_code": form.get("budget_project_code", ""), "fund_nature": form.get("fund_nature", ""),
            "org_form": form.get("org_form", ""), "method": form.get("method", ""),
            "expected_month": form.get("expected_month", ""),
            "intention_id": int(intention) if intention.isdigit() else None,
            **{flag: form.get(flag) == "on" for flag in plans.FLAGS},
            "items": [{"catalogue_code": form.get("catalogue_code", ""), "name": form.get("item_name", ""),
                       "quantity": int(quantity) if quantity.isdigit() else None, "unit": form.get("unit", ""),
                       "budget_fen": budget}]}


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.PURCHASER)
def new():
    if request.method == "POST":
        try:
            plan = plans.create_plan(current_user, _plan_data(request.form))
            db.session.commit()
        except DomainError as exc:
            return _fail(exc, url_for("plan.new"))
        flash(_("采购计划已保存为草稿。"), "success")
        return redirect(url_for("plan.show", plan_id=plan.id))
    region = _region()
    return render_template("plan/new.html", intentions=plans.intentions_of(current_user.org_id or 0),
                           plan_types=rules.plan_types(region), funds=rules.fund_natures(region),
                           org_forms=plans.ORG_FORMS, methods=plans.METHODS)


def _can_see(plan: Plan) -> bool:
    user = current_user
    return (user.org_id == plan.org_id or is_finance(user, plan.region_code)
            or any(s.actor_org_id == user.org_id for s in plan.steps))


@bp.route("/<int:plan_id>")
@roles_required(*USERS)
def show(plan_id: int):
    plan = plans.get_plan(plan_id)
    if not _can_see(plan):
        abort(403)
    step = workflow.current_step(plan)
    confirmation = db.session.scalar(select(Confirmation).where(Confirmation.plan_id == plan.id))
    return render_template("plan/show.html", plan=plan, step=step, status_zh=STATUS_ZH, step_zh=STEP_ZH,
                           can_act=step is not None and workflow.can_act(current_user, step),
                           is_clerk=plans.is_clerk(current_user, plan.org_id), diff=workflow.diff_for_reviewer(plan),
                           confirmation=confirmation, methods=plans.METHODS, org_forms=plans.ORG_FORMS)


@bp.post("/<int:plan_id>/submit")
@roles_required(Role.PURCHASER)
def submit(plan_id: int):
    try:
        workflow.submit_plan(current_user, plan_id)
        db.session.commit()
    except DomainError as exc:
        return _fail(exc, url_for("plan.show", plan_id=plan_id))
    flash(_("采购计划已提交审批。"), "success")
    return redirect(url_for("plan.show", plan_id=plan_id))


@bp.post("/<int:plan_id>/act")
@roles_required(*USERS)
def act(plan_id: int):
    try:
        workflow.act_on_plan(current_user, plan_id, request.form.get("decision", ""), request.form.get("reason", ""))
        db.session.commit()
    except DomainError as exc:
        return _fail(exc, url_for("plan.show", plan_id=plan_id))
    flash(_("审批意见已提交。"), "success")
    return redirect(url_for("plan.show", plan_id=plan_id))


@bp.post("/<int:plan_id>/withdraw")
@roles_required(Role.PURCHASER)
def withdraw(plan_id: int):
    try:
        workflow.withdraw_plan(current_user, plan_id, request.form.get("reason", ""))
        db.session.commit()
    except DomainError as exc:
        return _fail(exc, url_for("plan.show", plan_id=plan_id))
    flash(_("采购计划已撤回。"), "success")
    return redirect(url_for("plan.show", plan_id=plan_id))


@bp.route("/intentions", methods=["GET", "POST"])
@roles_required(Role.PURCHASER)
def intentions():
    if request.method == "POST":
        try:
            budget = money.parse_yuan(request.form.get("budget_yuan", ""))
        except money.MoneyError:
            budget = None
        try:
            row = plans.create_intention(current_user, {
                "title": request.form.get("title", ""), "needs": request.form.get("needs", ""), "budget_fen": budget,
                "expected_month": request.form.get("expected_month", "")})
            if request.form.get("publish") == "on":
                plans.publish_intention(current_user, row.id)
            db.session.commit()
        except DomainError as exc:
            return _fail(exc, url_for("plan.intentions"))
        flash(_("采购意向已保存。"), "success")
        return redirect(url_for("plan.intentions"))
    return render_template("plan/intentions.html", intentions=plans.intentions_of(current_user.org_id or 0),
                           min_days=rules.rule(_region(), "plan.intention_min_days"))


@bp.post("/intentions/<int:intention_id>/publish")
@roles_required(Role.PURCHASER)
def publish_intention(intention_id: int):
    try:
        plans.publish_intention(current_user, intention_id)
        db.session.commit()
    except DomainError as exc:
        return _fail(exc, url_for("plan.intentions"))
    flash(_("采购意向已公开。"), "success")
    return redirect(url_for("plan.intentions"))


@bp.route("/confirmations/<int:confirmation_id>")
@roles_required(*USERS)
def confirmation(confirmation_id: int):
    row = confirmations.get_confirmation(confirmation_id)
    if not (confirmations.can_use(current_user, row) or is_finance(current_user, row.region_code)):
        abort(403)
    return render_template("plan/confirmation.html", c=row, draws=confirmations.draws_of(row),
                           intact=confirmations.is_intact(row), remaining=confirmations.remaining_fen(row))


# ---------------------------------------------------------------- finance's region configuration

@bp.route("/config", methods=["GET", "POST"])
@roles_required(*FINANCE)
def config():
    region = _region()
    if request.method == "POST":
        try:
            _save_config(region, request.form)
            db.session.commit()
        except DomainError as exc:
            return _fail(exc, url_for("plan.config"))
        flash(_("配置已保存。"), "success")
        return redirect(url_for("plan.config"))
    from region_rules import store

    snapshot = store.snapshot(region)
    flows = workflow.workflows_of(region)
    accounts = list(db.session.scalars(select(PaymentAccount).where(PaymentAccount.region_code == region)
                                       .order_by(PaymentAccount.effective_on.desc())))
    day = date.fromisoformat(request.args["day"]) if request.args.get("day", "").count("-") == 2 else \
        clock.to_local(clock.now()).date()
    return render_template("plan/config.html", region=region, rules=[(k, snapshot[k.key]) for k in keys_of("plan")],
                           groups=_other_groups(), flows=flows, accounts=accounts,
                           report=intranet.reconciliation(day), auto_rules=workflow.AUTO_RULES,
                           example=json.dumps([{"name": s.name, "actor_org": s.actor_org, "post": s.post,
                                                "stage": s.stage, "condition": s.condition, "auto_rule": s.auto_rule,
                                                "auto_params": s.auto_params} for s in flows[0].steps]
                                              if flows else [], ensure_ascii=False, indent=1),
                           tr=_)


def _other_groups() -> list[tuple[str, str]]:
    from region_rules.keys import GROUPS

    return [(g, str(t)) for g, t in GROUPS.items()]


def _save_config(region: str, form) -> None:
    if not is_finance(current_user, region):
        raise ValidationError(_("只有本地区财政部门可以修改配置。"), code="not_finance")
    what = form.get("what")
    if what == "account":
        try:
            effective = date.fromisoformat(form.get("effective_on", ""))
        except ValueError:
            raise ValidationError(_("生效日期格式应为 2027-01-01。"), code="account_invalid") from None
        name, bank, number = (form.get(k, "").strip() for k in ("name", "bank", "account_no"))
        if not (name and bank and number.isdigit() and 8 <= len(number) <= 40):
            raise ValidationError(_("请填写账户名称、开户行和 8–40 位数字账号。"), code="account_invalid")
        row = PaymentAccount(region_code=region, name=name[:120], bank=bank[:120], account_no=number,
                             effective_on=effective, created_by_id=current_user.id, created_at=clock.now())
        db.session.add(row)
        db.session.flush()
        record("plan.payment_account_added", row, {"region": region, "account_no": number,
                                                   "effective_on": effective.isoformat()})
    elif what == "workflow":
        try:
            steps = json.loads(form.get("steps", ""))
        except ValueError:
            raise ValidationError(_("流程环节须为 JSON 列表。"), code="workflow_invalid") from None
        workflow.define_workflow(current_user, region, form.get("plan_type", ""), form.get("name", ""), steps)
    elif what == "import":
        upload = request.files.get("file")
        if upload is None:
            raise ValidationError(_("请选择文件。"), code="import_missing")
        report = intranet.import_confirmations(current_user, upload.read(2_000_000).decode("utf-8", "replace"))
        flash(_("导入 %(ok)s 份确认书，%(bad)s 行未导入。", ok=len(report["recorded"]), bad=len(report["refused"])),
              "info")
    else:
        abort(400)


nav_item(_l("采购计划"), "plan.index", Role.PURCHASER, Role.FINANCE_REVIEWER, Role.SUPERVISOR)
nav_item(_l("区划内规则配置"), "plan.config", Role.FINANCE_REVIEWER, Role.SUPERVISOR, Role.ADMIN, more=True)
