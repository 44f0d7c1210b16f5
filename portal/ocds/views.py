"""The OCDS API and bulk download (public, read-only, thin views over `sources` and `build`).

Pages follow the OCDS pagination extension: a package's `links.next` is the URL of the next page, built
from an opaque cursor (`<source>:<last key>`), so a page costs its processes however deep it is. The bulk
download writes one release package of every process as it reads them, BULK_BATCH processes at a time,
the session emptied after each batch: its memory stays the batch's, whatever the number of processes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from flask import Blueprint, Response, abort, jsonify, request, stream_with_context, url_for

from core import files
from core.auth import public
from core.db import db
from core.links import absolute, public_url
from portal.ocds import build, sources

bp = Blueprint("ocds", __name__, url_prefix="/api/v1/ocds")
PAGE = 20
MAX_PAGE = 100
BULK_BATCH = 200
PAGINATION_EXTENSION = ("https://raw.githubusercontent.com/open-contracting-extensions/ocds_pagination_extension/"
                        "master/extension.json")


def _limit() -> int:
    value = request.args.get("limit", "")
    return max(1, min(int(value), MAX_PAGE)) if value.isdigit() and len(value) < 4 else PAGE


def walk(cursor: str, limit: int) -> tuple[list[sources.Process], str | None]:
    """Up to `limit` processes after `cursor`, across the sources in their registration order, and the
    cursor of the next page (None at the end)."""
    names = [s.name for s in sources.all_sources()]
    name, _, after = cursor.partition(":")
    if name not in names:
        name, after = (names[0] if names else ""), "0"
    start = names.index(name) if name else len(names)
    after_key = int(after) if after.isdigit() and len(after) < 19 else 0
    out: list[sources.Process] = []
    for position in range(start, len(names)):
        source = sources.get(names[position])
        keys = source.keys(after_key if position == start else 0, limit - len(out) + 1)
        more = len(keys) > limit - len(out)
        keys = keys[:limit - len(out)]
        out.extend(source.build(keys))
        if more:
            return out, f"{source.name}:{keys[-1]}"
        if len(out) >= limit:
            following = next((n for n in names[position + 1:] if sources.get(n).keys(0, 1)), None)
            return out, (f"{following}:0" if following else None)
    return out, None


def _paged(kind: str, endpoint: str) -> dict:
    processes, following = walk(request.args.get("cursor", ""), _limit())
    uri = absolute(request.full_path.rstrip("?"))
    if kind == "releases":
        package = build.release_package([r for p in processes for r in p.releases], uri)
    else:
        package = build.record_package([build.record(p.ocid, p.releases) for p in processes], uri)
    package["extensions"] = [PAGINATION_EXTENSION]
    package["links"] = {}
    if following:
        package["links"]["next"] = absolute(url_for(endpoint, cursor=following, limit=_limit()))
    return package


@bp.get("/releases")
@public
def releases():
    """A page of processes as a release package (every release of each process)."""
    return jsonify(_paged("releases", "ocds.releases"))


@bp.get("/records")
@public
def records():
    """A page of processes as a record package (each record with its releases and compiled release)."""
    return jsonify(_paged("records", "ocds.records"))


@bp.get("/records/<path:ocid>")
@public
def record(ocid: str):
    for source in sources.all_sources():
        key = source.find(ocid)
        if key is not None:
            [process] = source.build([key])
            return jsonify(build.record_package([build.record(process.ocid, process.releases)],
                                                absolute(request.path)))
    abort(404)


def bulk_chunks(batch: int = BULK_BATCH) -> Iterator[str]:
    """The release package of every process, as text, a batch of processes at a time."""
    head = build.package_head("releases", public_url("ocds.bulk"))
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "releases": ['
    first = True
    for source in sources.all_sources():
        after = 0
        while True:
            keys = source.keys(after, batch)
            if not keys:
                break
            parts = [json.dumps(r, ensure_ascii=False) for p in source.build(keys) for r in p.releases]
            db.session.expunge_all()  # the batch's objects go; memory stays one batch's
            if parts:
                yield ("" if first else ",") + ",".join(parts)
                first = False
            after = keys[-1]
    yield "]}"


@bp.get("/releases.json")
@public
def bulk():
    """Every process as one release package, streamed (Content-Disposition: ocds-releases.json)."""
    return Response(stream_with_context(bulk_chunks()), mimetype="application/json",
                    headers={"Content-Disposition": files.content_disposition("ocds-releases.json")})
