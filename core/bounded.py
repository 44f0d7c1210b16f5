"""Integers from outside, bounded to what the database can hold.

A number larger than its column in a URL or a JSON field used to reach the query and fail there
(SQLite's OverflowError beyond 2^63 - 1, PostgreSQL's "integer out of range" beyond 2^31 - 1 for the
INTEGER id columns), which answered 500 even to anonymous visitors. Every number therefore stops at
the edge: ids (URL `<int:…>` parameters, JSON `id`, `…_id`, `…_ids` fields: `Id`) within the id
columns' signed 32-bit range, other integers (amounts in fen are BIGINT: `Int`) within 64 bits. The
URL converter registered as `int` for the whole app does not match beyond that (the route answers
404); the marshmallow fields refuse with the API's 422 `validation_failed`.
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate
from werkzeug.routing import IntegerConverter

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
ID_MIN = -(2**31)
ID_MAX = 2**31 - 1  # ids are INTEGER columns: 32-bit on PostgreSQL


class Int64Converter(IntegerConverter):
    """Werkzeug's `int` converter with a default maximum of 2^31 - 1, the id columns' (an explicit `max`
    may lower it). Every `<int:…>` in a route is an id."""

    def __init__(self, map: Any, fixed_digits: int = 0, min: int | None = None, max: int | None = None,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min,
                         max=ID_MAX if max is None else min_of(max, ID_MAX), signed=signed)


def min_of(a: int, b: int) -> int:
    return a if a < b else b


class Int(fields.Integer):
    """marshmallow's Integer, refused outside the signed 64-bit range (the OpenAPI document says so)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        bound = validate.Range(min=INT64_MIN, max=INT64_MAX,
                               error="Must be an integer from -2^63 to 2^63 - 1.")
        given = kwargs.pop("validate", None)
        extra = [] if given is None else list(given) if isinstance(given, list | tuple) else [given]
        kwargs["validate"] = [bound, *extra]
        super().__init__(*args, **kwargs)


class Id(Int):
    """An id in a JSON field: refused outside the id columns' signed 32-bit range."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        bound = validate.Range(min=ID_MIN, max=ID_MAX, error="Must be an id from -2^31 to 2^31 - 1.")
        given = kwargs.pop("validate", None)
        extra = [] if given is None else list(given) if isinstance(given, list | tuple) else [given]
        super().__init__(*args, validate=[bound, *extra], **kwargs)


def register(app: Any) -> None:
    """Make `<int:...>` in every route of `app` the bounded converter; call before any blueprint."""
    app.url_map.converters["int"] = Int64Converter
