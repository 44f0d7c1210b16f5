"""Contract pages (thin): the list, the draft form of any source, the contract with its signing panel, the
PDF and the canonical document text. Signing happens in the browser (static/js/contracts/contract-sign.js:
the key file never leaves the device) and posts to the API; see contracts.service."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from accounts.service import signing_keys_of
from contracts import pdf as contract_pdf
from contracts import service, sources
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
