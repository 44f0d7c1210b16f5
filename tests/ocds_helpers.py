"""OCDS 1.1.5 validation for the tests: the package schemas kept in portal/ocds/schema/, the release schema
resolved locally (never over the network), strict: every object that lists its properties refuses any
other (the standard leaves room for extensions; this platform declares none besides pagination), dates
checked as RFC 3339 and URIs as absolute."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "portal" / "ocds" / "schema"
RELEASE_URL = "https://standard.open-contracting.org/schema/1__1__5/release-schema.json"
PAGINATION = {"links": {"type": "object", "properties": {"next": {"type": "string", "format": "uri"},
                                                         "prev": {"type": "string", "format": "uri"}}}}


def _strict(node):
    if isinstance(node, dict):
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            _strict(value)
    elif isinstance(node, list):
        for value in node:
            _strict(value)
    return node


def _load(name: str) -> dict:
    return json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))


_formats = FormatChecker()


@_formats.checks("date-time", raises=ValueError)
def _is_datetime(value) -> bool:
    if not isinstance(value, str):
        return True
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.tzinfo is not None and "T" in value


@_formats.checks("uri", raises=ValueError)
def _is_uri(value) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme in ("http", "https") and parts.netloc)


@cache
def validator(package_schema: str) -> Draft4Validator:
    release = _strict(_load("release-schema.json"))
    package = _load(package_schema)
    package["properties"].update(PAGINATION)
    package = _strict(package)
    registry = Registry().with_resource(RELEASE_URL, Resource.from_contents(release, default_specification=DRAFT4))
    return Draft4Validator(package, registry=registry, format_checker=_formats)


def errors(package: dict, kind: str = "release") -> list[str]:
    """Every way the package breaks the OCDS 1.1.5 schema, strictly (an empty list: valid)."""
    found = validator(f"{kind}-package-schema.json").iter_errors(copy.deepcopy(package))
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in found]
