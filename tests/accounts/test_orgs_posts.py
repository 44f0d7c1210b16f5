"""Account opening and posts: finance opens a purchasing unit (with its administrator) and its departments
for its region; the unit's administrator adds and deactivates people and gives posts, which
`accounts.posts.holders` / `has_post` answer for the workflows. Bad input stores nothing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from tests_helpers import login


@pytest.fixture(autouse=True)
def _cheap_password_hashes(monkeypatch):
    from argon2 import PasswordHasher

    from accounts import service

    monkeypatch.setattr(service, "password_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


def uscc(n: int) -> str:
    from accounts.service import uscc_check_char

    body = f"11330329MB{n:07d}"[:17]
    return body + uscc_check_char(body)


UNIT = {"name": "泰顺县卫生健康局", "region_code": "330329", "username": "weijian", "name_admin": "赵管理",
        "phone": "13900000002"}


@pytest.fixture
def finance(make_user):
    return make_user("finance_reviewer", org_kind="finance", totp=False)


def open_unit(client, n: int = 1, **extra) -> str:
    """Open a unit through finance's page; returns the administrator's first password shown there."""
    response = client.post("/accounts/units", data={**UNIT, "uscc": uscc(n), **extra})
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[-800:]
    return re.search(r'<code class="fs-5">([^<]+)</code>', page).group(1)


def unit():
    from accounts.models import Org, OrgKind
    from core.db import db

    return db.session.scalar(select(Org).where(Org.kind == OrgKind.PURCHASER))


def test_finance_opens_a_unit_and_its_administrator_sets_up_posts(app_ctx, client, finance, clock):
    from accounts import posts
    from accounts.models import User
    from core.db import db

    login(client, finance)
    password = open_unit(client)
    assert "泰顺县卫生健康局" in client.get("/accounts/units").get_data(as_text=True)
    org = unit()
    assert client.post(f"/accounts/units/{org.id}", data={"name": "规划财务科"}).status_code == 302
    assert "规划财务科" in client.get(f"/accounts/units/{org.id}").get_data(as_text=True)
    client.post("/logout")

    # the administrator logs in with the first password and adds two colleagues
    response = client.post("/login", data={"username": "weijian", "password": password})
    assert response.status_code == 302
    page = client.get("/accounts/org").get_data(as_text=True)
    assert "规划财务科" in page and "经办" in page and "审核" in page and "负责人" in page
    for username, name in (("wj_li", "李经办"), ("wj_wang", "王审核")):
        response = client.post("/accounts/org/people", data={"org_id": org.id, "username": username, "name": name})
        assert response.status_code == 200 and "初始密码只显示这一次" in response.get_data(as_text=True)
    li, wang = (db.session.scalar(select(User).where(User.username == u)) for u in ("wj_li", "wj_wang"))
    assert li.has_role("purchaser") and li.org_id == org.id and not li.org_admin

    client.post("/accounts/org/posts/assign", data={"org_id": org.id, "post": "clerk", "user_id": li.id})
    client.post("/accounts/org/posts/assign", data={"org_id": org.id, "post": "审核", "user_id": wang.id})
    client.post("/accounts/org/posts", data={"org_id": org.id, "name": "财务复核"})
    client.post("/accounts/org/posts/assign", data={"org_id": org.id, "post": "财务复核", "user_id": wang.id})

    assert [u.username for u in posts.holders(org.id, "clerk")] == ["wj_li"]
    assert [u.username for u in posts.holders(org.id, "经办")] == ["wj_li"]
    assert [u.username for u in posts.holders(org.id, "财务复核")] == ["wj_wang"]
    assert posts.has_post(wang, org.id, "reviewer") and not posts.has_post(li, org.id, "reviewer")
    assert posts.holders(org.id, "head") == [] and posts.holders(org.id, "no-such-post") == []

    client.post("/accounts/org/posts/unassign", data={"org_id": org.id, "post": "clerk", "user_id": li.id})
    assert posts.holders(org.id, "clerk") == []


def test_a_deactivated_person_loses_posts_and_login(app_ctx, client, finance, clock):
    from accounts import orgs, posts
    from core.db import db

    issued = orgs.open_purchaser(finance, "泰顺县水利局", uscc(2), "330329", orgs.Person("shuili", "孙管理"))
    member = orgs.create_member(issued.user, issued.user.org_id, orgs.Person("sl_zhou", "周经办"))
    posts.assign_post(issued.user, issued.user.org_id, "clerk", member.user.id)
    db.session.commit()
    client.post("/login", data={"username": "shuili", "password": issued.password})
    assert client.post(f"/accounts/org/people/{member.user.id}/deactivate").status_code == 302
    assert posts.holders(issued.user.org_id, "clerk") == []
    assert not member.user.active
    client.post("/logout")
    assert client.post("/login", data={"username": "sl_zhou", "password": member.password}).status_code == 401
    response = client.post("/login", data={"username": "shuili", "password": issued.password})
    assert response.status_code == 302
    response = client.post(f"/api/v1/people/{issued.user.id}/deactivate")
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "self_deactivation"


def test_a_post_for_someone_of_another_org_is_refused(app_ctx, client, finance, make_user, clock):
    from accounts import orgs
    from accounts.models import PostHolder
    from core.db import db

    issued = orgs.open_purchaser(finance, "泰顺县水利局", uscc(3), "330329", orgs.Person("shuili", "孙管理"))
    dept = orgs.open_department(finance, issued.user.org_id, "办公室")
    dept_member = orgs.create_member(issued.user, dept.id, orgs.Person("bgs_wu", "吴经办"))
    stranger = make_user("purchaser", org_kind="purchaser")
    db.session.commit()
    client.post("/login", data={"username": "shuili", "password": issued.password})
    org_id = issued.user.org_id
    response = client.post(f"/api/v1/orgs/{org_id}/posts/clerk/holders", json={"user_id": stranger.id})
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "post_other_org"
    # a department's person holds the department's posts, not the unit's
    response = client.post(f"/api/v1/orgs/{org_id}/posts/clerk/holders", json={"user_id": dept_member.user.id})
    assert response.get_json()["error"]["code"] == "post_other_org"
    response = client.post(f"/api/v1/orgs/{dept.id}/posts/clerk/holders", json={"user_id": dept_member.user.id})
    assert response.status_code == 201 and response.get_json()["holders"] == [dept_member.user.id]
    # another unit's posts are not this administrator's to give
    response = client.post(f"/api/v1/orgs/{stranger.org_id}/posts/clerk/holders", json={"user_id": stranger.id})
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "not_org_admin"
    assert db.session.scalar(select(func.count()).select_from(PostHolder)) == 1


@pytest.mark.parametrize(("change", "status", "code"), [
    ({"uscc": "91330329MA2000001X"}, 422, "uscc_invalid"),
    ({"username": "Bad Name"}, 422, "username_invalid"),
    ({"name": ""}, 422, "org_name_missing"),
    ({"phone": "12345"}, 422, "phone_invalid"),
    ({"username": "taken"}, 409, "username_taken"),
    ({"uscc": "DUP"}, 409, "org_duplicate"),
])
def test_bad_unit_input_stores_nothing(app_ctx, client, finance, make_user, clock, change, status, code):
    from accounts import orgs
    from accounts.models import Org, User
    from core.db import db

    make_user("purchaser", username="taken")
    orgs.open_purchaser(finance, "已有单位", uscc(9), "330329", orgs.Person("yiyou", "钱管理"))
    db.session.commit()
    orgs_before = db.session.scalar(select(func.count()).select_from(Org))
    users_before = db.session.scalar(select(func.count()).select_from(User))
    login(client, finance)
    data = {"name": "泰顺县民政局", "uscc": uscc(4), "region_code": "330329",
            "admin": {"username": "minzheng", "name": "冯管理", "phone": ""}}
    for key, value in change.items():
        if key in ("username", "phone"):
            data["admin"][key] = value
        else:
            data[key] = uscc(9) if value == "DUP" else value
    response = client.post("/api/v1/orgs/purchasers", json=data)
    assert response.status_code == status and response.get_json()["error"]["code"] == code
    assert db.session.scalar(select(func.count()).select_from(Org)) == orgs_before
    assert db.session.scalar(select(func.count()).select_from(User)) == users_before


def test_the_unit_page_shows_the_error_and_keeps_the_form(app_ctx, client, finance, clock):
    login(client, finance)
    response = client.post("/accounts/units", data={**UNIT, "uscc": "123"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "统一社会信用代码无效" in page and 'value="泰顺县卫生健康局"' in page


def test_finance_of_another_region_may_not_open_units_here(app_ctx, client, make_user, clock):
    from accounts.models import Region, RegionLevel
    from core.db import db

    db.session.add(Region(code="330100", name="杭州市", level=RegionLevel.CITY, parent_code="330000"))
    db.session.commit()
    other = make_user("finance_reviewer", org_kind="finance", totp=False)
    other.region_code = "330100"
    db.session.commit()
    login(client, other)
    response = client.post("/api/v1/orgs/purchasers", json={
        "name": "泰顺县民政局", "uscc": uscc(5), "region_code": "330329", "admin": {"username": "mz", "name": "冯"}})
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "not_finance"


def test_the_api_opens_a_unit_and_lists_its_posts(app_ctx, client, finance, clock):
    login(client, finance)
    response = client.post("/api/v1/orgs/purchasers", json={
        "name": "泰顺县民政局", "uscc": uscc(6), "region_code": "330329",
        "admin": {"username": "minzheng", "name": "冯管理"}})
    assert response.status_code == 201
    body = response.get_json()
    assert body["user"]["org_admin"] is True and len(body["password"]) >= 12
    org_id = body["user"]["org_id"]
    assert [o["name"] for o in client.get("/api/v1/orgs/purchasers").get_json()] == ["泰顺县民政局"]
    response = client.post(f"/api/v1/orgs/{org_id}/departments", json={"name": "办公室"})
    assert response.status_code == 201 and response.get_json()["parent_id"] == org_id
    again = client.post(f"/api/v1/orgs/{org_id}/departments", json={"name": "办公室"})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "department_duplicate"
    client.post("/logout")
    client.post("/login", data={"username": "minzheng", "password": body["password"]})
    assert [(p["code"], p["name"]) for p in client.get(f"/api/v1/orgs/{org_id}/posts").get_json()] == [
        ("clerk", "经办"), ("reviewer", "审核"), ("head", "负责人")]
    dup = client.post(f"/api/v1/orgs/{org_id}/posts", json={"name": "审核"})
    assert dup.status_code == 409 and dup.get_json()["error"]["code"] == "post_duplicate"


@pytest.mark.parametrize(("role", "org_kind", "path", "status"), [
    ("finance_reviewer", "finance", "/accounts/units", 200),
    ("supervisor", "finance", "/accounts/units", 200),
    ("admin", None, "/accounts/units", 200),
    ("purchaser", "purchaser", "/accounts/units", 403),
    ("agency_staff", "agency", "/accounts/units", 403),
    ("finance_reviewer", None, "/accounts/units", 403),  # the role without a finance bureau
    ("purchaser", "purchaser", "/accounts/org", 403),   # not its administrator
    ("supplier", "supplier", "/api/v1/orgs/purchasers", 403),
])
def test_who_may_open_and_manage(login_as, client, role, org_kind, path, status):
    login_as(role, org_kind=org_kind)
    assert client.get(path).status_code == status


def test_the_demo_purchaser_holds_its_post(app_ctx, clock):
    """What the plan workflow will ask: caigou1 is 经办 of 泰顺县教育局, others 审核 and 负责人."""
    from accounts import posts
    from accounts.demo import seed_accounts
    from core.db import db
    context: dict = {"logins": []}
    seed_accounts(context)
    db.session.commit()
    edu = context["orgs"]["purchasers"][0]
    users = context["users"]
    assert posts.has_post(users["caigou1"], edu.id, "clerk")
    assert [u.username for u in posts.holders(edu.id, "审核")] == ["shenhe1"]
    assert [u.username for u in posts.holders(edu.id, "负责人")] == ["fuzeren1"]
    assert [d.name for d in context["orgs"]["departments"]] == ["计划财务科", "基础教育科"]


def test_a_first_password_is_changed_by_its_owner(app_ctx, client, finance, clock):
    from accounts import orgs
    from core.db import db

    issued = orgs.open_purchaser(finance, "泰顺县林业局", uscc(7), "330329", orgs.Person("linye", "蒋管理"))
    db.session.commit()
    assert client.post("/login", data={"username": "linye", "password": issued.password}).status_code == 302
    assert "人员与岗位" in client.get("/dashboard").get_data(as_text=True)  # the administrator's navigation
    wrong = client.post("/account/password", data={"current": "nope", "new": "brand-new-pass",
                                                   "new2": "brand-new-pass"})
    assert wrong.status_code == 422 and "当前密码不正确" in wrong.get_data(as_text=True)
    response = client.post("/account/password", data={"current": issued.password, "new": "brand-new-pass",
                                                      "new2": "brand-new-pass"})
    assert response.status_code == 302
    assert client.get("/accounts/org").status_code == 200  # this session goes on
    client.post("/logout")
    assert client.post("/login", data={"username": "linye", "password": issued.password}).status_code == 401
    assert client.post("/login", data={"username": "linye", "password": "brand-new-pass"}).status_code == 302


def test_the_navigation_offers_people_and_posts_to_administrators_only(app_ctx, client, make_user, clock):
    user = make_user("purchaser", org_kind="purchaser")
    login(client, user)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "人员与岗位" not in page and "修改密码" in page and "采购单位账户" not in page
