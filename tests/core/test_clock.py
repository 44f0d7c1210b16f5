from datetime import UTC, datetime, timedelta

import pytest

from core import clock as clock_module
from core.clock import Clock, as_utc, format_local, parse_iso_utc, parse_local, to_local

T0 = datetime(2025, 10, 1, 1, 30, tzinfo=UTC)  # 09:30 in Beijing


class FakeReal:
    """A controllable stand-in for the real wall clock."""

    def __init__(self, start: datetime) -> None:
        self.t = start

    def __call__(self) -> datetime:
        return self.t


@pytest.fixture
def restore_singleton():
    yield clock_module.clock
    clock_module.clock.reset()


def test_real_clock_is_aware_utc():
    now = Clock().now()
    assert now.tzinfo is UTC
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)
    assert Clock().mode == "real"


def test_frozen_clock_set_and_advance():
    c = Clock()
    c.set(T0)
    assert c.now() == T0 and c.mode == "frozen"
    assert c.advance(timedelta(days=20)) == T0 + timedelta(days=20)
    assert c.now() == T0 + timedelta(days=20)


def test_set_converts_to_utc():
    c = Clock()
    c.set(datetime(2025, 10, 1, 9, 30, tzinfo=clock_module.LOCAL_TZ))
    assert c.now() == T0 and c.now().tzinfo is UTC


def test_advance_refused_on_running_clock():
    with pytest.raises(RuntimeError, match="frozen"):
        Clock().advance(timedelta(seconds=1))


def test_frozen_context_restores_previous_mode():
    c = Clock()
    with c.frozen(T0):
        assert c.now() == T0
    assert c.mode == "real"


@pytest.mark.parametrize("bad", [datetime(2025, 1, 1), datetime(2025, 1, 1, 12, 0)])
def test_naive_datetimes_refused(bad):
    c = Clock()
    with pytest.raises(ValueError, match="naive"):
        c.set(bad)
    with pytest.raises(ValueError, match="naive"):
        to_local(bad)
    with pytest.raises(ValueError, match="naive"):
        Clock(frozen_at=bad)


def test_accelerated_clock_runs_faster_from_anchor():
    real = FakeReal(T0)
    c = Clock(accel=1440, epoch=T0, source=real)
    assert c.now() == T0 and c.mode == "accelerated"
    real.t = T0 + timedelta(minutes=1)
    assert c.now() == T0 + timedelta(days=1)
    real.t = T0 + timedelta(minutes=20)
    assert c.now() == T0 + timedelta(days=20)
    assert c.real_seconds(timedelta(days=1)) == 60


def test_accelerated_clock_with_virtual_anchor():
    real = FakeReal(T0 + timedelta(seconds=30))
    virtual_start = datetime(2030, 1, 1, tzinfo=UTC)
    c = Clock(accel=2, epoch=T0, virtual_epoch=virtual_start, source=real)
    assert c.now() == virtual_start + timedelta(seconds=60)


def test_processes_configured_from_same_strings_agree():
    config = {"CLOCK_ACCEL": "1440", "CLOCK_ANCHOR": "2025-10-01T09:30:00+08:00",
              "CLOCK_VIRTUAL_ANCHOR": "2025-11-01T00:00:00Z", "CLOCK_FROZEN_AT": ""}
    real = FakeReal(T0 + timedelta(minutes=3))
    web = Clock.from_config(config, source=real)
    worker = Clock.from_config(dict(config), source=real)
    assert web.now() == worker.now() == datetime(2025, 11, 4, tzinfo=UTC)


def test_from_config_frozen_and_defaults():
    assert Clock.from_config({"CLOCK_FROZEN_AT": "2025-10-01T01:30:00Z"}).now() == T0
    assert Clock.from_config({"CLOCK_ACCEL": 1.0, "CLOCK_ANCHOR": None}).mode == "real"
    assert Clock.from_config({}).mode == "real"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"CLOCK_ACCEL": "1440"}, "CLOCK_ANCHOR"),
        ({"CLOCK_ACCEL": "fast", "CLOCK_ANCHOR": "2025-01-01T00:00Z"}, "not a number"),
        ({"CLOCK_ACCEL": "0", "CLOCK_ANCHOR": "2025-01-01T00:00Z"}, "positive"),
        ({"CLOCK_ACCEL": "-5", "CLOCK_ANCHOR": "2025-01-01T00:00Z"}, "positive"),
        ({"CLOCK_FROZEN_AT": "2025-10-01T09:00"}, "no UTC offset"),
        ({"CLOCK_FROZEN_AT": "tomorrow"}, "ISO 8601"),
        ({"CLOCK_FROZEN_AT": "2025-10-01T09:00Z", "CLOCK_ACCEL": 10}, "cannot be combined"),
        ({"CLOCK_ANCHOR": "2025-01-01"}, "no UTC offset"),
    ],
)
def test_bad_config_refused_clearly(config, message):
    with pytest.raises(ValueError, match=message):
        Clock.from_config(config)


def test_singleton_is_reconfigured_in_place(restore_singleton):
    same = clock_module.clock
    returned = clock_module.configure_from_mapping({"CLOCK_FROZEN_AT": "2025-10-01T01:30:00+00:00"})
    assert returned is same
    assert clock_module.now() == clock_module.utcnow() == T0
    clock_module.configure_clock(frozen_at=T0 + timedelta(hours=1))
    assert clock_module.now() == T0 + timedelta(hours=1)
    clock_module.configure_from_mapping({"CLOCK_ACCEL": 1.0, "CLOCK_ANCHOR": None, "CLOCK_FROZEN_AT": None})
    assert same.mode == "real"


def test_local_display_and_parse():
    assert to_local(T0).hour == 9 and to_local(T0).utcoffset() == timedelta(hours=8)
    assert format_local(T0) == "2025-10-01 09:30"
    assert format_local(T0, "%Y年%m月%d日 %H:%M") == "2025年10月01日 09:30"
    assert format_local(datetime(2025, 12, 31, 16, 0, tzinfo=UTC), "%Y-%m-%d") == "2026-01-01"


@pytest.mark.parametrize(
    "text",
    ["2025-10-01 09:30", "2025-10-01T09:30", "2025-10-01 09:30:00", " 2025-10-01T01:30:00Z ",
     "2025-10-01T09:30+08:00"],
)
def test_parse_local_reads_beijing_time(text):
    parsed = parse_local(text)
    assert parsed == T0 and parsed.tzinfo is UTC


def test_parse_local_bare_date_is_beijing_midnight():
    assert parse_local("2025-10-01") == datetime(2025, 9, 30, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize("bad", ["", "   ", "2025/10/01 9:30", "10月1日"])
def test_parse_local_refuses_garbage(bad):
    with pytest.raises(ValueError):
        parse_local(bad)


def test_helpers():
    assert as_utc(datetime(2025, 10, 1, 9, 30, tzinfo=clock_module.LOCAL_TZ)) == T0
    with pytest.raises(TypeError):
        as_utc("2025-10-01")  # type: ignore[arg-type]
    assert parse_iso_utc(T0) == T0
