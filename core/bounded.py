"""Integers from outside, bounded to what the database can hold.

SQLite and PostgreSQL store at most a signed 64-bit integer: a larger id in a URL or a JSON field
used to reach the query and fail there (SQLite's OverflowError, PostgreSQL's "out of range"), which
answered 500 even to anonymous visitors. Every id therefore stops at the edge: the URL converter
registered as `int` for the whole app does not match beyond 2^63 - 1 (so the route answers 404), and
the marshmallow `Int` every API schema uses refuses it with the API's 422 `validation_failed`.
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate
from werkzeug.routing import IntegerConverter

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


class Int64Converter(IntegerConverter):
    """Werkzeug's `int` converter with a default maximum of 2^63 - 1 (an explicit `max` may lower it)."""

    def __init__(self, map: Any, fixed_digits: int = 0, min: int | None = None, max: int | None = None,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min,
                         max=INT64_MAX if max is None else min_of(max, INT64_MAX), signed=signed)


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


def register(app: Any) -> None:
    """Make `<int:...>` in every route of `app` the bounded converter; call before any blueprint."""
    app.url_map.converters["int"] = Int64Converter
