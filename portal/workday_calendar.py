"""Years of the working-day calendar added by a supervisor from the State Council's notice.

The packaged file (`core/data/holidays_cn.json`) covers the years known when the code was released;
the State Council announces next year's holidays each autumn, and the platform's deadlines cannot wait
for a release. A supervisor enters the year on a page (`/supervision/calendar`): the holiday breaks and
the make-up working days, with the notice they come from. The year is checked as the packaged data is
(dates inside the year, make-up days on weekends, no day both), compared with a second source (the
maintained `chinesecalendar` package) where that knows the year, audited, and from then on part of the
calendar every process uses (each process reloads the stored years within `WORKDAY_RELOAD_SECONDS`).

A year already in the calendar is not replaced: periods already counted on it would silently change.
From 1 October the supervisors' dashboard asks for next year while it is missing.
"""

from __future__ import annotations

import json
import re
import time
from datetime import date, datetime, timedelta
from typing import Any

from celery.signals import task_prerun
from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import ForeignKey, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, mapped_column

from accounts.models import Role, User
from audit import service as audit
from core import clock, workdays
from core.db import UTCDateTime, db
from core.errors import Conflict, ValidationError
from portal.dashboard import nav_item
from portal.needs import Need, needs_source

ANNOUNCE_MONTH = 10  # the dashboard asks for next year from 1 October (notices come out Oct–Dec)
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*(?:\.\.|至|~|—|–|-{2})\s*(\d{4}-\d{2}-\d{2})$")


class WorkdayYear(db.Model):
    """One year's announced holidays and make-up working days, as a supervisor entered them."""

    __tablename__ = "workday_year"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    holidays: Mapped[str] = mapped_column(Text)      # JSON list of "YYYY-MM-DD", sorted
    workdays: Mapped[str] = mapped_column(Text)      # JSON list of "YYYY-MM-DD", sorted
    source: Mapped[str] = mapped_column(String(300))  # the notice: title and date
    note: Mapped[str] = mapped_column(Text, default="")
    added_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def entry(self) -> dict[str, Any]:
        """The year as the calendar file writes it."""
        return {"holidays": json.loads(self.holidays), "workdays": json.loads(self.workdays),
                "source": self.source, "note": self.note}


# -- reading the supervisor's text -----------------------------------------------------------------


def parse_days(text: str, what: str) -> list[date]:
    """Dates one per line or separated by commas; a break may be written `2027-02-05..2027-02-13`
    (or `至`). Errors name the line, in the page's language."""
    days: list[date] = []
    for raw in re.split(r"[\n,，;；、]+", text or ""):
        item = raw.strip()
        if not item:
            continue
        found = _RANGE.match(item)
        try:
            if found:
                first, last = date.fromisoformat(found.group(1)), date.fromisoformat(found.group(2))
                if last < first:
                    raise ValueError
                days.extend(first + timedelta(days=i) for i in range((last - first).days + 1))
            else:
                days.append(date.fromisoformat(item))
        except ValueError:
            raise ValidationError(_("%(what)s中的“%(item)s”不是日期（写作 2027-01-01，连续的假期写作 "
                                    "2027-02-05..2027-02-13）。", what=what, item=item),
                                  code="calendar_date_invalid") from None
    return days


def check_year(year: int, holidays: list[date], makeup: list[date]) -> workdays.WorkdayCalendar:
    """The year as a calendar, refused where the packaged file's checks refuse it (in the user's words)."""
    if not 2000 <= year <= 2100:
        raise ValidationError(_("年份应为四位数字，例如 2027。"), code="calendar_year_invalid")
    if not holidays:
        raise ValidationError(_("请填写 %(year)s 年的法定节假日（放假的每一天）。", year=year),
                              code="calendar_holidays_missing")
    for name, days in ((_("放假日期"), holidays), (_("调休上班日期"), makeup)):
        for day in days:
            if day.year != year:
                raise ValidationError(_("%(what)s中的 %(day)s 不在 %(year)s 年内。", what=name, day=day.isoformat(),
                                        year=year), code="calendar_date_outside_year")
        if len(set(days)) != len(days):
            twice = sorted(d for d in set(days) if days.count(d) > 1)[0]
            raise ValidationError(_("%(what)s中的 %(day)s 写了两次。", what=name, day=twice.isoformat()),
                                  code="calendar_date_twice")
    both = sorted(set(holidays) & set(makeup))
    if both:
        raise ValidationError(_("%(day)s 不能既是放假日又是调休上班日。", day=both[0].isoformat()),
                              code="calendar_date_both")
    weekday = sorted(d for d in makeup if d.weekday() < 5)
    if weekday:
        raise ValidationError(_("调休上班日 %(day)s 是工作日（周一至周五），调休上班日只能是周六或周日。",
                                day=weekday[0].isoformat()), code="calendar_makeup_weekday")
    return workdays.WorkdayCalendar.from_dict({"years": {str(year): _entry(holidays, makeup)}})


def _entry(holidays: list[date], makeup: list[date], **extra: str) -> dict[str, Any]:
    return {"holidays": [d.isoformat() for d in sorted(holidays)],
            "workdays": [d.isoformat() for d in sorted(makeup)], **extra}


def second_source(year: int, holidays: list[date], makeup: list[date]) -> dict[str, Any] | None:
    """Where the `chinesecalendar` package disagrees with what was entered, or None when it does not know
    the year. It is a second reading of the same State Council notice, not an authority: the page shows
    the differences and the supervisor decides."""
    import chinese_calendar

    first, last = date(year, 1, 1), date(year, 12, 31)
    try:
        theirs_off = set(chinese_calendar.get_holidays(first, last, include_weekends=True))
        theirs_on = {d for d in chinese_calendar.get_workdays(first, last, include_weekends=True)
                     if d.weekday() >= 5}
    except NotImplementedError:
        return None
    entered = check_year(year, holidays, makeup)
    # The package counts every ordinary weekend as a holiday: compare the days that differ from Mon–Fri.
    theirs_breaks = {d for d in theirs_off if d.weekday() < 5}
    ours_breaks = {d for d in entered.holidays if d.weekday() < 5}
    return {"missing_holidays": sorted(theirs_breaks - ours_breaks),
            "extra_holidays": sorted(ours_breaks - theirs_breaks),
            "missing_workdays": sorted(theirs_on - entered.makeup_workdays),
            "extra_workdays": sorted(entered.makeup_workdays - theirs_on)}


# -- the service -----------------------------------------------------------------------------------


def add_year(user: User, year: int, holidays: list[date], makeup: list[date], *, source: str,
             note: str = "") -> WorkdayYear:
    """Store a year of the calendar (supervisors only), audited in the same transaction; the calling view
    commits, then `refresh(force=True)` makes this process count with it at once."""
    if not user.has_role(Role.SUPERVISOR):
        raise ValidationError(_("只有财政监管人员可以添加节假日安排。"), code="forbidden", status=403)
    source = (source or "").strip()
    if not source:
        raise ValidationError(_("请写明依据的通知（例如：国务院办公厅关于2027年部分节假日安排的通知，发布日期）。"),
                              code="calendar_source_missing")
    check_year(year, holidays, makeup)
    if workdays.get_calendar().covers(date(year, 1, 1)) or db.session.get(WorkdayYear, year) is not None:
        raise Conflict(_("工作日历已有 %(year)s 年的节假日安排，不能覆盖：已经按它计算的期限会随之改变。", year=year),
                       code="calendar_year_exists")
    entry = _entry(holidays, makeup)
    row = WorkdayYear(year=year, holidays=json.dumps(entry["holidays"]), workdays=json.dumps(entry["workdays"]),
                      source=source[:300], note=(note or "").strip(), added_by_id=user.id, added_at=clock.now())
    db.session.add(row)
    db.session.flush()
    audit.record("calendar.year_added", row, {"year": year, "holidays": entry["holidays"],
                                               "workdays": entry["workdays"], "source": row.source})
    return row


def stored_years() -> list[WorkdayYear]:
    return list(db.session.scalars(select(WorkdayYear).order_by(WorkdayYear.year)))


_state: dict[str, Any] = {"checked": 0.0, "mark": None, "base": None}


def refresh(*, force: bool = False, max_age: float = 60.0) -> workdays.WorkdayCalendar:
    """Make the process-wide calendar the packaged file plus the stored years. Cheap when nothing
    changed: one small query at most every `max_age` seconds."""
    now = time.monotonic()
    if not force and now - _state["checked"] < max_age:
        return workdays.get_calendar()
    _state["checked"] = now
    mark = db.session.execute(select(func.count(WorkdayYear.year), func.max(WorkdayYear.year))).one()
    mark = tuple(mark)
    if not force and mark == _state["mark"]:
        return workdays.get_calendar()
    _state["mark"] = mark
    extra = {str(row.year): row.entry() for row in stored_years()}
    return workdays.use_calendar(_state["base"].with_years(extra) if extra else _state["base"])


def start_from(calendar: workdays.WorkdayCalendar) -> None:
    """The app factory configured this calendar (the packaged file): stored years are added to it."""
    _state.update(checked=0.0, mark=None, base=calendar)


def missing_next_year(today: date | None = None) -> int | None:
    """Next year, from 1 October while the calendar lacks it; else None."""
    today = today or clock.to_local(clock.now()).date()
    if today.month < ANNOUNCE_MONTH:
        return None
    year = today.year + 1
    return None if workdays.get_calendar().covers(date(year, 1, 1)) else year


# -- the page --------------------------------------------------------------------------------------

bp = Blueprint("workday_calendar", __name__, url_prefix="/supervision/calendar")


def _supervisor() -> None:
    if not current_user.has_role(Role.SUPERVISOR):
        abort(403)


def _years_view() -> list[dict[str, Any]]:
    cal = workdays.get_calendar()
    stored = {row.year: row for row in stored_years()}
    view = []
    for year in sorted(cal.years | set(stored)):
        row = stored.get(year)
        view.append({"year": year, "holidays": sum(1 for d in cal.holidays if d.year == year),
                     "workdays": sum(1 for d in cal.makeup_workdays if d.year == year),
                     "source": row.source if row else _("随平台发布的日历数据"),
                     "added_by": row and db.session.get(User, row.added_by_id),
                     "added_at": row.added_at if row else None})
    return view


@bp.route("", methods=["GET", "POST"])
def page():
    """List the years the calendar covers and add the next one: preview first (checks and the second
    source), then a confirmation that saves it."""
    _supervisor()
    form = request.form if request.method == "POST" else {}
    preview = error = None
    missing = missing_next_year()
    if request.method == "POST":
        try:
            year_text = form.get("year", "").strip()
            if not year_text.isdigit():
                raise ValidationError(_("年份应为四位数字，例如 2027。"), code="calendar_year_invalid")
            year = int(year_text)
            holidays = parse_days(form.get("holidays", ""), _("放假日期"))
            makeup = parse_days(form.get("workdays", ""), _("调休上班日期"))
            if form.get("confirm") == "1":
                add_year(current_user, year, holidays, makeup, source=form.get("source", ""),
                         note=form.get("note", ""))
                db.session.commit()
                refresh(force=True)
                flash(_("已添加 %(year)s 年的节假日安排，此后按它计算工作日。", year=year), "success")
                return redirect(url_for("workday_calendar.page"))
            check_year(year, holidays, makeup)
            if workdays.get_calendar().covers(date(year, 1, 1)):
                raise Conflict(_("工作日历已有 %(year)s 年的节假日安排，不能覆盖：已经按它计算的期限会随之改变。",
                                 year=year), code="calendar_year_exists")
            preview = {"year": year, "holidays": sorted(holidays), "workdays": sorted(makeup),
                       "second": second_source(year, holidays, makeup)}
        except (ValidationError, Conflict) as exc:
            db.session.rollback()
            error = exc.message
    return render_template("supervision/calendar.html", years=_years_view(), form=form, preview=preview,
                           error=error, missing=missing,
                           suggested=missing or clock.to_local(clock.now()).date().year + 1)


nav_item(_l("工作日历"), "workday_calendar.page", Role.SUPERVISOR, more=True)


@needs_source
def next_year_need(user: User) -> list[Need]:
    """From 1 October the supervisors are asked for next year's holidays, due before the year starts."""
    year = missing_next_year() if user.has_role(Role.SUPERVISOR) else None
    if year is None:
        return []
    due = clock.parse_local(f"{year}-01-01")
    return [Need(key=f"calendar.year:{year}", action=_("添加 %(year)s 年的法定节假日安排", year=year),
                 title=_("国务院办公厅发布通知后录入；缺少时 %(year)s 年的期限只能按周一至周五计算", year=year),
                 url=url_for("workday_calendar.page"), due_at=due)]


@task_prerun.connect
def _calendar_current_in_task(task: Any = None, **_kwargs: Any) -> None:
    """A worker counts with the years stored since it started, as the web processes do."""
    flask_app = getattr(getattr(task, "app", None), "flask_app", None)
    if flask_app is None or "workday_calendar" not in flask_app.blueprints:
        return
    with flask_app.app_context():
        refresh(max_age=float(flask_app.config.get("WORKDAY_RELOAD_SECONDS", 60)))


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    start_from(workdays.get_calendar())
    reload_seconds = float(app.config.get("WORKDAY_RELOAD_SECONDS", 60))

    @app.before_request
    def _calendar_current() -> None:
        refresh(max_age=reload_seconds)
