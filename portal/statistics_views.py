"""/statistics (大数据分析及报表统计): each source's report for the finance bureau's region and below, with its
charts (static/js/portal/statistics.js, ECharts), each table's CSV/XLSX, and the same figures at
/api/v1/statistics. Thin: the figures are portal.statistics'."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_smorest import Blueprint as ApiBlueprint

from accounts.models import Role, User
from accounts.service import regions_under
from core.auth import roles_required
from core.errors import Forbidden, ValidationError
from portal import statistics
from portal.dashboard import nav_item

READERS = (Role.SUPERVISOR, Role.FINANCE_REVIEWER, Role.ADMIN)
bp = Blueprint("statistics", __name__, url_prefix="/statistics")
blp = ApiBlueprint("statistics_api", __name__, url_prefix="/api/v1/statistics",
                   description="Statistics of the region: volume, value, savings, SME share by month, method…")


def may_read(user: User) -> bool:
    return bool(user and user.is_authenticated and user.has_role(*READERS))


def scope(user: User, region_code: str | None) -> str:
    """The region asked for, if the user oversees it (their own by default)."""
    if not may_read(user):
        raise Forbidden("只有财政部门和平台管理员可以查看统计。", code="not_statistics_reader")
    code = region_code or user.region_code
    if code not in regions_under(user.region_code):
        raise Forbidden("只能查看本地区及下级地区的统计。", code="region_not_overseen")
    return code


def _year(text: str | None) -> int | None:
    if not text:
        return None
    if not text.isdigit() or not 2000 <= int(text) <= 2100:
        raise ValidationError("年份不正确。", code="bad_year")
    return int(text)


def _report(source_name: str) -> statistics.Report:
    region = scope(current_user, request.args.get("region"))
    return statistics.report(statistics.get_source(source_name), region, _year(request.args.get("year")))


def _regions(user: User) -> list[tuple[str, str]]:
    from sqlalchemy import select

    from accounts.models import Region
    from core.db import db

    codes = regions_under(user.region_code)
    return [(c, n) for c, n in db.session.execute(select(Region.code, Region.name).order_by(Region.code)) if c in codes]


def _heading(found: statistics.Report) -> str:
    from accounts.models import Region
    from core.db import db

    region = db.session.get(Region, found.region_code)
    when = gettext("%(year)s 年", year=found.year) if found.year else gettext("全部年度")
    return f"{found.source.label} · {region.name if region else found.region_code} · {when}"


@bp.get("")
@roles_required(*READERS)
def index():
    name = request.args.get("source") or next(iter(statistics.SOURCES), "")
    found = _report(name)
    return render_template("portal/statistics.html", report=found, sources=statistics.SOURCES,
                           regions=_regions(current_user), heading=_heading(found),
                           args={k: v for k, v in request.args.items() if k in ("region", "year", "source")})


def _export_name(found: statistics.Report, table: str, ext: str) -> str:
    from urllib.parse import quote

    name = f"statistics-{found.source.name}-{found.region_code}-{found.year or 'all'}-{table}.{ext}"
    return f"attachment; filename={name}; filename*=UTF-8''{quote(name)}"


@bp.get("/<source>/<table>.csv")
@roles_required(*READERS)
def table_csv(source: str, table: str):
    found = _report(source)
    return Response(statistics.to_csv(found.table(table)), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": _export_name(found, table, "csv")})


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/<source>/<table>.xlsx")
@roles_required(*READERS)
def table_xlsx(source: str, table: str):
    found = _report(source)
    tables = found.tables if table == "all" else [found.table(table)]
    return Response(statistics.to_xlsx(tables, _heading(found)), mimetype=XLSX,
                    headers={"Content-Disposition": _export_name(found, table, "xlsx")})


def report_out(found: statistics.Report) -> dict:
    """The report as the API and the charts read it: sums in fen, rates as fractions (null: nothing to divide)."""
    return {"source": found.source.name, "label": str(found.source.label), "region": found.region_code,
            "year": found.year, "years": found.years, "total": found.total.as_dict(),
            "absent": [str(a) for a in found.source.absent],
            "tables": [{"name": t.name, "title": t.title, "rows": [f.as_dict() for f in t.rows],
                        "csv": url_for("statistics.table_csv", source=found.source.name, table=t.name),
                        "xlsx": url_for("statistics.table_xlsx", source=found.source.name, table=t.name)}
                       for t in found.tables]}


@blp.get("")
def api_sources():
    """The statistic sources (政府采购合同, later the e-mall's orders…) and their breakdowns."""
    scope(current_user, None)
    return {"sources": [{"name": s.name, "label": str(s.label), "dimensions": [d.name for d in s.dimensions],
                         "absent": [str(a) for a in s.absent]} for s in statistics.SOURCES.values()]}


@blp.get("/<source>")
def api_report(source: str):
    """A source's figures for `region` (default: the caller's) and below, `year` (default: every year): totals,
    by year, month, each dimension and region; the same as the /statistics page and its exports."""
    return report_out(_report(source))


nav_item(_l("统计分析"), "statistics.index", *READERS)
