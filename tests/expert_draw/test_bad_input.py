"""The draw request API refuses incomplete or out-of-range input with 422, never a 500."""

from __future__ import annotations

import pytest
from tests_helpers import login


def _body(world, **overrides) -> dict:
    body = {"title": "API 项目", "purchaser_org_id": world.orgs["purchaser"].id, "budget_fen": 100_000_00,
            "evaluation_start_at": "2026-11-30T09:00:00+08:00", "place": "评标室",
            "specialties": [{"code": "B01", "primary": 5, "backup": 1}]}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


@pytest.mark.parametrize("overrides", [
    {"purchaser_org_id": None},  # neither a project nor a purchaser
    {"purchaser_org_id": None, "project_id": 0},
    {"purchaser_org_id": 2**63},
    {"project_id": 2**63},
    {"supplier_org_ids": [1, 2**63]},
    {"budget_fen": 10**30},
])
def test_a_draw_request_without_its_subject_or_with_huge_ids_is_422(world, client, overrides):
    from expert_draw.models import DrawRequest

    login(client, world.users["agency"])
    refused = client.post("/api/v1/draw-requests", json=_body(world, **overrides))
    assert refused.status_code == 422, refused.get_json()
    error = refused.get_json()["error"]
    assert error["code"] == "validation_failed" and error["details"]["fields"]["json"]
    assert DrawRequest.query.count() == 0
