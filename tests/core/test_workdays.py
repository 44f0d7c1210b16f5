import json
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import workdays
from core.workdays import (
    DEFAULT_PATH,
    CalendarDataError,
    WorkdayCalendar,
    add_calendar_days,
    days_between,
    has_min_calendar_days,
    has_min_workdays,
    period_end_calendar_days,
    period_end_workdays,
)

CAL = WorkdayCalendar.load()
D = date.fromisoformat


def dates(first: str, last: str) -> list[date]:
    start, end = D(first), D(last)
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def test_packaged_file_covers_2024_to_2026():
    assert CAL.years == {2024, 2025, 2026}
    assert CAL.covers(D("2025-06-30")) and not CAL.covers(D("2027-01-04"))
    assert "国务院办公厅" in json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))["years"]["2025"]["source"]


@pytest.mark.parametrize("day", dates("2025-10-01", "2025-10-08"))
def test_national_day_2025_is_off(day):
    assert CAL.is_holiday(day) and not CAL.is_workday(day)


@pytest.mark.parametrize("day", ["2025-09-28", "2025-10-11"])
def test_national_day_2025_makeup_days_are_worked(day):
    assert D(day).weekday() >= 5
    assert CAL.is_makeup_workday(D(day)) and CAL.is_workday(D(day))


def test_spring_festival_2025():
    assert all(not CAL.is_workday(d) for d in dates("2025-01-28", "2025-02-04"))  # 除夕 to 初七
    assert CAL.is_workday(D("2025-01-27")) and CAL.is_workday(D("2025-02-05"))
    assert CAL.is_workday(D("2025-01-26")) and CAL.is_workday(D("2025-02-08"))  # Sunday, Saturday


@pytest.mark.parametrize(
    ("year", "weekday_holidays", "makeup_days"),
    # weekday days off minus make-up days = statutory holidays: 11 before 2025, 13 since
    [(2024, 19, 8), (2025, 18, 5), (2026, 19, 6)],
)
def test_each_year_adds_up_to_the_statutory_holidays(year, weekday_holidays, makeup_days):
    off = [d for d in CAL.holidays if d.year == year and d.weekday() < 5]
    on = [d for d in CAL.makeup_workdays if d.year == year]
    assert (len(off), len(on)) == (weekday_holidays, makeup_days)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2024-02-09", True),  # 除夕 2024 was only "encouraged" off
        ("2024-02-18", True),
        ("2024-05-11", True),
        ("2024-06-10", False),
        ("2024-09-14", True),
        ("2026-01-04", True),
        ("2026-02-15", False),
        ("2026-02-23", False),
        ("2026-02-28", True),
        ("2026-10-10", True),
        ("2025-06-03", True),
        ("2025-06-07", False),  # an ordinary Saturday
    ],
)
def test_selected_days(day, expected):
    assert CAL.is_workday(D(day)) is expected


def test_uncovered_years_fall_back_to_monday_to_friday():
    assert CAL.is_workday(D("2027-10-01"))  # a Friday: the 2027 notice is not in the data
    assert not CAL.is_workday(D("2027-10-02"))
    assert not CAL.covers(D("2027-10-01"))


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        ("2025-09-30", 1, "2025-10-09"),  # across National Day
        ("2025-09-26", 1, "2025-09-28"),  # Friday → the make-up Sunday
        ("2025-09-30", 2, "2025-10-10"),
        ("2025-09-30", 3, "2025-10-11"),  # make-up Saturday
        ("2025-09-30", 4, "2025-10-13"),
        ("2025-01-27", 1, "2025-02-05"),  # across Spring Festival
        ("2025-10-09", -1, "2025-09-30"),
        ("2025-10-05", -1, "2025-09-30"),  # from inside the break
        ("2025-10-05", 1, "2025-10-09"),
        ("2025-10-05", 0, "2025-10-05"),  # n == 0: unchanged
        ("2025-07-04", 5, "2025-07-11"),  # an ordinary week
        ("2026-12-31", 1, "2027-01-01"),  # outside the data: Mon–Fri (2027's 元旦 not yet known)
    ],
)
def test_add_workdays(start, n, expected):
    assert CAL.add_workdays(D(start), n) == D(expected)


def test_subtract_workdays():
    assert CAL.subtract_workdays(D("2025-10-09"), 1) == D("2025-09-30")
    assert CAL.subtract_workdays(D("2025-02-05"), 2) == D("2025-01-26")


def test_workdays_between():
    assert CAL.workdays_between(D("2025-09-30"), D("2025-10-09")) == 1
    assert CAL.workdays_between(D("2025-09-26"), D("2025-10-12")) == 6  # 9-28..30, 10-9..11
    assert CAL.workdays_between(D("2025-10-09"), D("2025-09-30")) == -1
    assert CAL.workdays_between(D("2024-01-01"), D("2023-12-29")) == -1  # backward: [b, a)
    assert CAL.workdays_between(D("2025-10-01"), D("2025-10-01")) == 0
    assert CAL.workdays_between(D("2024-12-31"), D("2025-12-31")) == 248  # working days in 2025
    assert CAL.workdays_between(D("2023-12-31"), D("2024-12-31")) == 251
    assert CAL.workdays_between(D("2025-12-31"), D("2026-12-31")) == 248


def test_next_workday_and_listing():
    assert CAL.next_workday(D("2025-10-01")) == D("2025-10-09")
    assert CAL.next_workday(D("2025-10-09")) == D("2025-10-09")
    assert CAL.next_workday(D("2025-10-09"), include_today=False) == D("2025-10-10")
    assert list(CAL.workdays_in(D("2025-09-27"), D("2025-10-01"))) == dates("2025-09-28", "2025-09-30")


@given(st.dates(min_value=date(2023, 6, 1), max_value=date(2027, 6, 30)), st.integers(-60, 60))
def test_add_and_count_agree(start, n):
    end = CAL.add_workdays(start, n)
    assert CAL.workdays_between(start, end) == n
    if n:
        assert CAL.is_workday(end)


@given(st.dates(min_value=date(2023, 6, 1), max_value=date(2027, 6, 30)), st.integers(0, 800))
def test_count_matches_day_by_day(start, span):
    end = start + timedelta(days=span)
    assert CAL.workdays_between(start, end) == sum(
        CAL.is_workday(start + timedelta(days=i)) for i in range(1, span + 1)
    )


def test_datetimes_are_refused():
    with pytest.raises(TypeError, match="to_local"):
        CAL.is_workday(datetime(2025, 10, 1, 16, tzinfo=UTC))
    with pytest.raises(TypeError):
        CAL.add_workdays("2025-10-01", 1)


def test_calendar_day_helpers():
    assert days_between(D("2025-09-30"), D("2025-10-20")) == 20
    assert days_between(D("2025-10-20"), D("2025-09-30")) == -20
    assert add_calendar_days(D("2025-12-25"), 10) == D("2026-01-04")
    assert has_min_calendar_days(D("2025-09-30"), D("2025-10-20"), 20)
    assert not has_min_calendar_days(D("2025-09-30"), D("2025-10-19"), 20)


def test_legal_period_helpers():
    # 3 working days from Tuesday 2025-09-30: 10-09, 10-10, 10-11 (make-up Saturday)
    assert period_end_workdays(D("2025-09-30"), 3, CAL) == D("2025-10-11")
    assert has_min_workdays(D("2025-09-30"), D("2025-10-11"), 3, CAL)
    assert not has_min_workdays(D("2025-09-30"), D("2025-10-10"), 3, CAL)
    # a calendar-day period ending inside a holiday ends on the next working day
    assert period_end_calendar_days(D("2025-09-24"), 7, CAL) == D("2025-10-09")
    assert period_end_calendar_days(D("2025-09-20"), 7, CAL) == D("2025-09-28")  # make-up Sunday counts
    assert period_end_calendar_days(D("2025-07-01"), 30, CAL) == D("2025-07-31")


def test_process_wide_calendar(tmp_path):
    assert workdays.get_calendar().years == CAL.years
    try:
        path = tmp_path / "cal.json"
        path.write_text(json.dumps({"years": {"2030": {"holidays": ["2030-01-01"], "workdays": []}}}))
        assert workdays.configure_calendar(path).years == {2030}
        assert not has_min_workdays(D("2029-12-31"), D("2030-01-01"), 1)
        assert WorkdayCalendar.from_config({"WORKDAY_CALENDAR": str(path)}).years == {2030}
        assert WorkdayCalendar.from_config({"WORKDAY_CALENDAR": None}).years == CAL.years
    finally:
        workdays.configure_calendar()


def write(tmp_path, years, name="cal.json"):
    path = tmp_path / name
    path.write_text(json.dumps({"version": "t", "years": years}, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("years", "message"),
    [
        ({"2025": {"holidays": ["2025-10-01"], "workdays": ["2025-10-01"]}}, "2025-10-01 is in years.2025"),
        ({"2025": {"holidays": [], "workdays": ["2025-09-29"]}}, r"workdays has 2025-09-29, a Monday"),
        ({"2025": {"holidays": ["2025-13-01"], "workdays": []}}, r"holidays\[0\] = '2025-13-01' is not"),
        ({"2025": {"holidays": ["2025-10-1"], "workdays": []}}, "is not a date"),
        ({"2025": {"holidays": [20251001], "workdays": []}}, "is not a date"),
        ({"2025": {"holidays": ["2024-10-01"], "workdays": []}}, "is not in 2025"),
        ({"2025": {"holidays": ["2025-10-01", "2025-10-01"], "workdays": []}}, "listed twice"),
        ({"2025": {"holidays": []}}, "years.2025.workdays must be a list"),
        ({"25": {"holidays": [], "workdays": []}}, "four-digit year"),
        ({"2025": []}, "must be an object"),
    ],
)
def test_bad_data_names_the_entry(tmp_path, years, message):
    path = write(tmp_path, years)
    with pytest.raises(CalendarDataError, match=message) as info:
        WorkdayCalendar.load(path)
    assert str(path) in str(info.value)


def test_unreadable_files(tmp_path):
    with pytest.raises(CalendarDataError, match="cannot read"):
        WorkdayCalendar.load(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(CalendarDataError, match="not valid JSON"):
        WorkdayCalendar.load(bad)
    with pytest.raises(CalendarDataError, match='"years"'):
        WorkdayCalendar.from_dict({"version": 1})


def test_notes_are_kept():
    assert "除夕" in CAL.notes[2024]
