"""The public notice pages: the list, each notice, its audit proof and its attachments (thin views).

A package adds what only it knows to a notice's page: `subject_panel(subject_type)` registers the panel
about the notice's subject (tender: the project and its lots' custody policies), and `NOTICE_LINKS` the
links under a notice (the draw's verification page under a result notice). This module imports neither.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, render_template

from core import files
from core.auth import public
from core.db import db
from notices import service
from notices.models import Notice, NoticeAttachment

bp = Blueprint("notices", __name__)

# subject_type -> function(notice) -> {"template": the panel's template, "scripts": [static paths], ...its
# context}; a subject type without a panel shows the notice alone.
SUBJECT_PANELS: dict[str, Callable[[Notice], dict]] = {}
# Links a later package adds under a notice (label, URL): each function takes the notice, returns its links.
NOTICE_LINKS: list[Callable[[Notice], list[tuple[str, str]]]] = []


def subject_panel(subject_type: str) -> Callable[[Callable[[Notice], dict]], Callable[[Notice], dict]]:
    def decorator(fn: Callable[[Notice], dict]) -> Callable[[Notice], dict]:
        SUBJECT_PANELS[subject_type] = fn
        return fn

    return decorator


def _public_notice(notice_id: int) -> Notice:
    notice = service.get_notice(notice_id)
    if notice is None or not service.is_public(notice):
        abort(404)
    return notice


@bp.get("/notices")
@public
def index():
    return render_template("notices/index.html", notices=service.public_notices())


@bp.get("/notices/<int:notice_id>")
@public
def notice(notice_id: int):
    row = _public_notice(notice_id)
    correction = service.get_notice(row.withdrawn_by_id) if row.withdrawn_by_id else None
    panel_of = SUBJECT_PANELS.get(row.subject_type)
    links = [link for links_of in NOTICE_LINKS for link in links_of(row)]
    return render_template("notices/notice.html", notice=row, correction=correction,
                           panel=panel_of(row) if panel_of else None, links=links,
                           body_sha256=service.body_digest(row.body))


@bp.get("/notices/<int:notice_id>/proof.json")
@public
def proof(notice_id: int):
    """The notice's publication in the audit log: check it with `python -m audit.verifier proof`."""
    row = _public_notice(notice_id)
    document = service.proof_of(row)
    if document is None:
        abort(404)
    db.session.commit()  # a checkpoint signed for it
    return Response(json.dumps(document, ensure_ascii=False, indent=1), mimetype="application/json",
                    headers={"Content-Disposition": files.content_disposition(f"notice-{row.id}-proof.json")})


@bp.get("/notices/<int:notice_id>/files/<int:file_id>")
@public
def attachment(notice_id: int, file_id: int):
    row = _public_notice(notice_id)
    item = db.session.get(NoticeAttachment, file_id)
    if item is None or item.notice_id != row.id:
        abort(404)
    return files.send_download(Path(current_app.config["FILE_STORE"]) / item.path, item.name)
