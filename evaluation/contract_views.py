"""Contract pages (thin): the list, the draft form, the contract with its signing panel, the PDF and
the canonical document text. Signing happens in the browser (static/js/evaluation/contract-sign.js:
the key file never leaves the device) and posts to the API; see evaluation.contracts."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from accounts.service import signing_keys_of
from core import clock, files, money
from core.auth import public
from core.db import db
from core.errors import DomainError, settle_refusal
from evaluation import contract_pdf, contracts
from evaluation.models import Award

bp = Blueprint("contracts", __name__, url_prefix="/contracts")


@bp.app_context_processor
def contract_labels() -> dict:
    return {"CONTRACT_STATUS_ZH": contracts.STATUS_ZH, "contract_of": contracts.contract_of}


@bp.get("/")
def index():
    to_draft = [(a, *contracts.context_of(a)[2:]) for a in contracts.awards_to_draft(current_user)]
    rows = [(c, contracts.document_of(c), contracts.awaits_signature_of(current_user, c))
            for c in contracts.contracts_for(current_user)]
    return render_template("evaluation/contracts.html", rows=rows, to_draft=to_draft, money=money, clock=clock)


@bp.route("/award/<int:award_id>/draft", methods=["GET", "POST"])
def draft(award_id: int):
    award = db.session.get(Award, award_id) or abort(404)
    _award, committee, project, lot = contracts.context_of(award)
    if not contracts.may_draft(current_user, project):
        abort(404)
    existing = contracts.contract_of(award)
    values = contracts.document_of(existing)["terms"] if existing and existing.document else {}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {name: request.form.get(name, "") for name, *_rest in contracts.TERMS}
        try:
            contract = contracts.draft_contract(current_user, award.id, values)
            db.session.commit()
        except DomainError as exc:
            settle_refusal(exc)
            errors = exc.details.get("fields", {})
            flash(exc.message, "danger")
        else:
            flash(_("合同草稿已保存，请通知中标供应商核对签署。"), "success")
            return redirect(url_for("contracts.detail", contract_id=contract.id))
    return render_template("evaluation/contract_draft.html", award=award, project=project, lot=lot,
                           committee=committee, existing=existing, values=values, errors=errors,
                           terms=contracts.TERMS, amount=award.candidate.price_fen, money=money,
                           due=contracts.contract_due(award))


def _readable(contract_id: int):
    try:
        contract = contracts.get_contract(contract_id)
    except DomainError:
        abort(404)
    if not contracts.can_read(current_user, contract):
        abort(404)
    return contract


@bp.get("/<int:contract_id>")
@public
def detail(contract_id: int):
    contract = _readable(contract_id)
    award, _committee, project, lot = contracts.context_of(contract)
    party = contracts.party_of(current_user, contract)
    signed = {s.party: s for s in contract.signatures}
    can_sign = bool(party and party not in signed and contract.status.value in ("draft", "signing"))
    return render_template("evaluation/contract.html", contract=contract, doc=contracts.document_of(contract),
                           project=project, lot=lot, award=award, party=party, signed=signed, can_sign=can_sign,
                           has_key=bool(party and signing_keys_of(current_user)),
                           may_draft=contracts.may_draft(current_user, project), labels=contracts.TERM_LABELS,
                           parties=contracts.PARTY_ZH, money=money, clock=clock,
                           due=contracts.contract_due(award))


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
