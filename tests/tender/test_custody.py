"""Custody policies no single party can satisfy (issue 10): the rule as a table, then creation, edit,
publication (service, API, page) and the region rule that requires a time-lock custodian."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from tender_helpers import project_data
from tests_helpers import login

from core.errors import ValidationError


def _user(uid: int, org=None):
    return SimpleNamespace(id=uid, name=f"保管人{uid}", org=org)


AGENCY = SimpleNamespace(id=7, name="某代理机构", kind="agency")
BUREAU = SimpleNamespace(id=8, name="某财政局", kind="finance")
OPERATOR = SimpleNamespace(id=9, name="平台运营单位", kind="platform")


def _holders(spec: str):
    """'V' vault, 'A'/'B' staff of the agency / the bureau, 'P' platform staff, 'N' no organisation,
    'T' a time-lock on an independent beacon, 't' one on the platform's own local beacon."""
    from tender import custody

    made = []
    for i, letter in enumerate(spec):
        if letter == "V":
            made.append(custody.vault_holder())
        elif letter in "ABPN":
            org = {"A": AGENCY, "B": BUREAU, "P": OPERATOR, "N": None}[letter]
            made.append(custody.user_holder(_user(100 + i, org)))
        else:
            made.append(custody.timelock_holder(f"tlock{i}", "52db9ba7", independent=letter == "T"))
    return made


@pytest.mark.parametrize("spec, k, require_tlock, expected", [
    ("V", 1, False, "custody_single_party"),        # the vault alone: whoever holds the instance folder
    ("VA", 1, False, "custody_single_party"),       # the vault still reaches k = 1 alone
    ("VA", 2, False, None),                         # platform + agency: two independent parties
    ("VAA", 2, False, "custody_single_party"),      # two custodians of one agency reach k = 2
    ("VAA", 3, False, None),
    ("VAB", 2, False, None),
    ("VP", 2, False, "custody_single_party"),       # the operator's own staff count with the vault
    ("VPB", 2, False, "custody_single_party"),
    ("VPB", 3, False, None),
    ("NN", 1, False, "custody_single_party"),
    ("NN", 2, False, None),                         # users without an organisation: a party each
    ("A", 1, False, "custody_single_party"),
    ("VA", 2, True, "custody_timelock_required"),   # the region requires a time-lock custodian
    ("VAT", 2, True, None),
    ("VT", 2, True, None),                          # vault + public beacon: nobody before the round
    ("Vt", 2, True, "custody_single_party"),        # a local beacon is the platform's own
    ("T", 1, False, "custody_single_party"),        # the beacon alone is still one party
])
def test_policy_validation_table(app_ctx, spec, k, require_tlock, expected):
    from accounts.models import OrgKind
    from tender import custody

    for org in (AGENCY, BUREAU, OPERATOR):
        org.kind = OrgKind(org.kind)
    problem = custody.custody_problem(_holders(spec), k, require_timelock=require_tlock)
    assert (problem.code if problem else None) == expected
    if problem is not None:
        assert problem.message and "custody" not in problem.message  # Chinese for the page, no code


def _same_org_keepers(world):
    """Put both world keepers into one agency-like organisation."""
    from accounts import service as accounts
    from accounts.models import OrgKind
    from core.db import db

    org = accounts.create_org("泰顺县公共资源交易中心", OrgKind.CENTRAL_AGENCY, "330329")
    for user, _ in world.custodians:
        user.org_id = org.id
    db.session.commit()
    db.session.expire_all()
    return org


def test_create_refuses_vault_only_and_same_org_policies(world, clock):
    from core.db import db
    from tender import service
    from tender.models import Project

    now = clock.now()
    with pytest.raises(ValidationError) as refused:
        service.create_project(world.agency, project_data(world, now, custodian_user_ids=[], k=1))
    assert refused.value.code == "custody_single_party" and "平台（含时间保险库）" in refused.value.message
    assert "custodians" in refused.value.details["fields"]
    _same_org_keepers(world)
    with pytest.raises(ValidationError) as refused:
        service.create_project(world.agency, project_data(world, now, k=2))  # vault + two of one centre
    assert refused.value.code == "custody_single_party" and "泰顺县公共资源交易中心" in refused.value.message
    db.session.rollback()
    assert Project.query.count() == 0
    service.create_project(world.agency, project_data(world, now, k=3))  # every share needed: accepted


def test_api_create_and_patch_answer_the_stable_code(world, client, clock):
    from tender.models import Project

    now = clock.now()
    login(client, world.agency)
    bad = client.post("/api/v1/tender/projects", json=project_data(world, now, custodian_user_ids=[], k=1))
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "custody_single_party"
    made = client.post("/api/v1/tender/projects", json=project_data(world, now))
    assert made.status_code == 201, made.get_json()
    pid = made.get_json()["id"]
    patched = client.patch(f"/api/v1/tender/projects/{pid}", json={"k": 1})
    assert patched.status_code == 422 and patched.get_json()["error"]["code"] == "custody_single_party"
    from core.db import db

    db.session.expire_all()
    assert db.session.get(Project, pid).k == 2  # nothing changed


def test_publication_rechecks_with_todays_organisations(world, make_project, clock):
    """Accepted as a draft (two independent keepers and the vault, k = 2); by publication both keepers
    work for one organisation, which now holds k shares alone: publishing is refused."""
    from core.db import db
    from tender import service

    project = make_project(publish=False)
    _same_org_keepers(world)
    with pytest.raises(ValidationError) as refused:
        service.publish_project(world.agency, project.id)
    assert refused.value.code == "custody_single_party"
    db.session.rollback()
    assert service.get_project(project.id).status.value == "draft"


def test_the_page_shows_the_refusal_in_chinese(world, client, clock):
    from tender.models import Project

    now = clock.now()
    login(client, world.agency)
    data = project_data(world, now, custodian_user_ids=[], k=1)
    form = {**{k: str(v) for k, v in data.items() if k not in ("lots", "criteria", "custodian_user_ids")},
            "lots": "交互式智能平板, 100000, 95000", "criteria": "价格, 40, 价格\n技术, 60",
            "include_vault": "1", "k": "1"}
    for name in ("notice_at", "doc_start_at", "doc_end_at", "clarify_deadline", "deadline"):
        form[name] = _local(data[name])
    page = client.post("/tender/new", data=form)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "密钥托管策略不安全" in text and "custody_single_party" not in text
    assert Project.query.count() == 0


def _local(iso: str) -> str:
    from datetime import datetime

    from core import clock

    return clock.to_local(datetime.fromisoformat(iso)).strftime("%Y-%m-%dT%H:%M")


def test_region_rule_requires_a_timelock_custodian(world, clock):
    from core.db import db
    from tender import rules, service

    rules.set_rule(world.agency.region_code, "custody_require_timelock", 1, "测试")
    db.session.commit()
    with pytest.raises(ValidationError) as refused:
        service.create_project(world.agency, project_data(world, clock.now()))
    assert refused.value.code == "custody_timelock_required" and "时间锁" in refused.value.message
    rules.set_rule(world.agency.region_code, "custody_require_timelock", 0, "测试")
    db.session.commit()
    service.create_project(world.agency, project_data(world, clock.now()))
