"""Demo data of accounts: 浙江省 → 温州市 → 泰顺县, its organisations, and a user per role."""

from __future__ import annotations

import base64
import functools
import hashlib

from accounts import service
from accounts.models import OrgKind, Region, RegionLevel, Role
from core import secretbox
from core.db import db
from core.demo import LOGIN_PROVIDERS, seeder

DEMO_PASSWORD = "demo-pass-2026"
COUNTY = "330329"


def demo_totp_secret(username: str) -> str:
    """Stable per demo user, so a newcomer's authenticator keeps working after a re-seed."""
    return base64.b32encode(hashlib.sha256(f"biaoyun-demo:{username}".encode()).digest()[:20]).decode()


@functools.cache
def demo_password_hash() -> str:
    """Every demo account shares the demo password: hash it once (argon2 is slow on purpose)."""
    return service.hash_password(DEMO_PASSWORD)


def demo_uscc(n: int) -> str:
    body = f"91330329MA2{n:06d}"[:17]
    return body + service.uscc_check_char(body)


def add_user(context: dict, username: str, name: str, roles: list[Role], org=None, totp: bool = True):
    user = service.create_user(username, name, None, roles, COUNTY, org=org, password_hash=demo_password_hash())
    secret = None
    if totp:
        secret = demo_totp_secret(username)
        user.totp_secret = secretbox.seal(secret.encode(), service.TOTP_PURPOSE)
    context["logins"].append({"role": "/".join(r.value for r in roles), "username": username,
                              "password": DEMO_PASSWORD, "totp": secret, "name": name})
    context.setdefault("users", {})[username] = user
    return user


@seeder("accounts")
def seed_accounts(context: dict) -> None:
    db.session.add_all([
        Region(code="330000", name="浙江省", level=RegionLevel.PROVINCE),
        Region(code="330300", name="温州市", level=RegionLevel.CITY, parent_code="330000"),
        Region(code=COUNTY, name="泰顺县", level=RegionLevel.COUNTY, parent_code="330300"),
    ])
    db.session.flush()
    orgs = context.setdefault("orgs", {})
    orgs["finance"] = service.create_org("泰顺县财政局", OrgKind.FINANCE, COUNTY, demo_uscc(1))
    orgs["center"] = service.create_org("泰顺县公共资源交易中心", OrgKind.CENTRAL_AGENCY, COUNTY, demo_uscc(2))
    orgs["agency"] = service.create_org("温州正信招标代理有限公司", OrgKind.AGENCY, COUNTY, demo_uscc(3))
    purchasers = ["泰顺县教育局", "泰顺县人民医院", "泰顺县罗阳镇人民政府"]
    orgs["purchasers"] = [service.create_org(n, OrgKind.PURCHASER, COUNTY, demo_uscc(10 + i))
                          for i, n in enumerate(purchasers)]
    suppliers = ["浙江云帆信息技术有限公司", "温州华瑞办公设备有限公司", "泰顺县绿源物业服务有限公司",
                 "杭州博远教学装备有限公司", "温州新锐医疗器械有限公司", "浙江正泰建设工程有限公司"]
    orgs["suppliers"] = [service.create_org(n, OrgKind.SUPPLIER, COUNTY, demo_uscc(20 + i), is_sme=i % 2 == 0)
                         for i, n in enumerate(suppliers)]

    add_user(context, "admin", "平台管理员", [Role.ADMIN])
    add_user(context, "caijian", "采监科 陈科长", [Role.SUPERVISOR], orgs["finance"])
    add_user(context, "guikou", "业务科 林审核", [Role.FINANCE_REVIEWER], orgs["finance"], totp=False)
    add_user(context, "zhongxin", "交易中心 王经办", [Role.AGENCY_STAFF], orgs["center"])
    add_user(context, "daili", "正信代理 周经办", [Role.AGENCY_STAFF], orgs["agency"])
    for i, org in enumerate(orgs["purchasers"], start=1):
        add_user(context, f"caigou{i}", f"{org.name} 采购员", [Role.PURCHASER], org, totp=False)
    for i, org in enumerate(orgs["suppliers"], start=1):
        add_user(context, f"gys{i}", f"{org.name} 投标员", [Role.SUPPLIER], org, totp=False)
    for i in range(1, 41):
        add_user(context, f"zj{i:02d}", f"专家{i:02d}", [Role.EXPERT], None)
    seed_posts(context)
    context["logins"] = demo_logins()


def seed_posts(context: dict) -> None:
    """Each unit's first account is its administrator; 教育局 gets two departments (opened by finance) and
    its posts: caigou1 经办, shenhe1 审核, fuzeren1 负责人 (what the plan workflow asks for)."""
    from accounts import orgs as opening
    from accounts import posts

    orgs, users = context["orgs"], context["users"]
    for name in ["daili", "zhongxin", *[n for n in users if n.startswith(("caigou", "gys"))]]:
        users[name].org_admin = True
    for org in orgs["purchasers"]:
        posts.ensure_standard_posts(org)
    edu = orgs["purchasers"][0]
    orgs["departments"] = [opening.open_department(users["guikou"], edu.id, n) for n in ("计划财务科", "基础教育科")]
    add_user(context, "shenhe1", "泰顺县教育局 审核 李科长", [Role.PURCHASER], edu, totp=False)
    add_user(context, "fuzeren1", "泰顺县教育局 负责人 张局长", [Role.PURCHASER], edu, totp=False)
    for username, post in (("caigou1", "clerk"), ("shenhe1", "reviewer"), ("fuzeren1", "head")):
        posts.assign_post(users["caigou1"], edu.id, post, users[username].id)


DEMO_USERS = [  # (role, username, name, TOTP bound)
    ("admin", "admin", "平台管理员", True),
    ("supervisor", "caijian", "采监科 陈科长", True),
    ("finance_reviewer", "guikou", "业务科 林审核", False),
    ("agency_staff", "zhongxin", "交易中心 王经办", True),
    ("agency_staff", "daili", "正信代理 周经办", True),
    ("purchaser", "caigou1", "泰顺县教育局 采购员（单位管理员，经办）", False),
    ("purchaser", "shenhe1", "泰顺县教育局 审核 李科长", False),
    ("purchaser", "fuzeren1", "泰顺县教育局 负责人 张局长", False),
    ("supplier", "gys1", "浙江云帆信息技术有限公司 投标员", False),
    ("expert", "zj01", "专家01 (zj01…zj40)", True),
]


def demo_logins() -> list[dict]:
    """The accounts a newcomer needs, printed by `make run` (one per role; see the seed for all)."""
    return [{"role": role, "username": username, "password": DEMO_PASSWORD, "name": name,
             "totp": demo_totp_secret(username) if totp else None}
            for role, username, name, totp in DEMO_USERS]


LOGIN_PROVIDERS.append(demo_logins)
