"""The supervisor's page: the rules in force for a region, what they inherit, and a dated change."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from accounts.models import Region, Role, User
from core import clock
from core.auth import roles_required
from core.db import db
from core.errors import DomainError, ValidationError
from portal.dashboard import nav_item
from region_rules import store
from region_rules.keys import GROUPS, RuleInvalid, RuleType, keys_of

bp = Blueprint("region_rules", __name__, url_prefix="/supervision/rules")
VIEWERS = (Role.SUPERVISOR, Role.ADMIN, Role.FINANCE_REVIEWER)
EDITORS = (Role.SUPERVISOR, Role.ADMIN)


def _region_or_none(text: str) -> str | None:
    code = text.strip() or None
    if code is not None and db.session.get(Region, code) is None:
        raise ValidationError(_("区划代码不存在。"), code="region_invalid")
    return code


def _entered(group: str, region: str | None, form) -> dict[str, str]:
    """The rules the form changes: an empty number or choice keeps what is in force, and so does a
    value equal to it (text fields come filled in with the value in force; emptying one is a change)."""
    in_force = store.snapshot(region).values
    changes = {}
    for spec in keys_of(group):
        text = form.get(spec.name)
        if text is None or (not text.strip() and spec.type is not RuleType.TEXT):
            continue
        try:
            same = spec.coerce(text) == in_force[spec.key]
        except RuleInvalid:
            same = False
        if not same:
            changes[spec.key] = text
    return changes


def _effective_on(text: str) -> date:
    if not text.strip():
        raise ValidationError(_("请填写生效日期。"), code="rule_effective_missing")
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(_("生效日期格式应为 2027-01-01。"), code="rule_effective_invalid") from None


def save_from_form(group: str, form) -> None:
    """One dated change of one group's rules for one region, from the page's form (commits)."""
    region = _region_or_none(form.get("region_code", ""))
    values = _entered(group, region, form)
    store.check_values(values)  # what is wrong with a value is said before a missing date
    store.set_values(current_user, region, values, effective_on=_effective_on(form.get("effective_on", "")),
                     reason=form.get("reason", ""))
    db.session.commit()


def page_for(group: str, endpoint: str, endpoint_args: dict[str, str] | None = None):
    """GET: the group's rules in force for the region asked; POST (supervisors): a dated change."""
    if group not in GROUPS:
        abort(404)
    kwargs = endpoint_args or {}
    can_edit = current_user.has_role(*EDITORS)
    if request.method == "POST":
        if not can_edit:
            abort(403)
        try:
            save_from_form(group, request.form)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            return redirect(url_for(endpoint, region=request.form.get("region_code", ""), **kwargs))
        flash(_("规则已保存，自生效日期起适用，版本号随之更新。"), "success")
        return redirect(url_for(endpoint, region=request.form.get("region_code", ""), **kwargs))
    try:
        region = _region_or_none(request.args.get("region", ""))
    except ValidationError as exc:
        flash(exc.message, "danger")
        region = None
    rules = store.snapshot(region)
    regions = {r.code: r for r in db.session.scalars(select(Region))}
    keys = keys_of(group)
    history = [(n, change, [v for v in change.values if v.key in {k.key for k in keys}])
               for n, change in store.history(region)]
    authors = {u.id: u.name for u in db.session.scalars(select(User).where(
        User.id.in_({c.created_by_id for _n, c, _s in history if c.created_by_id})))}
    return render_template("region_rules/rules.html", change_authors=authors, group=group, groups=GROUPS,
                           keys=keys, rules=rules, region=regions.get(region) if region else None, regions=regions,
                           history=[h for h in history if h[2]], version=rules.version, can_edit=can_edit,
                           today=clock.to_local(clock.now()).date().isoformat(), endpoint=endpoint,
                           endpoint_args=kwargs, RuleType=RuleType,
                           tr=_)  # labels may hold "%": translated without the template's %-formatting


@bp.route("/<group>", methods=["GET", "POST"])
@roles_required(*VIEWERS)
def group_page(group: str):
    return page_for(group, "region_rules.group_page", {"group": group})


@bp.route("")
@roles_required(*VIEWERS)
def index():
    return redirect(url_for("region_rules.group_page", group=next(iter(GROUPS), "tender")))


nav_item(_l("区划规则"), "region_rules.index", *EDITORS, more=True)
