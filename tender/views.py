"""Pages of the tender (thin: parse the form, call the service, commit once, render).

Public: a lot's custody policy file (the notice pages are `notices.views`; tender adds the project panel
under its notices). Everything else needs a login; what a viewer sees of
bids is decided by the services (`bids.my_bids`, `hall.state_for`), never in templates.
"""

from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from accounts.models import KeyPurpose, Org, OrgKind, PublicKey, Role, User
from core import clock, files, money
from core.auth import public
from core.db import db
from core.errors import DomainError, ValidationError, settle_refusal
from notices.models import Notice
from notices.views import subject_panel
from tender import bids as bid_service
from tender import filestore, hall, service
from tender.transitions import METHOD_SWITCHES, Category, EvalMethod, Method, OpeningMode, ProjectStatus

bp = Blueprint("tender", __name__)


@bp.app_context_processor
def tender_labels() -> dict:
    return {"METHOD_ZH": service.METHOD_ZH, "CATEGORY_ZH": service.CATEGORY_ZH,
            "STATUS_ZH": hall.STATUS_ZH, "BID_STATUS_ZH": hall.BID_STATUS_ZH}


# ---------------------------------------------------------------- public notices

@subject_panel("tender_project")
def notice_panel(notice: Notice) -> dict:
    """Under a tender project's notice (/notices/<id>): the project, its lots' custody policies, the next step."""
    project = service.get_project(notice.subject_id)
    return {"template": "tender/_notice_panel.html", "scripts": ["js/tender/countdown.js"], "project": project,
            "next_event": hall.next_event(project)}


@bp.get("/notices/lots/<int:lot_id>/policy.json")
@public
def lot_policy_file(lot_id: int):
    """A published lot's frozen custody policy: public, like the hash in the notice."""
    from flask import Response

    from tender.models import Lot

    lot = db.session.get(Lot, lot_id)
    if lot is None or lot.policy_json is None:
        abort(404)
    name = f"policy-{lot.project.code}-{lot.number}.json"
    return Response(lot.policy_json, mimetype="application/json",
                    headers={"Content-Disposition": files.content_disposition(name)})


# ---------------------------------------------------------------- projects

@bp.get("/tender/")
def index():
    user = current_user
    mine = []
    if user.has_role(Role.AGENCY_STAFF):
        mine = service.projects_of_agency(user)
    elif service.is_supplier(user):
        mine = service.projects_of_supplier(user)
    custody = service.projects_of_custodian(user)
    return render_template("tender/index.html", mine=mine, custody=custody, open_projects=[
        p for p in service.public_projects() if p.status in (ProjectStatus.PUBLISHED, ProjectStatus.BIDDING)])


def _custodian_candidates(first: list[User] = ()) -> list[User]:
    """Users (not suppliers) who hold a registered encryption key; `first` (a draft's custodians, in
    their order) lead the list, so that the multi-select sends them back in the same order."""
    ids = db.session.scalars(select(PublicKey.user_id).where(PublicKey.purpose == KeyPurpose.ENCRYPT,
                                                            PublicKey.revoked_at.is_(None))).all()
    users = db.session.scalars(select(User).where(User.id.in_(set(ids))).order_by(User.id)).all()
    lead = {u.id for u in first}
    return [*first, *(u for u in users if u.id not in lead and not u.has_role(Role.SUPPLIER))]


SEPARATOR = re.compile(r"[,，|]")
PRICE_MARKS = ("价格", "price", "是", "1")


def _rows(text: str) -> list[tuple[str, list[str]]]:
    """Non-empty lines as (line, separator positions)."""
    return [(line, [m.start() for m in SEPARATOR.finditer(line)])
            for line in (text or "").splitlines() if line.strip()]


def _tail(line: str, cuts: list[int], count: int) -> tuple[str, list[str]]:
    """A line as a name (which may hold separators itself) and its last `count` fields."""
    start = cuts[-count]
    return line[:start].strip(), [part.strip() for part in SEPARATOR.split(line[start + 1:])]


def _field_error(field: str, message: str) -> ValidationError:
    return ValidationError(message, code="project_invalid", details={"fields": {field: message}})


def _yuan(text: str, where: str) -> int:
    try:
        return money.parse_yuan(text)
    except (ValueError, TypeError) as exc:
        raise _field_error("lots", _("%(where)s的金额“%(text)s”无效。", where=where, text=text)) from exc


def _plain_yuan(fen: int) -> str:
    """An amount as the lots textarea reads it back (no thousands separators)."""
    yuan, cents = divmod(fen, 100)
    return f"{yuan}.{cents:02d}" if cents else str(yuan)


def _local_value(dt) -> str:
    return clock.format_local(dt, "%Y-%m-%dT%H:%M")


def _local(name: str, keep=None) -> str | None:
    value = request.form.get(name, "").strip()
    if not value:
        return None
    if keep is not None and value == _local_value(getattr(keep, name)):
        return clock.as_utc(getattr(keep, name)).isoformat()  # untouched: keep its seconds
    try:
        return clock.parse_local(value).isoformat()
    except ValueError:
        return value  # the service reports it with its own message


def _lots(text: str) -> list[dict]:
    lots = []
    for i, (line, cuts) in enumerate(_rows(text), start=1):
        if len(cuts) < 2:
            raise _field_error("lots", _("标项第 %(i)s 行应为：名称, 预算金额(元), 最高限价(元)。", i=i))
        name, (budget, ceiling) = _tail(line, cuts, 2)
        lots.append({"name": name, "budget_fen": _yuan(budget, _("标项 %(i)s 预算", i=i)),
                     "max_price_fen": _yuan(ceiling, _("标项 %(i)s 最高限价", i=i))})
    return lots


def _criteria(text: str) -> list[dict]:
    """名称, 分值[, 价格] per line; the name may itself hold commas. A line starting with "-" is a sub-item
    (评分细则) of the criterion above it: "- 内容, 分值"."""
    marks = {*PRICE_MARKS, _("价格").lower()}
    criteria = []
    for i, (line, cuts) in enumerate(_rows(text), start=1):
        fields = SEPARATOR.split(line)
        if line.lstrip().startswith(("-", "－")):
            if not criteria or not cuts or not fields[-1].strip().isdigit():
                raise _field_error("criteria", _("评分细则第 %(i)s 行应为：- 内容, 分值（写在所属评分因素的下一行）。",
                                                 i=i))
            text_part, (points,) = _tail(line, cuts, 1)
            criteria[-1].setdefault("items", []).append({"text": text_part.lstrip(" -－").strip(),
                                                         "points": int(points)})
            continue
        if cuts and fields[-1].strip().isdigit():
            name, (weight,) = _tail(line, cuts, 1)
            price = False
        elif len(cuts) >= 2 and fields[-2].strip().isdigit():
            name, (weight, mark) = _tail(line, cuts, 2)
            price = mark.lower() in marks
        else:
            raise _field_error("criteria", _("评分因素第 %(i)s 行应为：名称, 分值[, 价格]。", i=i))
        criteria.append({"name": name, "weight": int(weight), "price": price})
    return criteria


def form_data(keep=None) -> dict:
    """The project form as the service's input (lots and criteria one per line). `keep`: the draft
    being edited, whose times stay exact where the form sends them back unchanged."""
    f = request.form

    def as_int(name: str, default: int | None = None) -> int | None:
        value = f.get(name, "").strip()
        return int(value) if value.isdigit() else default

    return {"title": f.get("title", ""), "purchaser_org_id": as_int("purchaser_org_id"),
            "catalogue_code": f.get("catalogue_code", ""), "category": f.get("category"),
            "method": f.get("method"), "eval_method": f.get("eval_method"), "criteria": _criteria(f.get("criteria")),
            "price_fixed": bool(f.get("price_fixed")), "same_brand_counts_once": bool(f.get("same_brand_counts_once")),
            "is_complex": bool(f.get("is_complex")), "complex_reason": f.get("complex_reason", ""),
            "sme_percent": f.get("sme_percent", "").strip(),
            "sme_consortium_percent": f.get("sme_consortium_percent", "").strip(),
            "confirm_uncovered_year": f.get("confirm_uncovered_year", "").strip(),
            "lots": _lots(f.get("lots", "")),
            **{name: _local(name, keep) for name in service.TIME_NAMES},
            "opening_mode": f.get("opening_mode"), "decrypt_window_minutes": as_int("decrypt_window_minutes", 30),
            "custodian_user_ids": [int(v) for v in f.getlist("custodian_user_ids") if v.isdigit()],
            "include_vault": bool(f.get("include_vault")), "include_tlock": bool(f.get("include_tlock")),
            "k": as_int("k")}


def form_of(project) -> MultiDict:
    """A draft as the project form shows it: what `form_data` reads back to the same input."""
    price = _("价格")
    values = service.project_input(project)
    form = MultiDict({
        "title": values["title"], "purchaser_org_id": str(values["purchaser_org_id"]),
        "catalogue_code": values["catalogue_code"], "category": values["category"], "method": values["method"],
        "eval_method": values["eval_method"],
        "criteria": "\n".join(f"{c['name']}, {c['weight']}" + (f", {price}" if c["price"] else "")
                              + "".join(f"\n- {x['text']}, {x['points']}" for x in c.get("items", []))
                              for c in values["criteria"]),
        "lots": "\n".join(f"{lot['name']}, {_plain_yuan(lot['budget_fen'])}, {_plain_yuan(lot['max_price_fen'])}"
                          for lot in values["lots"]),
        **{name: _local_value(getattr(project, name)) for name in service.TIME_NAMES},
        "opening_mode": values["opening_mode"], "decrypt_window_minutes": str(values["decrypt_window_minutes"]),
        "k": str(values["k"]), "complex_reason": values["complex_reason"],
        "sme_percent": values["sme_percent"] or "", "sme_consortium_percent": values["sme_consortium_percent"] or ""})
    for name in ("price_fixed", "same_brand_counts_once", "include_vault", "include_tlock", "is_complex"):
        if values[name]:
            form[name] = "1"
    form.setlist("custodian_user_ids", [str(uid) for uid in values["custodian_user_ids"]])
    return form


def _project_form(errors: dict, form, project=None):
    purchasers = db.session.scalars(select(Org).where(Org.kind == OrgKind.PURCHASER).order_by(Org.name)).all()
    first = [c.user for c in project.custodians if c.user is not None] if project is not None else []
    return render_template("tender/new.html", errors=errors, form=form, purchasers=purchasers, editing=project,
                           custodians=_custodian_candidates(first), categories=list(Category), methods=list(Method),
                           eval_methods=list(EvalMethod), modes=list(OpeningMode))


def _field_errors(exc: DomainError) -> dict:
    return exc.details.get("fields") or {"form": exc.message}


@bp.route("/tender/new", methods=["GET", "POST"])
def new_project():
    if not current_user.has_role(Role.AGENCY_STAFF):
        abort(403)
    errors: dict = {}
    if request.method == "POST":
        try:
            project = service.create_project(current_user, form_data())
            db.session.commit()
            flash(_("项目已创建（草稿）。请上传招标文件，核对后发布。"), "success")
            return redirect(url_for("tender.project", project_id=project.id))
        except DomainError as exc:
            db.session.rollback()
            errors = _field_errors(exc)
    return _project_form(errors, request.form)


@bp.route("/tender/<int:project_id>/edit", methods=["GET", "POST"])
def edit_project(project_id: int):
    """The draft in the same form as a new project, prefilled; saved through `service.update_project`."""
    p = _project_or_404(project_id)
    if not service.is_project_staff(current_user, p):
        abort(403)
    if p.status != ProjectStatus.DRAFT:
        flash(_("项目已发布，不能再编辑；如需修改，请发布更正公告。"), "warning")
        return redirect(url_for("tender.project", project_id=p.id))
    if request.method == "POST":
        try:
            service.update_project(current_user, p.id, form_data(keep=p))
            db.session.commit()
            flash(_("项目草稿已保存。"), "success")
            return redirect(url_for("tender.project", project_id=p.id))
        except DomainError as exc:
            db.session.rollback()
            return _project_form(_field_errors(exc), request.form, service.get_project(project_id))
    return _project_form({}, form_of(p), p)


def _project_or_404(project_id: int):
    project = service.get_project(project_id)
    if not service.can_view(current_user, project):
        abort(404)
    return project


def _credit_warnings(p) -> dict:
    """Credit warnings of the bidders (checked at each submission), for the agency and the supervisor once
    the opening has begun: before it, who has bid is secret (87号令 Art 14)."""
    from registry.credit.service import warnings_for

    sealed = p.status in (ProjectStatus.DRAFT, ProjectStatus.PUBLISHED, ProjectStatus.BIDDING)
    if sealed or not (service.is_project_staff(current_user, p) or service.is_overseer(current_user)):
        return {}
    return warnings_for([f"tender_bid:{b.id}" for b in bid_service.current_bids(p)])


def _credit_context(p) -> dict:
    from registry.credit.service import check_summary

    return {"credit_warnings": _credit_warnings(p), "credit_summary": check_summary}


@bp.get("/tender/<int:project_id>")
def project(project_id: int):
    p = _project_or_404(project_id)
    user = current_user
    return render_template(
        "tender/project.html", project=p, staff=service.is_project_staff(user, p),
        supplier=service.is_supplier(user), registration=service.registration_of(user, p),
        can_download=service.can_download(user, p), notices=service.notices_for(user, p),
        clarifications=service.clarifications_for(user, p), my_bids=bid_service.my_bids(user, p),
        counts=bid_service.bid_counts(user, p), next_event=hall.next_event(p), bid_next_step=hall.bid_next_step,
        can_enter_hall=hall.can_enter(user, p), now=clock.now(),
        method_switches=sorted(METHOD_SWITCHES.get(p.method.value, ())), beacon=service.beacon_description(p),
        uncovered_years=service.uncovered_years(p) if p.status.value == "draft" else [],
        bidder_id=bid_service.bidder_id_of(user.org) if user.org else None, **_credit_context(p))


def _act(project_id: int, action, success: str):
    """Run a service call from a page form: commit (the service declared what the hall and the suppliers
    are told after it), flash; errors come back as a flash."""
    try:
        action()
        db.session.commit()
        flash(success, "success")
    except DomainError as exc:
        settle_refusal(exc)
        flash(exc.message, "danger")
    return redirect(url_for("tender.project", project_id=project_id))


@bp.post("/tender/<int:project_id>/documents")
def upload_document(project_id: int):
    upload = request.files.get("file")
    doc = None
    try:
        if upload is None or not upload.filename:
            raise ValidationError(_("请选择要上传的文件。"), code="document_missing")
        doc = service.add_document(current_user, service.get_project(project_id), upload.filename, upload.stream)
        db.session.commit()
        flash(_("招标文件已上传。"), "success")
    except DomainError as exc:
        db.session.rollback()
        if doc is not None:
            filestore.remove(doc.path)
        if exc.status == 413:
            raise  # answered as a 413 page naming the limit, like the API
        flash(exc.message, "danger")
    return redirect(url_for("tender.project", project_id=project_id))


@bp.post("/tender/<int:project_id>/documents/<int:doc_id>/remove")
def remove_document(project_id: int, doc_id: int):
    """Take a document off a draft (published documents change only by a correction notice)."""
    try:
        doc = service.remove_document(current_user, project_id, doc_id)
        path, name = doc.path, doc.name
        db.session.commit()
    except DomainError as exc:
        settle_refusal(exc)
        flash(exc.message, "danger")
    else:
        service.discard_file(path)
        flash(_("已删除招标文件“%(name)s”。", name=name), "success")
    return redirect(url_for("tender.project", project_id=project_id))


@bp.get("/tender/<int:project_id>/documents/<int:doc_id>")
def download_document(project_id: int, doc_id: int):
    p = _project_or_404(project_id)
    doc = service.document_for(current_user, p, doc_id)
    db.session.commit()
    return files.send_download(filestore.absolute(doc.path), doc.name)


@bp.post("/tender/<int:project_id>/publish")
def publish(project_id: int):
    year = request.form.get("confirm_uncovered_year", "")
    return _act(project_id, lambda: service.publish_project(
        current_user, project_id, confirm_uncovered_year=int(year) if year.isdigit() else None),
                _("项目已发布，采购公告和密钥托管策略哈希已公开。"))


@bp.post("/tender/<int:project_id>/cancel")
def cancel(project_id: int):
    return _act(project_id, lambda: service.cancel_project(current_user, project_id, request.form.get("reason", "")),
                _("项目已终止。"))


@bp.post("/tender/<int:project_id>/corrections")
def correction(project_id: int):
    title, body = request.form.get("title", ""), request.form.get("body", "")
    return _act(project_id, lambda: service.publish_correction(current_user, project_id, title, body),
                _("更正公告已发布。"))


@bp.post("/tender/<int:project_id>/redo")
def redo(project_id: int):
    """Procure the failed lots again by another method: a new draft project."""
    try:
        new = service.redo_failed_lots(current_user, project_id, request.form.get("method", ""),
                                       request.form.get("reason", ""))
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("tender.project", project_id=project_id))
    flash(_("已按新的采购方式生成项目草稿，请核对后发布。"), "success")
    return redirect(url_for("tender.project", project_id=new.id))


@bp.post("/tender/<int:project_id>/register")
def register(project_id: int):
    return _act(project_id, lambda: service.register_supplier(current_user, project_id),
                _("报名成功，现在可以下载招标文件。"))


@bp.post("/tender/<int:project_id>/consortium")
def consortium(project_id: int):
    """The consortium's other members, one a line: name, USCC (an empty box: bidding alone)."""
    def declare():
        members = []
        for line in request.form.get("members", "").splitlines():
            if not line.strip():
                continue
            name, _sep, uscc = line.replace("，", ",").rpartition(",")
            if not name.strip():
                raise ValidationError(_("每行写一家成员：名称,统一社会信用代码。"), code="consortium_line_invalid")
            members.append({"name": name.strip(), "uscc": uscc.strip()})
        service.declare_consortium(current_user, project_id, members)
    return _act(project_id, declare, _("联合体成员已登记，将与本单位一并核查诚信。"))


@bp.post("/tender/<int:project_id>/questions")
def ask(project_id: int):
    return _act(project_id, lambda: service.ask_question(current_user, project_id, request.form.get("question", "")),
                _("问题已提交，答复将发给所有报名供应商（不显示提问人）。"))


@bp.post("/tender/<int:project_id>/questions/<int:question_id>/answer")
def answer(project_id: int, question_id: int):
    text = request.form.get("answer", "")
    return _act(project_id, lambda: service.answer_question(current_user, question_id, text),
                _("答复已发布给所有报名供应商。"))


@bp.post("/tender/<int:project_id>/bids/<int:bid_id>/withdraw")
def withdraw(project_id: int, bid_id: int):
    return _act(project_id, lambda: bid_service.withdraw_bid(current_user, bid_id), _("投标文件已撤回。"))


@bp.get("/tender/<int:project_id>/lots/<int:lot_id>/bid")
def bid_page(project_id: int, lot_id: int):
    p = _project_or_404(project_id)
    lot = bid_service.lot_of(p, lot_id)
    if service.registration_of(current_user, p) is None:
        flash(_("请先报名本项目，再递交投标文件。"), "warning")
        return redirect(url_for("tender.project", project_id=p.id))
    return render_template("tender/bid.html", project=p, lot=lot, bidder_id=bid_service.bidder_id_of(current_user.org),
                           next_event=hall.next_event(p), my_bids=[b for b in bid_service.my_bids(current_user, p)
                                                                   if b.lot_id == lot.id])


@bp.get("/tender/<int:project_id>/record.pdf")
def record_pdf(project_id: int):
    """The opening record as a PDF, for everyone admitted to the hall, once bids have been opened."""
    from flask import Response

    from tender import record_pdf as pdf

    p = _project_or_404(project_id)
    hall.require_entry(current_user, p)
    if p.status not in (ProjectStatus.OPENING, ProjectStatus.OPENED, ProjectStatus.EVALUATING, ProjectStatus.CLOSED,
                        ProjectStatus.FAILED):
        abort(404)
    if not pdf.available():
        abort(501)
    return Response(pdf.render(p), mimetype="application/pdf",
                    headers={"Content-Disposition": files.content_disposition(f"opening-record-{p.code}.pdf")})


@bp.get("/tender/<int:project_id>/hall")
def hall_page(project_id: int):
    p = _project_or_404(project_id)
    hall.require_entry(current_user, p)
    return render_template("tender/hall.html", project=p, next_event=hall.next_event(p),
                           me_custodian=service.is_custodian(current_user, p),
                           me_supplier=service.registration_of(current_user, p) is not None,
                           staff=service.is_project_staff(current_user, p), **_credit_context(p))


@bp.get("/tender/bids/<int:bid_id>/receipt")
def receipt_page(bid_id: int):
    """The receipt on screen, in Beijing time, after sealing and whenever the supplier comes back to it."""
    from tender import receipt_pdf

    bid, receipt = bid_service.receipt_of(current_user, bid_id)
    db.session.commit()
    return render_template("tender/receipt.html", bid=bid, receipt=receipt,
                           received_at=receipt_pdf.received_at(receipt))


@bp.get("/tender/bids/<int:bid_id>/receipt.pdf")
def receipt_pdf_download(bid_id: int):
    """The printable Chinese receipt: digest, server time, platform signature, how to verify it."""
    from flask import Response

    from tender import receipt_pdf

    bid, receipt = bid_service.receipt_of(current_user, bid_id)
    db.session.commit()
    return Response(receipt_pdf.render(bid, receipt), mimetype="application/pdf",
                    headers={"Content-Disposition": files.content_disposition(
                        f"receipt-{bid.lot.project.code}-lot{bid.lot.number}.pdf")})
