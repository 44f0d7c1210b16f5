"""Contract pages (thin): the list, the draft form of any source, the contract with its signing panel, the
PDF and the canonical document text. Signing happens in the browser (static/js/contracts/contract-sign.js:
the key file never leaves the device) and posts to the API; see contracts.service."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from accounts.service import signing_keys_of
from contracts import acceptance as acceptances
from contracts import payments, service, sources
from contracts import pdf as contract_pdf
from core import clock, files, money
from core.auth import public
from core.db import db
from core.errors import DomainError, settle_refusal

bp = Blueprint("contracts", __name__, url_prefix="/contracts")


@bp.app_context_processor
def contract_labels() -> dict:
    return {"CONTRACT_STATUS_ZH": service.STATUS_ZH}


@bp.get("/")
def index():
    to_draft = service.to_draft(current_user)
    rows = [(c, service.document_of(c), service.describe(c, localized=True),
             service.awaits_signature_of(current_user, c)) for c in service.contracts_for(current_user)]
    return render_template("contracts/index.html", rows=rows, to_draft=to_draft, money=money, clock=clock)


@bp.route("/<string:kind>/<int:source_id>/draft", methods=["GET", "POST"])
def draft(kind: str, source_id: int):
    if not sources.known(kind):
        abort(404)
    source = sources.get(kind)
    try:
        subject = source.load(source_id, False)
    except DomainError:
        abort(404)
    if not source.may_draft(current_user, subject):
        abort(404)
    facts = source.facts(subject)
    existing = service.contract_for(kind, source_id)
    values = service.document_of(existing)["terms"] if existing and existing.document else {}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {name: request.form.get(name, "") for name, *_rest in service.TERMS}
        try:
            contract = service.draft_contract(current_user, kind, source_id, values)
            db.session.commit()
        except DomainError as exc:
            settle_refusal(exc)
            errors = exc.details.get("fields", {})
            flash(exc.message, "danger")
        else:
            flash(_("合同草稿已保存，请通知供应商核对签署。"), "success")
            return redirect(url_for("contracts.detail", contract_id=contract.id))
    about = source.describe(service.build_document(facts, {}, 0), _)
    return render_template("contracts/draft.html", about=about, source=source, existing=existing, values=values,
                           errors=errors, terms=service.TERMS, amount=facts.amount_fen, money=money, due=facts.due)


def _readable(contract_id: int):
    try:
        contract = service.get_contract(contract_id)
    except DomainError:
        abort(404)
    if not service.can_read(current_user, contract):
        abort(404)
    return contract


@bp.get("/<int:contract_id>")
@public
def detail(contract_id: int):
    contract = _readable(contract_id)
    party = service.party_of(current_user, contract)
    signed = {s.party: s for s in contract.signatures}
    can_sign = bool(party and party not in signed and contract.status in service.OPEN)
    return render_template("contracts/contract.html", contract=contract, doc=service.document_of(contract),
                           after=_after_signing(contract),
                           about=service.describe(contract, localized=True),
                           party=party, signed=signed, can_sign=can_sign,
                           has_key=bool(party and signing_keys_of(current_user)),
                           may_draft=service.may_draft(current_user, contract), labels=service.TERM_LABELS,
                           parties=service.PARTY_ZH, money=money, clock=clock,
                           due=clock.to_local(contract.due_at).date())


@bp.get("/<int:contract_id>/document.json")
@public
def document(contract_id: int):
    """The canonical text the parties sign: SHA-256 of these exact bytes is the contract's digest."""
    contract = _readable(contract_id)
    return Response(contract.document, mimetype="application/json",
                    headers={"Content-Disposition": files.content_disposition(f"{contract.number}.json"),
                             "Cache-Control": "no-store"})


@bp.get("/<int:contract_id>.pdf")
@public
def pdf(contract_id: int):
    contract = _readable(contract_id)
    return Response(contract_pdf.render(contract), mimetype="application/pdf",
                    headers={"Content-Disposition": files.content_disposition(f"{contract.number}.pdf", inline=True),
                             "Cache-Control": "no-store"})


# ---------------------------------------------------------------- acceptance and payment

def _after_signing(contract) -> dict | None:
    """What the contract page shows once signed: the acceptance rounds, what this user may do now, the
    payments."""
    from datetime import date

    from sqlalchemy import select

    from accounts.models import Role, User, UserRole

    if contract.status is not service.ContractStatus.SIGNED:
        return None
    rounds = acceptances.rounds_of(contract)
    last = rounds[-1] if rounds else None
    purchaser = acceptances.is_purchaser(current_user, contract)
    can_organise = purchaser and (last is None or (last.status.value == "failed" and last.remedy == "rectify"))
    candidates = []
    if can_organise:
        candidates = list(db.session.scalars(
            select(User).where(User.active.is_(True), User.id != current_user.id,
                               User.org_id.in_([contract.purchaser_org_id, contract.supplier_org_id]))
            .order_by(User.org_id, User.name).limit(100)))
        candidates += list(db.session.scalars(  # the region's experts, found by their role in the query
            select(User).join(UserRole, UserRole.user_id == User.id)
            .where(User.active.is_(True), User.region_code == contract.region_code, UserRole.role == Role.EXPERT)
            .order_by(User.name).limit(100)))
    names = {u.id: u.name for u in db.session.scalars(
        select(User).where(User.id.in_({m.user_id for r in rounds for m in r.members})))} if rounds else {}
    member = acceptances.member_of(current_user, last) if last else None
    return {"rounds": rounds, "last": last, "purchaser": purchaser, "can_organise": can_organise,
            "expert_required": acceptances.required_mode(contract), "candidates": candidates, "names": names,
            "member": member, "has_key": bool(member and signing_keys_of(current_user)),
            "items": service.document_of(contract).get("items") or [], "payments": payments.payments_of(contract),
            "outstanding": payments.outstanding(contract), "today": clock.to_local(clock.now()).date(),
            "now": clock.now(),
            "modes": acceptances.MODES, "roles": acceptances.MEMBER_ROLES, "remedies": acceptances.REMEDIES,
            "status_zh": acceptances.STATUS_ZH, "date": date}


def _form_date(name: str):
    from datetime import date

    try:
        return date.fromisoformat(request.form.get(name, ""))
    except ValueError:
        return None


def _after(contract_id: int, action) -> Response:
    """Run one acceptance action from a form: commit, or show its refusal; back to the contract's section."""
    try:
        action()
        db.session.commit()
    except DomainError as exc:
        settle_refusal(exc)
        flash(exc.message, "danger")
    else:
        flash(_("已保存。"), "success")
    return redirect(url_for("contracts.detail", contract_id=contract_id, _anchor="acceptance"))


def _acceptance_or_404(acceptance_id: int):
    try:
        return acceptances.get_acceptance(acceptance_id)
    except DomainError:
        abort(404)


@bp.post("/<int:contract_id>/acceptance")
def organise_acceptance(contract_id: int):
    from sqlalchemy import select

    from accounts.models import User

    member_ids = [int(v) for v in request.form.getlist("member_ids") if v.isdigit()]
    for username in (request.form.get("third_party_usernames") or "").replace("，", ",").split(","):
        if username.strip():
            found = db.session.scalar(select(User.id).where(User.username == username.strip()))
            member_ids.append(found if found is not None else -1)  # an unknown name is refused with the rest
    return _after(contract_id, lambda: acceptances.organise_acceptance(
        current_user, contract_id, request.form.get("mode", ""), member_ids, _form_date("scheduled_on"),
        request.form.get("third_party", "")))


@bp.post("/acceptances/<int:acceptance_id>/result")
def record_acceptance(acceptance_id: int):
    row = _acceptance_or_404(acceptance_id)
    contract = service.get_contract(row.contract_id)
    items = []
    for item in service.document_of(contract).get("items") or [{"ref": ""}]:
        ref = str(item.get("ref", ""))
        quantity = request.form.get(f"quantity-{ref}", "").strip()
        entry = {"ref": ref, "passed": request.form.get(f"passed-{ref}") == "yes",
                 "note": request.form.get(f"note-{ref}", "")}
        if quantity:
            try:
                entry["accepted_quantity"] = int(quantity) if quantity.isdigit() else float(quantity)
            except ValueError:
                entry["accepted_quantity"] = -1  # refused by the service with the item named
        items.append(entry)
    return _after(contract.id, lambda: acceptances.record_result(
        current_user, acceptance_id, items, _form_date("delivery_due_on"), _form_date("delivered_on"),
        request.form.get("conclusion", "")))


@bp.post("/acceptances/<int:acceptance_id>/remedy")
def acceptance_remedy(acceptance_id: int):
    row = _acceptance_or_404(acceptance_id)
    return _after(row.contract_id, lambda: acceptances.decide_remedy(
        current_user, acceptance_id, request.form.get("remedy", ""), _form_date("remedy_due_on"),
        request.form.get("remedy_note", "")))


@bp.get("/acceptances/<int:acceptance_id>/report.json")
def acceptance_report(acceptance_id: int):
    """The canonical report the members sign: SHA-256 of these exact bytes is its digest."""
    row = _acceptance_or_404(acceptance_id)
    if not (service.can_read(current_user, service.get_contract(row.contract_id))
            or acceptances.member_of(current_user, row)) or not row.document:
        abort(404)
    return Response(row.document, mimetype="application/json", headers={"Cache-Control": "no-store"})
