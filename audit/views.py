"""The audit log's public key, published: a page anyone can read and its JSON twin in the API.

A proof or receipt carries a verifier key of its own, which proves nothing unless it is the platform's real
key. This is where that key is published (with its fingerprint, printed on every receipt and notice page),
so that `python -m audit.verifier … --vkey KEY` or `--fingerprint HEX` can pin it.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_smorest import Blueprint as ApiBlueprint

from audit import service
from audit.statements import RECEIPT_CONTEXT, RECEIPT_V2
from core.auth import public
from core.db import db

bp = Blueprint("audit", __name__, url_prefix="/audit")
blp = ApiBlueprint("audit_api", __name__, url_prefix="/api/v1/audit", description="The audit log's public key")


def key_document() -> dict:
    """What the page and the API publish: the vkey, its fingerprint, and what the key signs."""
    return {"verifier_key": service.verifier_key(), "fingerprint": service.verifier_key_fingerprint(),
            "fingerprint_alg": "SHA-256 of the verifier_key string (ASCII), hex",
            "key_name": service.key_name(), "origin": current_app.config["AUDIT_ORIGIN"], "algorithm": "Ed25519",
            "signs": {"checkpoints": "C2SP tlog-checkpoint signed notes (origin, tree size, root)",
                      "receipts": f"{RECEIPT_V2}: {RECEIPT_CONTEXT[:-1].decode()} NUL ‖ canonical JSON of `receipt`"}}


@bp.get("/key")
@public
def key_page():
    return render_template("audit/key.html", key=key_document())


@blp.get("/key")
@public
def key_api():
    """The audit log's verifier key (C2SP vkey), its fingerprint, and what it signs. Public."""
    return key_document()


@blp.get("/checkpoint")
@public
def checkpoint_api():
    """The newest signed checkpoint (signed now if the log grew since the last). Public."""
    checkpoint = service.latest_checkpoint()
    db.session.commit()
    return {"size": checkpoint.size, "root": checkpoint.root.hex(), "note": checkpoint.note}


def fingerprint_context() -> dict:
    """`audit_key_fingerprint()` in every template (receipts, notice pages), computed only when used."""
    return {"audit_key_fingerprint": service.verifier_key_fingerprint}
