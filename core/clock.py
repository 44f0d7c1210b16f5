"""The server clock: the only authority on deadlines.

Every deadline check asks `now()` here, never `datetime.now()`, so that tests can freeze and
move time and demo installs can run it faster. Times are stored as timezone-aware UTC and
shown in Beijing time (Asia/Shanghai); a naive datetime is refused everywhere, because a
naive value is exactly how an eight-hour error slips into a bid deadline.

Three modes:
- real time (the default);
- frozen: tests `set()` a time and `advance()` it — deadlines are tested by moving the clock,
  never by sleeping;
- accelerated, for demo and sandbox installs: virtual time runs `accel` times faster from an
  anchor, ``virtual_now = virtual_epoch + (real_now - epoch) * accel``. The anchor comes from
  configuration, so the web, worker and beat processes all compute the same virtual time.

The app factory calls `configure_from_mapping(app.config)` with the keys
CLOCK_FROZEN_AT, CLOCK_ACCEL, CLOCK_ANCHOR and CLOCK_VIRTUAL_ANCHOR (see `Clock.from_config`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
DEFAULT_FORMAT = "%Y-%m-%d %H:%M"

__all__ = [
    "DEFAULT_FORMAT",
    "LOCAL_TZ",
    "UTC",
    "Clock",
    "as_utc",
    "clock",
    "configure_clock",
    "configure_from_mapping",
    "format_local",
    "now",
    "parse_iso_utc",
    "parse_local",
    "to_local",
    "utcnow",
]


def _real_utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(dt: datetime, what: str = "datetime") -> datetime:
    """Return `dt` converted to UTC; refuse naive values, whose time zone nobody can know."""
    if not isinstance(dt, datetime):
        raise TypeError(f"{what} must be a datetime, not {type(dt).__name__}")
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(
            f"{what} is naive ({dt.isoformat()}): give a timezone-aware datetime "
            "(UTC, or Beijing time via parse_local)"
        )
    return dt.astimezone(UTC)


def parse_iso_utc(value: str | datetime, what: str = "time") -> datetime:
    """Parse an ISO 8601 time that carries its offset ("...Z" or "+08:00") into aware UTC."""
    if isinstance(value, datetime):
        return as_utc(value, what)
    try:
        parsed = datetime.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"{what}: {value!r} is not an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        raise ValueError(f"{what}: {value!r} has no UTC offset; write it as e.g. 2025-10-01T09:00:00+08:00")
    return parsed.astimezone(UTC)


class Clock:
    """A clock that is real, frozen or accelerated; shared by reference, reconfigured in place."""

    def __init__(
        self,
        *,
        accel: float = 1.0,
        epoch: datetime | None = None,
        virtual_epoch: datetime | None = None,
        frozen_at: datetime | None = None,
        source: Callable[[], datetime] = _real_utc_now,
    ) -> None:
        self._lock = threading.Lock()
        self._source = source
        self.configure(accel=accel, epoch=epoch, virtual_epoch=virtual_epoch, frozen_at=frozen_at)

    # -- configuration -------------------------------------------------------------------------
    def configure(
        self,
        *,
        accel: float = 1.0,
        epoch: datetime | None = None,
        virtual_epoch: datetime | None = None,
        frozen_at: datetime | None = None,
    ) -> None:
        """Replace the mode in place, so every module holding this clock sees the change.

        `epoch` is the real time at the anchor (default: now), `virtual_epoch` the virtual time
        at that moment (default: `epoch`). Several processes agree only if they share `epoch`.
        """
        accel = float(accel)
        if not accel > 0:
            raise ValueError(f"clock acceleration must be a positive number, not {accel!r}")
        if frozen_at is not None and (accel != 1.0 or epoch is not None or virtual_epoch is not None):
            raise ValueError("a clock is either frozen or running (accelerated); not both")
        frozen = None if frozen_at is None else as_utc(frozen_at, "frozen_at")
        real_anchor = self._source() if epoch is None else as_utc(epoch, "epoch")
        virtual_anchor = real_anchor if virtual_epoch is None else as_utc(virtual_epoch, "virtual_epoch")
        with self._lock:
            self._accel = accel
            self._epoch = real_anchor
            self._virtual_epoch = virtual_anchor
            self._frozen = frozen

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], *, source: Callable[[], datetime] = _real_utc_now
    ) -> Clock:
        """Build a clock from config values (strings or typed), the same in every process.

        Keys: CLOCK_FROZEN_AT (ISO with offset: frozen there), CLOCK_ACCEL (factor, default 1),
        CLOCK_ANCHOR (ISO real time the acceleration starts from; required when CLOCK_ACCEL != 1,
        else each process would start its own virtual timeline), CLOCK_VIRTUAL_ANCHOR (ISO virtual
        time at CLOCK_ANCHOR; default CLOCK_ANCHOR). Empty strings count as unset.
        """
        new = cls(source=source)
        new.configure(**_options_from_config(config))
        return new

    # -- reading -------------------------------------------------------------------------------
    @property
    def mode(self) -> str:
        """"frozen", "accelerated" or "real" — for the admin page and logs."""
        if self._frozen is not None:
            return "frozen"
        return "real" if self._accel == 1.0 and self._epoch == self._virtual_epoch else "accelerated"

    @property
    def accel(self) -> float:
        """How many virtual seconds pass per real second (1 unless accelerated)."""
        return self._accel

    def now(self) -> datetime:
        """The current (possibly virtual) time, timezone-aware UTC."""
        with self._lock:
            if self._frozen is not None:
                return self._frozen
            accel, epoch, virtual_epoch = self._accel, self._epoch, self._virtual_epoch
        real = self._source()
        if accel == 1.0 and epoch == virtual_epoch:
            return real
        return virtual_epoch + (real - epoch) * accel

    def real_seconds(self, virtual: timedelta) -> float:
        """Real seconds until a virtual interval has passed; lets schedulers sleep the right amount."""
        return virtual.total_seconds() / self._accel

    # -- test controls -------------------------------------------------------------------------
    def set(self, dt: datetime) -> None:
        """Freeze the clock at `dt` (aware); used by tests and by nothing in production."""
        frozen = as_utc(dt, "clock.set()")
        with self._lock:
            self._frozen = frozen

    def advance(self, delta: timedelta) -> datetime:
        """Move a frozen clock by `delta` and return the new time; a running clock cannot be moved."""
        if not isinstance(delta, timedelta):
            raise TypeError(f"advance() takes a timedelta, not {type(delta).__name__}")
        with self._lock:
            if self._frozen is None:
                raise RuntimeError("only a frozen clock can be advanced; call clock.set(dt) first")
            self._frozen += delta
            return self._frozen

    def reset(self) -> None:
        """Return to real time."""
        self.configure()

    @contextmanager
    def frozen(self, dt: datetime) -> Iterator[Clock]:
        """Freeze at `dt` for a `with` block, then restore whatever mode was there before."""
        with self._lock:
            saved = (self._accel, self._epoch, self._virtual_epoch, self._frozen)
        self.set(dt)
        try:
            yield self
        finally:
            with self._lock:
                self._accel, self._epoch, self._virtual_epoch, self._frozen = saved

    def __repr__(self) -> str:
        return f"<Clock {self.mode} now={self.now().isoformat()} accel={self._accel:g}>"


def _options_from_config(config: Mapping[str, Any]) -> dict[str, Any]:
    def value(key: str) -> Any:
        raw = config.get(key)
        return None if raw is None or (isinstance(raw, str) and not raw.strip()) else raw

    frozen, accel = value("CLOCK_FROZEN_AT"), value("CLOCK_ACCEL")
    anchor, virtual_anchor = value("CLOCK_ANCHOR"), value("CLOCK_VIRTUAL_ANCHOR")
    try:
        factor = 1.0 if accel is None else float(accel)
    except (TypeError, ValueError):
        raise ValueError(f"CLOCK_ACCEL: {accel!r} is not a number") from None
    if frozen is not None:
        if factor != 1.0 or anchor is not None or virtual_anchor is not None:
            raise ValueError("CLOCK_FROZEN_AT cannot be combined with CLOCK_ACCEL/CLOCK_ANCHOR")
        return {"frozen_at": parse_iso_utc(frozen, "CLOCK_FROZEN_AT")}
    if anchor is None and (factor != 1.0 or virtual_anchor is not None):
        raise ValueError(
            "CLOCK_ACCEL/CLOCK_VIRTUAL_ANCHOR need CLOCK_ANCHOR (an ISO time, e.g. 2025-01-01T00:00:00Z) "
            "so that web, worker and beat processes share one virtual timeline"
        )
    return {
        "accel": factor,
        "epoch": None if anchor is None else parse_iso_utc(anchor, "CLOCK_ANCHOR"),
        "virtual_epoch": (
            None if virtual_anchor is None else parse_iso_utc(virtual_anchor, "CLOCK_VIRTUAL_ANCHOR")
        ),
    }


clock = Clock()
"""The process-wide clock; reconfigured in place, never rebound, so imports of it stay valid."""


def configure_from_mapping(config: Mapping[str, Any]) -> Clock:
    """Apply the CLOCK_* settings of an app config to the process-wide clock (see Clock.from_config)."""
    clock.configure(**_options_from_config(config))
    return clock


def configure_clock(
    *,
    accel: float = 1.0,
    epoch: datetime | None = None,
    virtual_epoch: datetime | None = None,
    frozen_at: datetime | None = None,
) -> Clock:
    """Reconfigure the process-wide clock with typed values (see Clock.configure)."""
    clock.configure(accel=accel, epoch=epoch, virtual_epoch=virtual_epoch, frozen_at=frozen_at)
    return clock


def now() -> datetime:
    """The current time of the process-wide clock, aware UTC."""
    return clock.now()


utcnow = now


def to_local(dt: datetime) -> datetime:
    """Convert an aware datetime to Beijing time for display."""
    return as_utc(dt).astimezone(LOCAL_TZ)


def format_local(dt: datetime, fmt: str = DEFAULT_FORMAT) -> str:
    """Format an aware datetime in Beijing time, the only time zone users ever see."""
    return to_local(dt).strftime(fmt)


def end_of_local_day(day: date) -> datetime:
    """The last second of a Beijing calendar day, in the clock's zone (UTC): a deadline counted in
    working days ends when that day ends where the parties are, not at UTC midnight."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=LOCAL_TZ).astimezone(now().tzinfo)


def parse_local(text: str) -> datetime:
    """Parse form input written in Beijing time ("2025-10-01 09:30", "2025-10-01T09:30") into aware UTC.

    An explicit offset in the text is honoured; a bare date means midnight Beijing time.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError("empty date-time: expected e.g. 2025-10-01 09:30 (Beijing time)")
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a date-time like 2025-10-01 09:30 (Beijing time)") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=LOCAL_TZ)
    return parsed.astimezone(UTC)
