"""Pages of the collusion signals: the supervisor's list of flags with their evidence, one flag, a
supplier's identity group, and recomputing a lot. The committee sees its lot's flags in the evaluation
room (templates/registry/collusion/_signals.html, included there)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from accounts.models import Org, Role
from core import clock, money
from core.auth import roles_required
from core.db import db
from core.errors import NotFound
from core.i18n import N_
from registry.collusion import identity, service
from registry.collusion.signals import KINDS

bp = Blueprint("registry_collusion", __name__, url_prefix="/collusion")
OVERSEERS = (Role.SUPERVISOR, Role.ADMIN)

KIND_ZH = {
    "same_signing_key": N_("同一签名密钥"),
    "same_sealing_device": N_("同一加密设备（同一投标人密钥）"),
    "same_network_address": N_("同一网络地址递交"),
    "same_user_agent": N_("同一浏览器或工具递交"),
    "same_deposit_account": N_("投标保证金从同一账户转出"),
    "identical_file": N_("文件完全相同"),
    "same_document_metadata": N_("文档属性相同（作者、单位、模板、工具）"),
    "near_duplicate_text": N_("文本异常一致"),
    "identical_prices": N_("报价相同"),
    "price_progression": N_("报价呈规律性差异"),
    "price_close_to_lowest": N_("次低价贴近最低价"),
    "heavily_discounted": N_("最低价大幅低于次低价"),
    "serial_loser": N_("屡投不中"),
    "identity_group": N_("关联供应商（共用人员、电话、地址或账户）"),
}
STRENGTH_ZH = {"strong": N_("强"), "weak": N_("弱")}
FIELD_ZH = {"author": N_("作者"), "last_modified_by": N_("最后修改人"), "company": N_("单位"),
            "template": N_("模板"), "tool": N_("创建工具"), "producer": N_("PDF 生成程序")}
LINK_ZH = identity.KIND_ZH  # translated where shown


@bp.app_context_processor
def collusion_labels() -> dict:
    return {"COLLUSION_KIND_ZH": KIND_ZH, "COLLUSION_STRENGTH_ZH": STRENGTH_ZH, "COLLUSION_FIELD_ZH": FIELD_ZH,
            "COLLUSION_LINK_ZH": LINK_ZH, "collusion_yuan": money.format_yuan}


@bp.get("/")
@roles_required(*OVERSEERS)
def index():
    kind = request.args.get("kind") or None
    flags = [service.describe(f) for f in service.flags_for(current_user, kind if kind in KINDS else None)]
    return render_template("registry/collusion/index.html", flags=flags, kind=kind, clock=clock)


@bp.get("/flags/<int:flag_id>")
@roles_required(*OVERSEERS)
def detail(flag_id: int):
    flag = service.describe(service.flag_of(current_user, flag_id))
    run = service.run_of(flag["lot_id"])
    return render_template("registry/collusion/detail.html", flag=flag, run=run, clock=clock)


@bp.post("/lots/<int:lot_id>/recompute")
@roles_required(*OVERSEERS)
def recompute(lot_id: int):
    from tender.models import Lot

    lot = db.session.get(Lot, lot_id)
    if lot is None:
        raise NotFound("标项不存在。", code="lot_not_found")
    service.check_view_lot(current_user, lot)
    run = service.compute_lot(lot)
    db.session.commit()
    flash(_("已重新计算，发现 %(n)s 条预警。", n=len(run.flags)), "success")
    return redirect(request.referrer or url_for("registry_collusion.index"))


@bp.get("/suppliers/<int:org_id>")
@roles_required(*OVERSEERS)
def group(org_id: int):
    org = db.session.get(Org, org_id)
    if org is None:
        raise NotFound("供应商不存在。", code="org_not_found")
    found = identity.group_of(org_id)
    names = {o.id: o.name for o in db.session.query(Org).filter(Org.id.in_(found["members"]))}
    return render_template("registry/collusion/group.html", org=org, group=found, names=names)
