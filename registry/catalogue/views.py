"""Pages of the catalogue: browse and search the tree, import a file (administrator), activate a version,
and the region's centrally purchased leaves (finance)."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from accounts.models import Role
from core import files
from core.auth import roles_required
from core.db import db
from core.errors import DomainError
from registry.catalogue import codes, importer, service

bp = Blueprint("registry_catalogue", __name__, url_prefix="/catalogue")
READERS = (Role.ADMIN, Role.FINANCE_REVIEWER, Role.SUPERVISOR, Role.AGENCY_STAFF, Role.PURCHASER, Role.SUPPLIER)


@bp.get("/")
@roles_required(*READERS)
def index():
    parent = request.args.get("parent", "").strip()
    query = request.args.get("q", "").strip()
    version = service.active_version()
    current = service.get_item(parent) if parent and parent not in codes.CATEGORY_NAMES else None
    items = service.find_items(query) if query else service.children(parent or None)
    central = service.central_codes(current_user.region_code) if version else {}
    return render_template("registry/catalogue/index.html", version=version, items=items, query=query,
                           current=current, lineage=service.lineage(current) if current else [],
                           categories=codes.CATEGORY_NAMES, central=central,
                           versions=service.list_versions() if current_user.has_role(Role.ADMIN) else [])


@bp.route("/import", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def import_file():
    report = None
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash(_("请选择目录文件。"), "danger")
            return render_template("registry/catalogue/import.html", report=None, columns=importer.COLUMNS), 422
        report = importer.import_catalogue(current_user, upload.read(), upload.filename, request.form.get("label", ""))
        if report.ok:
            db.session.commit()
            flash(_("目录已导入：%(rows)s 个品目，其中末级 %(leaves)s 个。请核对后启用。", rows=report.rows,
                    leaves=report.leaves), "success")
            return redirect(url_for("registry_catalogue.index"))
        db.session.rollback()
        if request.form.get("format") == "csv":
            return Response(importer.report_csv(report), mimetype="text/csv", headers={
                "Content-Disposition": files.content_disposition("catalogue-report.csv")}), 422
        return render_template("registry/catalogue/import.html", report=report, columns=importer.COLUMNS), 422
    return render_template("registry/catalogue/import.html", report=report, columns=importer.COLUMNS)


@bp.post("/versions/<int:version_id>/activate")
@roles_required(Role.ADMIN)
def activate(version_id: int):
    try:
        service.activate_version(current_user, service.get_version(version_id))
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("registry_catalogue.index"))
    db.session.commit()
    flash(_("已启用该目录版本。"), "success")
    return redirect(url_for("registry_catalogue.index"))


@bp.route("/central", methods=["GET", "POST"])
@roles_required(*service.CENTRAL_MARKERS)
def central():
    region = current_user.region_code
    if request.method == "POST":
        try:
            service.set_central(current_user, region, request.form.getlist("codes"),
                                request.form.get("central") != "0")
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            return redirect(url_for("registry_catalogue.central"))
        db.session.commit()
        flash(_("集中采购目录已更新。"), "success")
        return redirect(url_for("registry_catalogue.central"))
    marks = service.central_codes(region)
    version = service.active_version()
    leaves = [i for letter in codes.CATEGORY_NAMES
              for i in service.find_items(letter, leaves_only=True, limit=5000)] if version else []
    return render_template("registry/catalogue/central.html", marks=marks, leaves=leaves, region=region,
                           names=service.names_of(list(marks)))
