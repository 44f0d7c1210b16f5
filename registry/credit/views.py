"""Pages of credit: the records and their import, an organisation's credit (score, records, cards,
sanctions), a warning card (the supplier answers, the supervisor decides), and revoking a sanction."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from accounts.models import Role
from core import files
from core.db import db
from core.errors import DomainError, Forbidden, NotFound, ValidationError, settle_refusal
from core.i18n import N_
from registry.credit import importer, service
from registry.credit.models import CardStatus, RecordKind, SanctionLevel

bp = Blueprint("registry_credit", __name__, url_prefix="/credit")
IMPORTERS = service.IMPORTERS
KIND_LABELS = {
    "dishonest_debtor": N_("失信被执行人"),
    "tax_violation": N_("重大税收违法失信主体"),
    "procurement_violation": N_("政府采购严重违法失信行为"),
}
LEVEL_LABELS = {"warning": N_("警示"), "restricted": N_("限制交易"), "banned": N_("禁止参加政府采购活动")}
CARD_LABELS = {"open": N_("待陈述"), "answered": N_("已陈述"), "sanctioned": N_("已惩戒"), "dismissed": N_("不予惩戒")}
SANCTION_LABELS = {"active": N_("执行中"), "lifted": N_("期满解除"), "revoked": N_("已撤销")}
MATCH_LABELS = {"uscc": N_("代码一致"), "name": N_("仅名称相同"), "none": N_("平台无此单位")}
RULE_LABELS = {
    "credit.bars": N_("列入失信名单或被禁止参加政府采购活动"),
    "credit.score": N_("诚信分低于阈值"),
    "credit.sanction_in_force": N_("信用惩戒正在执行"),
    "credit.name_match": N_("记录名称与本单位相同、代码不同或缺失"),
}
STAGE_LABELS = {"import": N_("名单导入"), "registration": N_("注册审核"), "bid": N_("投标"), "award": N_("定标")}
LABELS = {"kind": KIND_LABELS, "level": LEVEL_LABELS, "card": CARD_LABELS, "sanction": SANCTION_LABELS,
          "match": MATCH_LABELS, "rule": RULE_LABELS, "stage": STAGE_LABELS}


def _done(message: str, endpoint: str, **values):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(endpoint, **values))


def _failed(exc: DomainError, endpoint: str, **values):
    settle_refusal(exc)
    flash(exc.message, "danger")
    return redirect(url_for(endpoint, **values))


@bp.get("/")
def index():
    if not current_user.has_role(*service.READERS):
        if current_user.has_role(Role.SUPPLIER):
            return redirect(url_for("registry_credit.mine"))
        raise Forbidden(_("您的角色无权查看诚信记录。"), code="forbidden")
    kind = request.args.get("kind") or None
    kind = RecordKind(kind) if kind in KIND_LABELS else None
    query = request.args.get("q", "")
    return render_template(
        "registry/credit/index.html", records=service.list_records(kind, query), kind=kind, query=query,
        cards=service.list_cards(), sanctions=service.list_sanctions(), labels=LABELS,
        may_import=current_user.has_role(*IMPORTERS))


@bp.route("/import", methods=["GET", "POST"])
def import_file():
    if not current_user.has_role(*IMPORTERS):
        raise Forbidden(_("只有财政部门可以导入诚信记录。"), code="forbidden")
    report = None
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash(_("请选择要导入的 CSV 或 XLSX 文件。"), "danger")
            return render_template("registry/credit/import.html", report=None, columns=importer.COLUMNS), 422
        report = importer.import_records_file(upload.read(), upload.filename, current_user)
        if report.ok:
            db.session.commit()
            flash(_("已导入 %(n)s 条记录（已有而跳过 %(s)s 条，按统一社会信用代码匹配到单位 %(m)s 条）。",
                    n=report.created, s=report.skipped, m=report.matched), "success")
            return redirect(url_for("registry_credit.index"))
        db.session.rollback()
        flash(_("文件有 %(n)s 处问题，未导入任何数据。请按下表修改后重新导入。", n=len(report.problems)), "danger")
        if request.form.get("format") == "csv":
            return Response(importer.report_csv(report), mimetype="text/csv",
                            headers={"Content-Disposition": files.content_disposition("credit-import-report.csv")}), 422
        return render_template("registry/credit/import.html", report=report, columns=importer.COLUMNS), 422
    return render_template("registry/credit/import.html", report=report, columns=importer.COLUMNS)


@bp.get("/mine")
def mine():
    if current_user.org_id is None:
        raise NotFound(_("您的账户不属于任何单位。"), code="org_not_found")
    return redirect(url_for("registry_credit.org", org_id=current_user.org_id))


@bp.get("/orgs/<int:org_id>")
def org(org_id: int):
    if not service.can_see_org(current_user, org_id):
        raise Forbidden(_("只能查看本单位的诚信信息。"), code="credit_org_forbidden")
    found = service.get_org(org_id)
    assessment = service.assess_org(found)
    strong, weak = service.records_of(service.Party.of(found))
    return render_template(
        "registry/credit/org.html", org=found, assessment=assessment, strong=strong, weak=weak,
        cards=service.cards_of_org(org_id), sanctions=service.sanctions_of_org(org_id), labels=LABELS,
        may_decide=current_user.has_role(*service.SUPERVISORS))


@bp.get("/cards/<int:card_id>")
def card(card_id: int):
    found = service.card_for(current_user, card_id)
    return render_template(
        "registry/credit/card.html", card=found, records=service.records_used(found), labels=LABELS,
        levels=[level.value for level in SanctionLevel],
        may_answer=found.status is CardStatus.OPEN and current_user.has_role(Role.SUPPLIER)
        and current_user.org_id == found.org_id,
        may_decide=found.status in (CardStatus.OPEN, CardStatus.ANSWERED)
        and current_user.has_role(*service.SUPERVISORS))


@bp.post("/cards/<int:card_id>/answer")
def answer(card_id: int):
    uploads = [(f.filename, f.stream) for f in request.files.getlist("evidence") if f and f.filename]
    try:
        service.answer_card(current_user, card_id, request.form.get("statement", ""), uploads)
    except DomainError as exc:
        return _failed(exc, "registry_credit.card", card_id=card_id)
    return _done(_("书面陈述已提交，监管部门将据此作出决定。"), "registry_credit.card", card_id=card_id)


@bp.post("/cards/<int:card_id>/decide")
def decide(card_id: int):
    action, reason = request.form.get("action"), request.form.get("reason", "")
    try:
        if action == "sanction":
            sanction = service.apply_sanction(current_user, card_id, reason, request.form.get("level") or None)
            message = _("已作出信用惩戒：%(level)s。", level=_(LEVEL_LABELS[sanction.level.value]))
        elif action == "dismiss":
            service.dismiss_card(current_user, card_id, reason)
            message = _("已决定不予惩戒。")
        else:
            raise ValidationError(_("未知的操作。"), code="action_invalid")
    except DomainError as exc:
        return _failed(exc, "registry_credit.card", card_id=card_id)
    return _done(message, "registry_credit.card", card_id=card_id)


@bp.post("/sanctions/<int:sanction_id>/revoke")
def revoke(sanction_id: int):
    org_id = service.get_sanction(sanction_id).org_id
    try:
        service.revoke_sanction(current_user, sanction_id, request.form.get("reason", ""))
    except DomainError as exc:
        return _failed(exc, "registry_credit.org", org_id=org_id)
    return _done(_("信用惩戒已撤销。"), "registry_credit.org", org_id=org_id)


@bp.get("/cards/<int:card_id>/evidence/<int:evidence_id>")
def evidence(card_id: int, evidence_id: int):
    found = service.card_for(current_user, card_id)
    item = next((e for e in found.evidence if e.id == evidence_id), None)
    if item is None:
        raise NotFound(_("材料不存在。"), code="credit_evidence_not_found")
    return files.send_download(service.AREA.absolute(item.path), item.name, inline=True)
