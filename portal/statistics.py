"""Statistics (大数据分析及报表统计): a registry of statistic sources, their monthly rollup, and the reports.

A feature package registers a `StatSource` at import time: the SQL of its facts (one row per contract,
order…, with its region, amount, budget if known, SME flags and a column per `Dimension`), the time
column that places a row in a month, and the models whose changes move its figures (`Watch`).
`evaluation/statistics.py` (the procurement contracts of tenders) is the example; the e-mall adds its
orders the same way.

Figures are read from `portal_stat_rollup`: per source, dimension, key, region and Beijing month, the
sums a report needs. A flush that changes a watched row lists its months in `portal_stat_stale` in the
same transaction; until the chronograph's `portal.statistics_refresh` rebuilds such a month, it is read
live from the facts. So a report always equals `compute()` from scratch (tests/portal/test_statistics.py),
and it reads a few thousand rollup rows instead of every contract (bench/statistics_bench.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, case, delete, event, func, literal, or_, select, union_all
from sqlalchemy.orm import Session, attributes
from sqlalchemy.sql import Select

from core import clock
from core.db import db
from portal.models import StatRollup, StatStale

MEASURES = ("n", "amount_fen", "budget_fen", "budgeted_amount_fen", "sme_n", "sme_amount_fen",
            "small_micro_n", "small_micro_amount_fen")
ALL = "all"  # the dimension of the totals (key "")
BEIJING = timedelta(hours=8)  # Asia/Shanghai has kept UTC+8 without daylight saving since 1991


@dataclass(frozen=True)
class Dimension:
    """A way to break a source's figures down: its column in the facts and how a key reads."""

    name: str  # the facts' column label: "method"
    label: str  # N_("采购方式")
    names: Callable[[Sequence[str]], dict[str, str]] = lambda keys: {}  # keys -> readable names


@dataclass(frozen=True)
class Watch:
    """A model whose changes move a source's figures, and the months a changed row touches."""

    model: type
    months: Callable[[Session, object], set[str]]


@dataclass(frozen=True)
class StatSource:
    """What a package tells the statistics kit about one kind of figure."""

    name: str  # "procurement"
    label: str  # N_("政府采购合同")
    facts: Callable[[], Select]  # columns: region_code, amount_fen, budget_fen (NULL unknown), sme, small_micro,
    # and one per dimension; the kit adds the month and the time filter
    time_column: object  # the column placing a row in its month (a signature time)
    dimensions: tuple[Dimension, ...]
    watches: tuple[Watch, ...] = ()
    unit: str = ""  # N_("份合同")
    absent: tuple[str, ...] = ()  # figures asked for that the records do not hold yet, said on the page


SOURCES: dict[str, StatSource] = {}


def register(source: StatSource) -> StatSource:
    """Register a source (at import, once per process; a second registration replaces the first)."""
    SOURCES[source.name] = source
    return source


def get_source(name: str) -> StatSource:
    from core.errors import NotFound

    if name not in SOURCES:
        raise NotFound("没有这项统计。", code="statistic_not_found")
    return SOURCES[name]


# ---------------------------------------------------------------- months

def month_of(at: datetime | None) -> str | None:
    """The Beijing month of a UTC time, as the rollup keys it ("2026-11")."""
    return None if at is None else (at.astimezone(UTC) + BEIJING).strftime("%Y-%m")


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """The UTC interval [start, end) of a Beijing month."""
    year, mon = (int(part) for part in month.split("-"))
    start = datetime(year, mon, 1, tzinfo=UTC) - BEIJING
    end = datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=UTC) - BEIJING
    return start, end


def _local_month(column) -> object:
    """SQL for the Beijing month of a UTC time column, on SQLite and PostgreSQL."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("Asia/Shanghai", column), "YYYY-MM")
    return func.strftime("%Y-%m", column, "+8 hours")


def _facts(source: StatSource, months: Iterable[str] | None):
    query = source.facts().add_columns(_local_month(source.time_column).label("month"))
    if months is not None:
        ranges = [month_bounds(m) for m in sorted(set(months))]
        query = query.where(or_(*(and_(source.time_column >= a, source.time_column < b) for a, b in ranges))
                            if ranges else literal(False))
    return query.subquery("facts")


def _aggregate(source: StatSource, months: Iterable[str] | None, regions: Iterable[str] | None = None) -> Select:
    """The rollup's rows computed from the facts: one GROUP BY per dimension (and the totals), united."""
    facts = _facts(source, months)
    sme = facts.c.sme == literal(True)
    small = facts.c.small_micro == literal(True)
    budgeted = facts.c.budget_fen.is_not(None)
    sums = [func.count().label("n"), func.coalesce(func.sum(facts.c.amount_fen), 0).label("amount_fen"),
            func.coalesce(func.sum(facts.c.budget_fen), 0).label("budget_fen"),
            func.coalesce(func.sum(case((budgeted, facts.c.amount_fen), else_=0)), 0).label("budgeted_amount_fen"),
            func.coalesce(func.sum(case((sme, 1), else_=0)), 0).label("sme_n"),
            func.coalesce(func.sum(case((sme, facts.c.amount_fen), else_=0)), 0).label("sme_amount_fen"),
            func.coalesce(func.sum(case((small, 1), else_=0)), 0).label("small_micro_n"),
            func.coalesce(func.sum(case((small, facts.c.amount_fen), else_=0)), 0).label("small_micro_amount_fen")]
    where = [facts.c.region_code.in_(sorted(regions))] if regions is not None else []
    parts = [select(literal(ALL).label("dimension"), literal("").label("key"), facts.c.region_code, facts.c.month,
                    *sums).where(*where).group_by(facts.c.region_code, facts.c.month)]
    for dim in source.dimensions:
        key = func.coalesce(facts.c[dim.name], "")
        parts.append(select(literal(dim.name).label("dimension"), key.label("key"), facts.c.region_code,
                            facts.c.month, *sums).where(*where).group_by(key, facts.c.region_code, facts.c.month))
    return union_all(*parts)


def compute(source: StatSource, months: Iterable[str] | None = None,
            regions: Iterable[str] | None = None) -> list[dict]:
    """The rollup's rows from scratch (every month when `months` is None): what the rollup must equal."""
    return [dict(row._mapping) for row in db.session.execute(_aggregate(source, months, regions))]


# ---------------------------------------------------------------- keeping the rollup

def rebuild_months(source: StatSource, months: Iterable[str] | None = None) -> int:
    """Replace the rollup of these months (every month when None) by a fresh computation; the caller commits."""
    months = None if months is None else sorted(set(months))
    gone = delete(StatRollup).where(StatRollup.source == source.name)
    if months is not None:
        gone = gone.where(StatRollup.month.in_(months))
    db.session.execute(gone)
    rows = [{"source": source.name, **row} for row in compute(source, months)]
    if rows:
        db.session.execute(StatRollup.__table__.insert(), rows)
    return len(rows)


def rebuild(source_name: str | None = None) -> dict[str, int]:
    """Rebuild every month of one source (or of all) and forget their stale marks; the caller commits."""
    done = {}
    for source in ([get_source(source_name)] if source_name else list(SOURCES.values())):
        last = db.session.scalar(select(func.max(StatStale.id)).where(StatStale.source == source.name))
        done[source.name] = rebuild_months(source)
        if last is not None:
            db.session.execute(delete(StatStale).where(StatStale.source == source.name, StatStale.id <= last))
    return done


def refresh_stale(row: StatStale) -> bool:
    """The chronograph's handler: rebuild the month one stale mark names, and drop every mark of that month
    written before the rebuild read the facts (a later writer's mark stays, so its change is rebuilt too)."""
    source = SOURCES.get(row.source)
    last = db.session.scalar(select(func.max(StatStale.id)).where(StatStale.source == row.source,
                                                                  StatStale.month == row.month))
    if source is not None:
        rebuild_months(source, [row.month])
    db.session.execute(delete(StatStale).where(StatStale.source == row.source, StatStale.month == row.month,
                                               StatStale.id <= max(last or row.id, row.id)))
    return True


_PENDING = "portal.statistics.marked"


def _mark_stale(session: Session, flush_context, instances) -> None:
    """before_flush: list the months every changed watched row touches, once per transaction and month."""
    watched = [(source, watch) for source in SOURCES.values() for watch in source.watches]
    if not watched:
        return
    marked: set[tuple[str, str]] = session.info.setdefault(_PENDING, set())
    now = None
    with session.no_autoflush:
        for obj in [*session.new, *session.dirty, *session.deleted]:
            for source, watch in watched:
                if isinstance(obj, watch.model):
                    for month in watch.months(session, obj) - {m for s, m in marked if s == source.name}:
                        now = now or clock.now()
                        marked.add((source.name, month))
                        session.add(StatStale(source=source.name, month=month, marked_at=now))


def _forget_marks(session: Session, *args) -> None:
    session.info.pop(_PENDING, None)


def listen(session) -> None:
    """Watch the application's session (once, at register)."""
    if not event.contains(session, "before_flush", _mark_stale):
        event.listen(session, "before_flush", _mark_stale)
        event.listen(session, "after_commit", _forget_marks)
        event.listen(session, "after_soft_rollback", _forget_marks)


def months_changed(obj: object, column: str) -> set[str]:
    """The months of a time attribute's value before and after this flush (a Watch's helper)."""
    history = attributes.get_history(obj, column)
    values = [*history.added, *history.deleted, *([] if history.added else history.unchanged)]
    return {m for v in values if (m := month_of(v))}


def attribute_changed(obj: object, *columns: str) -> bool:
    """Whether a flush changes one of these attributes of an existing row (or adds or deletes the row)."""
    state = attributes.instance_state(obj)
    if state.pending or state.deleted or not state.persistent:
        return True
    return any(attributes.get_history(obj, c).has_changes() for c in columns)


# ---------------------------------------------------------------- reading

def stale_months(source: StatSource) -> set[str]:
    return set(db.session.scalars(select(StatStale.month).where(StatStale.source == source.name).distinct()))


def _summed(query, stale: set[str]):
    """Sum every measure of the rollup rows of `query`'s grouping, the stale months left out (read live)."""
    if stale:
        query = query.where(StatRollup.month.not_in(sorted(stale)))
    return query.add_columns(*(func.sum(getattr(StatRollup, m)).label(m) for m in MEASURES))


def cells(source: StatSource, regions: Iterable[str] | None = None, *, by_region: bool = True) -> list[dict]:
    """The rollup's cells of these regions (summed over them unless `by_region`), the stale months read live:
    what a report is built from, and what `compute` must equal."""
    regions = None if regions is None else sorted(set(regions))
    stale = stale_months(source)
    group = [StatRollup.dimension, StatRollup.key, StatRollup.month] + ([StatRollup.region_code] if by_region else [])
    query = _summed(select(*group).where(StatRollup.source == source.name), stale)
    if regions is not None:
        query = query.where(StatRollup.region_code.in_(regions))
    out = [dict(row._mapping) for row in db.session.execute(query.group_by(*group))]
    if stale:
        out += compute(source, stale, regions)
    return out


def _region_cells(source: StatSource, regions: list[str], year: int | None) -> list[dict]:
    """The totals of each region of the scope (one row per region, the year's months only)."""
    stale = stale_months(source)
    query = _summed(select(StatRollup.region_code).where(
        StatRollup.source == source.name, StatRollup.dimension == ALL, StatRollup.region_code.in_(regions)), stale)
    if year is not None:
        query = query.where(StatRollup.month.like(f"{year}-%"))
    out = [dict(row._mapping) for row in db.session.execute(query.group_by(StatRollup.region_code))]
    if stale:
        out += [c for c in compute(source, stale, regions)
                if c["dimension"] == ALL and (year is None or c["month"].startswith(f"{year}-"))]
    return out


@dataclass
class Figures:
    """One line of a report: the sums, and the rates people read."""

    key: str
    label: str
    n: int = 0
    amount_fen: int = 0
    budget_fen: int = 0
    budgeted_amount_fen: int = 0
    sme_n: int = 0
    sme_amount_fen: int = 0
    small_micro_n: int = 0
    small_micro_amount_fen: int = 0

    def add(self, cell: dict) -> None:
        for m in MEASURES:
            setattr(self, m, getattr(self, m) + int(cell[m] or 0))

    @property
    def savings_fen(self) -> int:
        return self.budget_fen - self.budgeted_amount_fen

    @property
    def savings_rate(self) -> float | None:
        """(budget − contract) / budget, over the rows whose budget is known."""
        return self.savings_fen / self.budget_fen if self.budget_fen else None

    @property
    def sme_share(self) -> float | None:
        """SME contracts' value ÷ every contract's value (财库〔2020〕46号 reports by value)."""
        return self.sme_amount_fen / self.amount_fen if self.amount_fen else None

    @property
    def small_micro_share(self) -> float | None:
        """Small and micro enterprises' value ÷ the SMEs' value."""
        return self.small_micro_amount_fen / self.sme_amount_fen if self.sme_amount_fen else None

    def as_dict(self) -> dict:
        return {**dataclasses.asdict(self), "savings_fen": self.savings_fen, "savings_rate": self.savings_rate,
                "sme_share": self.sme_share, "small_micro_share": self.small_micro_share}


@dataclass
class Table:
    name: str  # "method", "month", "year", "region"…
    title: str  # "按采购方式"
    rows: list[Figures] = field(default_factory=list)
    heading: str = ""  # the first column's: "采购方式"


@dataclass
class Report:
    source: StatSource
    region_code: str
    year: int | None
    total: Figures
    tables: list[Table]
    years: list[int]
    stale: bool  # some month was read live (not yet rebuilt)

    def table(self, name: str) -> Table:
        from core.errors import NotFound

        for table in self.tables:
            if table.name == name:
                return table
        raise NotFound("没有这张统计表。", code="statistic_table_not_found")


def _region_lines(scope: str, region_cells: Iterable[dict]) -> list[Figures]:
    """Cells summed by the scope region's children (the scope's own rows under itself)."""
    from accounts.models import Region

    parents = dict(db.session.execute(select(Region.code, Region.parent_code)).all())
    names = dict(db.session.execute(select(Region.code, Region.name)).all())

    def child_of_scope(code: str) -> str:
        node = code
        while node is not None and parents.get(node) != scope and node != scope:
            node = parents.get(node)
        return node or code

    lines: dict[str, Figures] = {}
    for cell in region_cells:
        top = child_of_scope(cell["region_code"])
        lines.setdefault(top, Figures(top, names.get(top, top))).add(cell)
    return sorted(lines.values(), key=lambda f: -f.amount_fen)


def report(source: StatSource, region_code: str, year: int | None = None) -> Report:
    """The figures of a region and every region under it, for one year (or all years)."""
    from flask_babel import gettext

    from accounts.service import regions_under

    scope = sorted(regions_under(region_code))
    found = cells(source, scope, by_region=False)
    years = sorted({int(c["month"][:4]) for c in found if c["dimension"] == ALL}, reverse=True)
    chosen = [c for c in found if year is None or c["month"].startswith(f"{year}-")]
    totals = [c for c in chosen if c["dimension"] == ALL]
    total = Figures("", gettext("合计"))
    by_month: dict[str, Figures] = {}
    by_year: dict[str, Figures] = {}
    for cell in totals:
        total.add(cell)
        by_month.setdefault(cell["month"], Figures(cell["month"], cell["month"])).add(cell)
    for cell in (c for c in found if c["dimension"] == ALL):
        y = cell["month"][:4]
        by_year.setdefault(y, Figures(y, gettext("%(year)s 年", year=y))).add(cell)
    tables = [Table("year", gettext("按年度"), sorted(by_year.values(), key=lambda f: f.key), gettext("年度")),
              Table("month", gettext("按月份"), sorted(by_month.values(), key=lambda f: f.key), gettext("月份"))]
    for dim in source.dimensions:
        lines: dict[str, Figures] = {}
        for cell in (c for c in chosen if c["dimension"] == dim.name):
            lines.setdefault(cell["key"], Figures(cell["key"], cell["key"])).add(cell)
        names = dim.names(sorted(lines))
        for line in lines.values():
            line.label = str(names.get(line.key) or line.key or gettext("未注明"))
        tables.append(Table(dim.name, gettext("按%(dim)s", dim=str(dim.label)),
                            sorted(lines.values(), key=lambda f: -f.amount_fen), str(dim.label)))
    tables.append(Table("region", gettext("按地区"), _region_lines(region_code, _region_cells(source, scope, year)),
                        gettext("地区")))
    return Report(source, region_code, year, total, tables, years, bool(stale_months(source)))


# ---------------------------------------------------------------- exports

def table_rows(table: Table) -> tuple[list[str], list[list]]:
    """A table as a header and plain rows (yuan with two decimals, rates in per cent), for CSV and XLSX."""
    from flask_babel import gettext

    header = [table.heading or table.title, gettext("数量"), gettext("合同金额（元）"),
              gettext("预算金额（元）"), gettext("节约资金（元）"), gettext("节约率（%）"),
              gettext("中小企业金额（元）"), gettext("中小企业占比（%）"), gettext("小微企业占中小企业比例（%）")]

    def pct(value: float | None):
        return None if value is None else round(value * 100, 2)

    rows = [[f.label, f.n, f.amount_fen / 100, f.budget_fen / 100, f.savings_fen / 100, pct(f.savings_rate),
             f.sme_amount_fen / 100, pct(f.sme_share), pct(f.small_micro_share)] for f in table.rows]
    return header, rows


def to_csv(table: Table) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens the Chinese headers right."""
    import csv
    import io

    header, rows = table_rows(table)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(["" if v is None else (f"{v:.2f}" if isinstance(v, float) else v) for v in row]
                     for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(tables: Sequence[Table], heading: str) -> bytes:
    """One sheet per table, numbers as numbers (amounts with two decimals)."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for table in tables:
        sheet = book.create_sheet(table.title[:31])
        header, rows = table_rows(table)
        sheet.append([heading])
        sheet.append(header)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
        for row in sheet.iter_rows(min_row=3, min_col=3, max_col=9):
            for cell in row:
                cell.number_format = "#,##0.00"
        sheet.column_dimensions["A"].width = 24
        for col in "BCDEFGHI":
            sheet.column_dimensions[col].width = 16
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
