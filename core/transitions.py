"""The one way to change a status: look the (from, to) pair up in the aggregate's table.

Each lifecycle (project, bid, draw, expert, committee…) declares its table as a set of
allowed (from, to) pairs; any other move is refused with a stable error code. Kept free of
Flask at import time so pure modules can declare and test their tables.
"""

from __future__ import annotations

import enum
from collections.abc import Collection


def can_move(table: Collection[tuple[enum.Enum, enum.Enum]], current: enum.Enum, to: enum.Enum) -> bool:
    return (current, to) in table


def refuse(current: enum.Enum, to: enum.Enum, code: str) -> Exception:
    """The Conflict a refused move raises (its message names both statuses)."""
    from core.errors import Conflict

    return Conflict(f"当前状态（{current.value}）不允许变为 {to.value}。", code=code,
                    details={"from": current.value, "to": to.value})


def move_status(obj: object, table: Collection[tuple[enum.Enum, enum.Enum]], to: enum.Enum, code: str) -> enum.Enum:
    """Set `obj.status = to` if the table allows it; return the status it had."""
    current = obj.status  # type: ignore[attr-defined]
    if not can_move(table, current, to):
        raise refuse(current, to, code)
    obj.status = to  # type: ignore[attr-defined]
    return current
