"""The public notice centre: the list with its filters, search and pages, each notice in its sections, its
audit proof and attachments, Atom feeds per region and kind, and the sitemap (thin views).

A package adds what only it knows to a notice's page: its `notices.subjects` registration (the sections
of 财办库〔2020〕50号 and the buttons of the subject's stage), `subject_panel(subject_type)` for a panel of
its own (tender: its lots' custody policies), and `NOTICE_LINKS` the links under a notice (the draw's
verification page under a result notice). This module imports none of them.

Stable URLs: /notices?region=330329&kind=result&q=…&page=2, /notices/<id>, /notices/feeds/<region>.atom,
/notices/feeds/<region>/<kind>.atom, /sitemap.xml.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from core import clock, files
from core.auth import public
from core.db import db
from core.links import absolute
from notices import kinds as kind_registry
from notices import search, service, subjects
from notices.models import Notice, NoticeAttachment

SITEMAP_CHUNK = 10_000  # notice ids per sitemap file (the protocol allows 50,000 URLs)
FEED_ENTRIES = 50

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


def _day(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, "").strip())
    except ValueError:
        return None


def _filters() -> search.Filters:
    args = request.args
    public_kinds = set(kind_registry.public_codes())
    return search.Filters(q=args.get("q", "").strip()[:100], region=args.get("region", "").strip()[:12],
                          kinds=[k for k in args.getlist("kind") if k in public_kinds],
                          method=args.get("method", "").strip()[:40], catalogue=args.get("catalogue", "").strip()[:20],
                          date_from=_day("from"), date_to=_day("to"))


def _page_number() -> int:
    value = request.args.get("page", "1")
    return int(value) if value.isdigit() and len(value) < 6 else 1


@bp.get("/notices")
@public
def index():
    filters = _filters()
    page = search.find_notices(filters, _page_number())
    args = {k: v for k, v in request.args.items(multi=True) if k != "page" and v}
    return render_template("notices/index.html", page=page, filters=filters, regions=service.region_choices(),
                           kinds=[k for k in kind_registry.all_kinds() if k.public],
                           methods=subjects.method_labels(), args=args,
                           region_names=service.region_names(), feed_url=_feed_url(filters))


def _feed_url(filters: search.Filters) -> str:
    region = filters.region or service.root_region()
    if region and len(filters.kinds) == 1:
        return url_for("notices.kind_feed", region=region, kind=filters.kinds[0])
    return url_for("notices.region_feed", region=region) if region else ""


@bp.get("/notices/<int:notice_id>")
@public
def notice(notice_id: int):
    row = _public_notice(notice_id)
    correction = service.get_notice(row.withdrawn_by_id) if row.withdrawn_by_id else None
    panel_of = SUBJECT_PANELS.get(row.subject_type)
    links = [link for links_of in NOTICE_LINKS for link in links_of(row)]
    described = service.describe(row, current_user)
    return render_template("notices/notice.html", notice=row, correction=correction,
                           panel=panel_of(row) if panel_of else None, links=links,
                           sections=described.sections, actions=described.actions,
                           region_path=service.region_path(row.region_code),
                           body_sha256=service.body_digest(row.body))


@bp.get("/notices/feeds/<region>.atom")
@public
def region_feed(region: str):
    return _feed(region, None)


@bp.get("/notices/feeds/<region>/<kind>.atom")
@public
def kind_feed(region: str, kind: str):
    if kind not in kind_registry.public_codes():
        abort(404)
    return _feed(region, kind)


def _feed(region: str, kind: str | None) -> Response:
    """An Atom feed (RFC 4287) of the newest notices of a region and everything under it, of one kind or all."""
    names = service.region_names()
    if region not in names:
        abort(404)
    entries = search.latest(search.Filters(region=region, kinds=[kind] if kind else ()), FEED_ENTRIES)
    updated = entries[0].published_at if entries else clock.now()
    label = kind_registry.of_stored(kind).label if kind else None
    body = render_template("notices/feed.atom.xml", entries=entries, region=region, region_name=names[region],
                           kind=kind, kind_label=label, updated=updated, absolute=absolute)
    return Response(body, mimetype="application/atom+xml")


@bp.get("/sitemap.xml")
@public
def sitemap_index():
    """The sitemap index: the notice centre, and one sitemap per SITEMAP_CHUNK notice ids."""
    top = db.session.scalar(select(func.max(Notice.id))) or 0
    chunks = range(top // SITEMAP_CHUNK + 1) if top else range(0)
    body = render_template("notices/sitemap_index.xml", chunks=chunks, absolute=absolute)
    return Response(body, mimetype="application/xml")


@bp.get("/sitemap/notices-<int:chunk>.xml")
@public
def sitemap_chunk(chunk: int):
    low = chunk * SITEMAP_CHUNK
    rows = db.session.execute(select(Notice.id, Notice.published_at).where(
        Notice.id > low, Notice.id <= low + SITEMAP_CHUNK, Notice.kind.in_(kind_registry.public_codes()),
        Notice.withdrawn_at.is_(None)).order_by(Notice.id)).all()
    if not rows and chunk:
        abort(404)
    body = render_template("notices/sitemap.xml", rows=rows, chunk=chunk, absolute=absolute)
    return Response(body, mimetype="application/xml")


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
