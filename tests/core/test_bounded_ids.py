"""Integer ids beyond 2^63 - 1 stop at the edge: 404 for a URL, 422 for a JSON field, never 500."""

from __future__ import annotations

import pytest
from marshmallow import class_registry, fields
from werkzeug.routing import IntegerConverter

from core.bounded import ID_MAX, Int, Int64Converter

TOO_BIG = 2**63


@pytest.mark.parametrize("path", [f"/notices/{TOO_BIG}", f"/notices/{10**40}", f"/notices/{ID_MAX + 1}"])
def test_an_anonymous_url_with_a_huge_id_is_not_found(client, path):
    response = client.get(path)
    assert response.status_code == 404


def test_the_largest_id_still_reaches_the_view(client):
    """2^31 - 1 is the largest INTEGER on PostgreSQL; one more used to answer 500 there."""
    response = client.get(f"/notices/{ID_MAX}")
    assert response.status_code == 404  # the view ran and found no notice (no overflow on the way)


def test_a_signed_in_url_with_a_huge_id_is_not_found(client, login_as):
    login_as("agency_staff")
    for path in (f"/tender/{TOO_BIG}", f"/api/v1/tender/projects/{TOO_BIG}"):
        response = client.get(path)
        assert response.status_code == 404, path
    assert client.get(f"/api/v1/tender/projects/{TOO_BIG}").get_json()["error"]["code"] == "not_found"


def test_every_int_route_uses_the_bounded_converter(app):
    checked = 0
    for rule in app.url_map.iter_rules():
        for name, converter in rule._converters.items():
            if isinstance(converter, IntegerConverter):
                assert isinstance(converter, Int64Converter), (rule.rule, name)
                assert converter.max is not None and converter.max <= ID_MAX, (rule.rule, name)
                checked += 1
    assert checked > 50


def _integer_fields(field: fields.Field):
    if isinstance(field, fields.List):
        yield from _integer_fields(field.inner)
    elif isinstance(field, fields.Integer):
        yield field


def test_every_api_schema_bounds_its_integers(app):
    schemas = {cls for classes in class_registry._registry.values() for cls in classes
               if cls.__module__.split(".")[0] in {"accounts", "tender", "expert_draw", "evaluation", "registry",
                                                   "portal", "audit", "core", "beacon"}}
    assert len(schemas) > 10
    for cls in schemas:
        for name, field in cls._declared_fields.items():
            for inner in _integer_fields(field):
                assert isinstance(inner, Int), f"{cls.__module__}.{cls.__name__}.{name}"


def test_the_openapi_document_states_the_bound(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    params = [p for item in spec["paths"].values() for p in item.get("parameters", [])
              if p.get("schema", {}).get("type") == "integer"]
    assert params and all(p["schema"]["maximum"] == ID_MAX for p in params)
