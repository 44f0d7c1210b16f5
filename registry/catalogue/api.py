"""JSON API of the catalogue: versions (import, activate), the tree, look-ups, central purchase marks."""

from __future__ import annotations

from flask import request
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from accounts.models import Role
from core.auth import roles_required
from core.db import db
from core.errors import ValidationError
from registry.catalogue import importer, service

blp = Blueprint("registry_catalogue_api", __name__, url_prefix="/api/v1/catalogue",
                description="Procurement catalogue (政府采购品目分类目录)")


class CatalogueCentralIn(Schema):
    region_code = fields.Str(required=True)
    codes = fields.List(fields.Str(), required=True)
    central = fields.Bool(load_default=True)


def version_out(version) -> dict:
    return {"id": version.id, "label": version.label, "source_name": version.source_name, "sha256": version.sha256,
            "rows": version.rows, "leaves": version.leaves, "active": version.is_active,
            "imported_at": version.imported_at.isoformat(),
            "activated_at": version.activated_at.isoformat() if version.activated_at else None}


def item_out(item) -> dict:
    return {"code": item.code, "name": item.name, "parent_code": item.parent_code, "level": item.level,
            "leaf": item.is_leaf, "category": item.category, "note": item.note}


@blp.get("/versions")
def list_versions():
    """Every imported version, newest first; `active` marks the one in force."""
    return [version_out(v) for v in service.list_versions()]


@blp.post("/versions")
@roles_required(Role.ADMIN)
def import_version():
    """Import a catalogue file (multipart field `file`, CSV or XLSX; form field `label`). All rows or none:
    a file with any problem answers 422 `catalogue_file_invalid` with the report (row, column, reason)."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationError("请选择目录文件。", code="file_required", details={"field": "file"})
    report = importer.import_catalogue(current_user, upload.read(), upload.filename, request.form.get("label", ""))
    if not report.ok:
        db.session.rollback()
        raise ValidationError(f"目录文件有 {len(report.problems)} 处问题，未导入。", code="catalogue_file_invalid",
                              details=report.as_dict())
    db.session.commit()
    return report.as_dict(), 201


@blp.post("/versions/<int:version_id>/activate")
@roles_required(Role.ADMIN)
def activate(version_id: int):
    version = service.activate_version(current_user, service.get_version(version_id))
    db.session.commit()
    return version_out(version)


@blp.get("/items")
def items():
    """Children of `parent` (a code, or a letter A/B/C; none: level one) in the active version, or with `q`
    the items whose code starts with it or whose name contains it (`leaves=1`: leaves only)."""
    query = request.args.get("q", "")
    if query:
        found = service.find_items(query, leaves_only=request.args.get("leaves") == "1")
    else:
        found = service.children(request.args.get("parent") or None)
    return [item_out(i) for i in found]


@blp.get("/items/<code>")
def item(code: str):
    """One item of the active version with its lineage."""
    from core.errors import NotFound

    found = service.get_item(code)
    if found is None:
        raise NotFound("采购目录中没有这个品目。", code="catalogue_code_unknown")
    return item_out(found) | {"lineage": [item_out(i) for i in service.lineage(found)]}


@blp.get("/central/<region_code>")
def central(region_code: str):
    """The leaves a region buys centrally (its own marks and those of the regions above it)."""
    marks = service.central_codes(region_code)
    names = service.names_of(list(marks))
    return [{"code": c, "name": names.get(c, ""), "marked_by_region": r} for c, r in sorted(marks.items())]


@blp.post("/central")
@roles_required(*service.CENTRAL_MARKERS)
@blp.arguments(CatalogueCentralIn)
def set_central(data: dict):
    """Mark (central true) or unmark leaves as bought centrally in a region; all codes or none."""
    changed = service.set_central(current_user, data["region_code"], data["codes"], data["central"])
    db.session.commit()
    return {"changed": changed}
