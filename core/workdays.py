"""Working days and legal periods: weekends, Chinese public holidays and make-up working days.

Procurement law counts many periods in working days (工作日): tender documents on offer for
at least 5, negotiation and inquiry responses after at least 3, results published within 2.
A working day is Monday to Friday, minus the public holidays, plus the make-up working days
(调休上班日) that the State Council announces each year. The data released with
the code lives in `core/data/holidays_cn.json` (override the path with the WORKDAY_CALENDAR setting);
a supervisor adds later years from the State Council's notice on a page (portal/workday_calendar.py, stored
in the database) without a code change. Years in neither fall back to Monday–Friday, and
`covers()` says so, so that a caller can warn instead of guessing.

All functions take local (Beijing) calendar dates. A `datetime` is refused: a deadline stored
in UTC must first go through `core.clock.to_local(dt).date()`, or it may land on the wrong day.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "holidays_cn.json"
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

__all__ = [
    "DEFAULT_PATH",
    "CalendarDataError",
    "WorkdayCalendar",
    "add_calendar_days",
    "configure_calendar",
    "days_between",
    "get_calendar",
    "has_min_calendar_days",
    "has_min_workdays",
    "period_end_calendar_days",
    "period_end_workdays",
    "use_calendar",
]


class CalendarDataError(ValueError):
    """The holiday data file is malformed; the message names the file and the entry."""


def _check_date(value: object, what: str = "date") -> date:
    if isinstance(value, datetime):
        raise TypeError(f"{what} must be a local date, not a datetime: use to_local(dt).date()")
    if not isinstance(value, date):
        raise TypeError(f"{what} must be a date, not {type(value).__name__}")
    return value


def _weekdays_after(a: date, b: date) -> int:
    """Mon–Fri days in (a, b] for a <= b, by arithmetic so long ranges stay cheap."""
    days = (b - a).days
    full_weeks, rest = divmod(days, 7)
    count = full_weeks * 5
    for offset in range(1, rest + 1):
        if (a + timedelta(days=full_weeks * 7 + offset)).weekday() < 5:
            count += 1
    return count


@dataclass(frozen=True)
class WorkdayCalendar:
    """Weekends plus announced holidays and make-up working days, for the years the data covers."""

    holidays: frozenset[date] = frozenset()
    makeup_workdays: frozenset[date] = frozenset()
    years: frozenset[int] = frozenset()
    version: str = ""
    source: str = ""
    notes: Mapping[int, str] = field(default_factory=dict)

    # -- loading -------------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path | None = None) -> WorkdayCalendar:
        """Load and validate a holiday file; None means the packaged one."""
        path = DEFAULT_PATH if path is None else Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise CalendarDataError(f"{path}: cannot read the working-day calendar ({exc.strerror})") from exc
        except json.JSONDecodeError as exc:
            raise CalendarDataError(f"{path}: not valid JSON ({exc})") from exc
        return cls.from_dict(data, origin=str(path))

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> WorkdayCalendar:
        """The calendar named by the WORKDAY_CALENDAR setting, else the packaged one."""
        return cls.load(config.get("WORKDAY_CALENDAR") or None)

    @classmethod
    def from_dict(cls, data: Any, *, origin: str = "<calendar data>") -> WorkdayCalendar:
        """Validate parsed JSON: dates parse and sit in their year, no date is both a holiday
        and a workday, and every make-up workday is a Saturday or Sunday."""
        if not isinstance(data, Mapping) or not isinstance(data.get("years"), Mapping):
            raise CalendarDataError(f'{origin}: expected an object with a "years" object')
        holidays: set[date] = set()
        makeup: set[date] = set()
        years: set[int] = set()
        notes: dict[int, str] = {}
        for key, entry in data["years"].items():
            year = _parse_year(key, origin)
            if not isinstance(entry, Mapping):
                raise CalendarDataError(f"{origin}: years.{key} must be an object")
            off = _parse_dates(entry, "holidays", year, origin)
            on = _parse_dates(entry, "workdays", year, origin)
            if off & on:
                day = min(off & on)
                raise CalendarDataError(f"{origin}: {day} is in years.{key} as both holiday and workday")
            for day in sorted(on):
                if day.weekday() < 5:
                    raise CalendarDataError(
                        f"{origin}: years.{key}.workdays has {day}, a {_WEEKDAY_NAMES[day.weekday()]}; "
                        "make-up workdays are Saturdays or Sundays"
                    )
            holidays |= off
            makeup |= on
            years.add(year)
            if entry.get("note"):
                notes[year] = str(entry["note"])
        return cls(frozenset(holidays), frozenset(makeup), frozenset(years),
                   str(data.get("version", "")), str(data.get("source", "")), notes)

    def with_years(self, years: Mapping[str, Any]) -> WorkdayCalendar:
        """This calendar plus more years, given as the file's `years` object; a year it already has is
        refused (a period already counted on it would change)."""
        added = WorkdayCalendar.from_dict({"years": years}, origin="<added years>")
        clash = sorted(self.years & added.years)
        if clash:
            raise CalendarDataError(f"<added years>: {clash[0]} is already in the calendar")
        return WorkdayCalendar(self.holidays | added.holidays, self.makeup_workdays | added.makeup_workdays,
                               self.years | added.years, self.version, self.source, {**self.notes, **added.notes})

    # -- questions about one day ---------------------------------------------------------------
    def covers(self, day: date) -> bool:
        """Whether the announced holidays of this day's year are in the data (else Mon–Fri is a guess)."""
        return _check_date(day).year in self.years

    def is_holiday(self, day: date) -> bool:
        """Whether the day is inside an announced public-holiday break (weekends in the break included)."""
        return _check_date(day) in self.holidays

    def is_makeup_workday(self, day: date) -> bool:
        """Whether the day is a weekend day worked in exchange for a holiday (调休上班日)."""
        return _check_date(day) in self.makeup_workdays

    def is_workday(self, day: date) -> bool:
        """Whether offices are open: a make-up day, or a weekday that is not a holiday."""
        _check_date(day)
        if day in self.makeup_workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    # -- arithmetic ----------------------------------------------------------------------------
    def add_workdays(self, day: date, n: int) -> date:
        """The n-th working day after `day` (before it if n < 0); n == 0 returns `day` unchanged.

        For n != 0 the result is always a working day, even when `day` is not one: one working
        day after Saturday 2025-09-27 is Sunday 2025-09-28, a make-up day.
        """
        _check_date(day)
        step = 1 if n > 0 else -1
        remaining = abs(int(n))
        while remaining:
            day += timedelta(days=step)
            if self.is_workday(day):
                remaining -= 1
        return day

    def subtract_workdays(self, day: date, n: int) -> date:
        """The n-th working day before `day`; the same as add_workdays(day, -n)."""
        return self.add_workdays(day, -n)

    def workdays_between(self, a: date, b: date) -> int:
        """Working days passed walking from a to b: a not counted, b counted; negative if b < a.

        Forward that is (a, b], backward [b, a), so workdays_between(a, add_workdays(a, n)) == n
        for every n, and the count matches how the law counts periods (the event day is not
        counted).
        """
        _check_date(a, "a")
        _check_date(b, "b")
        if b < a:
            one = timedelta(days=1)
            return -self._workdays_after(b - one, a - one)
        return self._workdays_after(a, b)

    def _workdays_after(self, a: date, b: date) -> int:
        """Working days in (a, b] for a <= b: weekdays, less weekday holidays, plus make-up days."""
        count = _weekdays_after(a, b)
        count -= sum(1 for d in self.holidays if a < d <= b and d.weekday() < 5)
        count += sum(1 for d in self.makeup_workdays if a < d <= b)
        return count

    def next_workday(self, day: date, *, include_today: bool = True) -> date:
        """The first working day on or after `day` (strictly after, if include_today is False)."""
        if include_today and self.is_workday(day):
            return day
        return self.add_workdays(day, 1)

    def workdays_in(self, a: date, b: date) -> Iterable[date]:
        """The working days in [a, b], for listing them in a notice or a timeline."""
        _check_date(a, "a")
        _check_date(b, "b")
        day = a
        while day <= b:
            if self.is_workday(day):
                yield day
            day += timedelta(days=1)


def _parse_year(key: object, origin: str) -> int:
    text = str(key)
    if len(text) != 4 or not text.isdigit():
        raise CalendarDataError(f'{origin}: years key {key!r} is not a four-digit year like "2025"')
    return int(text)


def _parse_dates(entry: Mapping[str, Any], name: str, year: int, origin: str) -> set[date]:
    values = entry.get(name)
    if not isinstance(values, list):
        raise CalendarDataError(f'{origin}: years.{year}.{name} must be a list of "YYYY-MM-DD" dates')
    days: set[date] = set()
    for index, value in enumerate(values):
        where = f"{origin}: years.{year}.{name}[{index}] = {value!r}"
        try:
            day = date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
        except ValueError:
            day = None
        if day is None:
            raise CalendarDataError(f"{where} is not a date written YYYY-MM-DD")
        if day.year != year:
            raise CalendarDataError(f"{where} is not in {year}")
        if day in days:
            raise CalendarDataError(f"{where} is listed twice")
        days.add(day)
    return days


# -- the process-wide calendar ---------------------------------------------------------------------

_calendar: WorkdayCalendar | None = None


def configure_calendar(path: str | Path | None = None) -> WorkdayCalendar:
    """Load the calendar once at start-up (app factory: the WORKDAY_CALENDAR setting), failing fast."""
    global _calendar
    _calendar = WorkdayCalendar.load(path)
    return _calendar


def use_calendar(calendar: WorkdayCalendar) -> WorkdayCalendar:
    """Make `calendar` the process-wide one (the packaged file plus the years a supervisor added)."""
    global _calendar
    _calendar = calendar
    return _calendar


def get_calendar() -> WorkdayCalendar:
    """The process-wide calendar; the packaged data unless configure_calendar() chose another file."""
    return _calendar if _calendar is not None else configure_calendar()


# -- legal periods -------------------------------------------------------------------------------
# Periods follow the Civil Code: the day of the event is not counted (art. 201), and a period
# that ends on a statutory rest day ends on the next working day instead (art. 203).


def days_between(a: date, b: date) -> int:
    """Calendar days from a to b (b - a); 20 means b is at least the 20th day after a."""
    return (_check_date(b, "b") - _check_date(a, "a")).days


def add_calendar_days(day: date, n: int) -> date:
    """The date n calendar days after (n < 0: before) `day`."""
    return _check_date(day) + timedelta(days=n)


def has_min_calendar_days(start: date, end: date, days: int) -> bool:
    """Whether end leaves at least `days` calendar days after start (e.g. 公开招标: 20 days from
    the tender documents' release to the bid deadline)."""
    return days_between(start, end) >= days


def has_min_workdays(start: date, end: date, days: int, calendar: WorkdayCalendar | None = None) -> bool:
    """Whether (start, end] holds at least `days` working days (e.g. 询价: 3 working days)."""
    return (calendar or get_calendar()).workdays_between(start, end) >= days


def period_end_calendar_days(start: date, days: int, calendar: WorkdayCalendar | None = None) -> date:
    """Last day of a period of `days` calendar days counted from the day after start; moved to the
    next working day when it falls on a weekend or holiday (e.g. 30 days to sign the contract after
    the award notice)."""
    return (calendar or get_calendar()).next_workday(add_calendar_days(start, days))


def period_end_workdays(start: date, days: int, calendar: WorkdayCalendar | None = None) -> date:
    """Last day of a period of `days` working days counted from the day after start (e.g. publish
    the result within 2 working days)."""
    return (calendar or get_calendar()).add_workdays(start, days)
