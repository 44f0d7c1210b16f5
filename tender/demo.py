"""Demo tenders, one in each stage, with real keys and real sealed bids.

- a draft (services), not yet published;
- a tender open for bids for three weeks, with bids sealed by demo suppliers;
- a tender whose opening is 30 minutes after the seed: watch it open in the hall (the 采监科
  custodian `caijian` unwraps its shares there, with the key file below);
- a tender past its deadline, opened, with its opening record;
- (seeder `tender_cangnan`) a tender of 苍南县, a second county, for the notice centre's region filter.

Demo suppliers' and custodians' key files are written to instance/demo-keys/ (passphrase
DEMO_KEY_PASSPHRASE), so a newcomer can seal a bid or unwrap shares in the browser.
"""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from pathlib import Path

from flask import current_app

import crypto
from accounts import service as accounts
from core import clock
from core.db import db
from core.demo import seeder
from tender import bids, opening, service
from tender.keys import public_pem
from tender.models import Bid, Project

DEMO_KEY_PASSPHRASE = "demo-key-2026"
KEY_ITERATIONS = 100_000  # lower than production's 600 000 so the demo seeds fast; still accepted


def _key_dir() -> Path:
    folder = Path(current_app.instance_path) / "demo-keys"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def make_demo_keys(user, kind: str) -> crypto.KeyPair:
    """Generate a key file for a demo user, write it, register its public keys (kind: supplier, custodian,
    or signer for a purchaser who signs contracts)."""
    data, pub = crypto.generate_key_file(kind, DEMO_KEY_PASSPHRASE, iterations=KEY_ITERATIONS)
    (_key_dir() / f"{user.username}.key").write_bytes(data)
    (_key_dir() / f"{user.username}.pub").write_bytes(pub)
    pair = crypto.load_key_file(data, DEMO_KEY_PASSPHRASE)
    if pair.signing is not None:
        accounts.register_public_key(user, public_pem(pair.signing.public_key()), "sign", "演示签名密钥")
    if pair.encryption is not None:
        accounts.register_public_key(user, public_pem(pair.encryption.public_key()), "encrypt", "演示加密密钥")
    return pair


def demo_keys(user, kind: str) -> crypto.KeyPair:
    """The demo user's key file when the keys of its `kind` in it are the ones registered for the user,
    else a new key file (so seeders that run without the tender demo still use real, registered keys)."""
    path = _key_dir() / f"{user.username}.key"
    if path.exists():
        pair = crypto.load_key_file(path.read_bytes(), DEMO_KEY_PASSPHRASE)
        signing = {k.pem.strip() for k in accounts.signing_keys_of(user)}
        encrypt = service.latest_encrypt_key(user)
        sign_ok = kind == "custodian" or (pair.signing is not None
                                          and public_pem(pair.signing.public_key()).strip() in signing)
        encrypt_ok = kind == "signer" or (pair.encryption is not None and encrypt is not None
                                          and public_pem(pair.encryption.public_key()).strip() == encrypt.pem.strip())
        if sign_ok and encrypt_ok:
            return pair
    return make_demo_keys(user, kind)


def demo_signing_key(user):
    """The demo supplier's signing key (see demo_keys)."""
    return demo_keys(user, "supplier").signing


def _period_end(start: datetime) -> date:
    """The last day of the public tender's period from documents issued at `start` (a last day on a rest
    day moves to the next working day), as the project's check counts it."""
    from core.workdays import period_end_calendar_days
    from tender.rules import notice_period

    return period_end_calendar_days(clock.to_local(start).date(), notice_period(None, "public_tender")[0])


def legal_start(deadline: datetime, days: int = 21) -> datetime:
    """The latest notice time at least `days` before `deadline` (same hour) from which the legal period ends
    by the deadline's day: a deadline on a Sunday or just after a holiday needs an earlier notice, so a
    demo seeded on any day of the year passes the project's own checks."""
    start = deadline - timedelta(days=days)
    while _period_end(start) > clock.to_local(deadline).date():
        start -= timedelta(days=1)
    return start


def project_data(title: str, purchaser, start, *, days: int = 21, category: str = "goods",
                 lots: list[tuple[str, int, int]], mode: str = "custodian", custodians: list[int], k: int,
                 deadline: datetime | None = None) -> dict:
    """The project form's data: notice at `start`, deadline (and opening) `days` later, or later still
    where the legal period needs it, or at `deadline` when given (its start from `legal_start`); the time
    vault is always a custodian, with the users of `custodians`, k of them needed to open."""
    if deadline is None:
        deadline = start + timedelta(days=days)
        while clock.to_local(deadline).date() < _period_end(start):
            deadline += timedelta(days=1)
    criteria = ([{"name": "价格", "weight": 30, "price": True},
                 {"name": "技术", "weight": 55, "items": [
                     {"text": "技术参数：完全满足技术要求得 30 分，每项一般参数负偏离扣 2 分", "points": 30},
                     {"text": "实施方案：供货安装调试方案完整可行得 15 分，较完整得 8 分", "points": 15},
                     {"text": "售后服务：服务网点、响应时间与培训，优 10 分，良 6 分", "points": 10}]},
                 {"name": "商务", "weight": 15, "items": [
                     {"text": "近三年同类项目业绩，每个得 3 分，最高 9 分（提供合同复印件）", "points": 9},
                     {"text": "质保期在招标文件要求基础上每延长 1 年得 2 分，最高 6 分", "points": 6}]}]
                if category == "goods" else
                [{"name": "价格", "weight": 20, "price": True}, {"name": "服务方案", "weight": 65},
                 {"name": "业绩与信誉", "weight": 15}])
    return {"title": title, "purchaser_org_id": purchaser.id, "catalogue_code": "A02010104" if category == "goods"
            else "C21040000", "category": category, "method": "public_tender", "eval_method": "scoring",
            "criteria": criteria, "lots": [{"name": n, "budget_fen": b, "max_price_fen": m} for n, b, m in lots],
            "notice_at": start.isoformat(), "doc_start_at": start.isoformat(),
            "doc_end_at": _doc_end(start, deadline).isoformat(),
            "clarify_deadline": (deadline - timedelta(days=15)).isoformat(),
            "deadline": deadline.isoformat(), "opening_mode": mode,
            "custodian_user_ids": custodians, "include_vault": True, "k": k,
            **_confirmed_year(start, deadline)}


def _confirmed_year(start: datetime, deadline: datetime) -> dict:
    """A period reaching a year the working-day calendar lacks (a December seed's tenders end in January)
    is confirmed as the agency's clerk would: counted Monday to Friday, naming the year."""
    from core.workdays import get_calendar

    calendar = get_calendar()
    years = sorted({d.year for d in (clock.to_local(start).date(), clock.to_local(deadline).date())
                    if not calendar.covers(d)})
    return {"confirm_uncovered_year": years[-1]} if years else {}


def _doc_end(start, deadline):
    """Documents on offer for the region's minimum of working days (87号令 Art 24; more across a holiday
    week such as National Day), one day more for good measure, never past the deadline."""
    from core.workdays import get_calendar
    from tender.rules import rule

    today = clock.to_local(start).date()
    last = get_calendar().add_workdays(today, rule(None, "min_doc_workdays"))
    return min(start + timedelta(days=(last - today).days + 1), deadline)


def create_demo_project(agent, data: dict, publish: bool, suppliers) -> Project:
    """Create the project with its tender document; publish it and register the suppliers if asked."""
    project = service.create_project(agent, data)
    service.add_document(agent, project, "招标文件.txt", io.BytesIO(
        f"{data['title']}\n招标文件（演示）\n评分办法：{data['criteria']}\n".encode()))
    if publish:
        service.publish_project(agent, project.id, confirm_uncovered_year=data.get("confirm_uncovered_year"))
        for user in suppliers:
            service.register_supplier(user, project.id)
    db.session.flush()
    return project


def seal_and_submit(project: Project, lot, user, pair: crypto.KeyPair, price_fen: int, days: int,
                    breakdown: dict | None = None) -> Bid:
    """Seal a bid with the Python library, as a supplier's CLI would, submit it and issue its receipt (as
    the upload API answers). `breakdown` (开标一览表 大写 + 分项报价表) goes into the sealed summary, where
    the opening reads it into the opening record's price_detail."""
    out = io.BytesIO()
    summary = {"bidder": user.org.name, "lot": str(lot.number), "price_fen": price_fen, "delivery_days": days,
               "remarks": "演示投标", **(breakdown or {})}
    technical = f"{user.org.name} 对《{lot.name}》的技术响应文件（演示）\n".encode() * 20
    business = f"{user.org.name} 商务响应、业绩与售后服务承诺（演示）\n".encode() * 10
    files = [("技术响应文件.txt", io.BytesIO(technical)), ("商务响应文件.txt", io.BytesIO(business))]
    crypto.seal(lot.policy, pair.signing, pair.encryption.public_key(), summary, files, out,
                bids.bidder_id_of(user.org), chunk_size=65536)
    out.seek(0)
    bid = bids.submit_bid(user, project.id, lot.id, out)
    bids.issue_receipt(bid)
    return bid


# Price breakdowns (开标一览表 大写 + 分项报价表) of two bids of the opened tender. gys2's NVR line has its
# unit price's decimal point one place off (4,487.50 for 44,875.00): the committee's Art 59 correction
# shows up once daili opens the evaluation room, and gys2 confirms it on its 评审澄清 page.
BREAKDOWNS = {
    768_000_00: {"price_words": "柒拾陆万捌仟元整", "items": [
        {"ref": "1", "name": "400万像素网络摄像机", "quantity": "120", "unit_price_fen": 4_900_00,
         "total_fen": 588_000_00},
        {"ref": "2", "name": "网络硬盘录像机及存储", "quantity": "4", "unit_price_fen": 45_000_00,
         "total_fen": 180_000_00}]},
    779_500_00: {"price_words": "柒拾柒万玖仟伍佰元整", "items": [
        {"ref": "1", "name": "400万像素网络摄像机", "quantity": "120", "unit_price_fen": 5_000_00,
         "total_fen": 600_000_00},
        {"ref": "2", "name": "网络硬盘录像机及存储", "quantity": "4", "unit_price_fen": 4_487_50,
         "total_fen": 179_500_00}]},
}


@seeder("tender")
def seed_tender(context: dict) -> None:
    users = context["users"]
    agent, keeper = users["daili"], users["caijian"]
    purchasers = context["orgs"]["purchasers"]
    suppliers = [users[f"gys{i}"] for i in range(1, 7)]
    pairs = {u.username: make_demo_keys(u, "supplier") for u in suppliers}
    keeper_pair = make_demo_keys(keeper, "custodian")
    now = clock.now()
    custodians = [keeper.id]

    create_demo_project(agent, project_data("泰顺县罗阳镇人民政府环卫保洁服务采购", purchasers[2],
                                            now + timedelta(days=1), category="services",
                                            lots=[("环卫保洁服务", 1_200_000_00, 1_150_000_00)],
                                            custodians=custodians, k=2), publish=False, suppliers=[])

    far = create_demo_project(agent, project_data("泰顺县教育局多媒体教学设备采购", purchasers[0], now,
                                                  lots=[("交互式智能平板", 960_000_00, 950_000_00),
                                                        ("学生机房电脑", 1_500_000_00, 1_480_000_00)],
                                                  custodians=custodians, k=2), publish=True, suppliers=suppliers[:4])
    seal_and_submit(far, far.lots[0], suppliers[0], pairs["gys1"], 918_000_00, 30)
    seal_and_submit(far, far.lots[0], suppliers[1], pairs["gys2"], 925_500_00, 25)
    seal_and_submit(far, far.lots[1], suppliers[3], pairs["gys4"], 1_455_000_00, 45)

    soon_at = now + timedelta(minutes=30)
    with clock.clock.frozen(legal_start(soon_at)):
        soon = create_demo_project(agent, project_data("泰顺县人民医院病房护理床采购", purchasers[1], clock.now(),
                                                       lots=[("电动护理床", 680_000_00, 660_000_00)],
                                                       custodians=custodians, k=2, deadline=soon_at),
                                   publish=True, suppliers=suppliers[:4])
        for user, price in ((suppliers[0], 645_000_00), (suppliers[1], 652_800_00), (suppliers[3], 639_900_00)):
            seal_and_submit(soon, soon.lots[0], user, pairs[user.username], price, 20)

    # The public time-lock custodian (FORMAT.md §15): the caijian keeper's share and a share locked to the
    # beacon round at the opening time (with `make run`, the local beacon started by `flask serve`).
    locked_at = now + timedelta(minutes=45)
    with clock.clock.frozen(legal_start(locked_at)):
        data = project_data("泰顺县图书馆自助借还设备采购", purchasers[0], clock.now(),
                            lots=[("自助借还机及安全门", 420_000_00, 410_000_00)], custodians=custodians, k=2,
                            deadline=locked_at)
        data.update(include_vault=False, include_tlock=True)
        locked = create_demo_project(agent, data, publish=True, suppliers=suppliers[:4])
        for user, price in ((suppliers[0], 398_000_00), (suppliers[2], 402_500_00), (suppliers[3], 395_800_00)):
            seal_and_submit(locked, locked.lots[0], user, pairs[user.username], price, 15)

    done_at = now - timedelta(days=2)
    with clock.clock.frozen(legal_start(done_at)):
        done = create_demo_project(agent, project_data("泰顺县教育局校园安防监控设备采购", purchasers[0], clock.now(),
                                                       lots=[("高清监控摄像机及存储", 820_000_00, 800_000_00)],
                                                       custodians=custodians, k=2, deadline=done_at),
                                   publish=True, suppliers=suppliers[:5])
        for user, price, days in ((suppliers[0], 768_000_00, 30), (suppliers[1], 779_500_00, 20),
                                  (suppliers[2], 791_000_00, 25), (suppliers[4], 785_300_00, 28)):
            seal_and_submit(done, done.lots[0], user, pairs[user.username], price, days, BREAKDOWNS.get(price))
    db.session.flush()
    opening.close_submission(done.id)  # the deadline has passed: the vault releases its shares
    member = next(c for c in done.custodians if c.user_id == keeper.id)
    for lot in done.lots:
        for bid in opening.current_bids(lot):
            share = crypto.unwrap_share(opening.header_of(bid), keeper_pair.encryption)
            opening.store_share(bid, member.custodian_id, share, keeper.id)
    db.session.flush()
    opening.progress_opening(done.id)
    db.session.flush()
    print(f"  演示密钥文件 Demo key files: {_key_dir()}/*.key  (口令 passphrase: {DEMO_KEY_PASSPHRASE})")


CANGNAN = "330327"


@seeder("tender_cangnan", after="acceptance")
def seed_cangnan(context: dict) -> None:
    """A second county for the notice centre's region filter: 苍南县 under 温州市, its own agency (`cnzx`) and
    a tender open for bids there, so filtering by 泰顺县 or 苍南县 leaves the other county's notices out."""
    from accounts.demo import add_user, demo_uscc
    from accounts.models import OrgKind, Region, RegionLevel, Role

    db.session.add(Region(code=CANGNAN, name="苍南县", level=RegionLevel.COUNTY, parent_code="330300"))
    db.session.flush()
    agency = accounts.create_org("苍南县公共资源交易中心", OrgKind.CENTRAL_AGENCY, CANGNAN, demo_uscc(71))
    purchaser = accounts.create_org("苍南县灵溪镇第一小学", OrgKind.PURCHASER, CANGNAN, demo_uscc(72))
    agent = add_user(context, "cnzx", "苍南交易中心 林经办", [Role.AGENCY_STAFF], org=agency)
    agent.region_code = CANGNAN
    keeper = context["users"]["caijian"]
    demo_keys(keeper, "custodian")  # caijian's registered custodian key (the tender demo made it)
    create_demo_project(agent, project_data("苍南县灵溪镇第一小学学生直饮水设备采购", purchaser, clock.now(),
                                            lots=[("学校直饮水设备及安装", 420_000_00, 400_000_00)],
                                            custodians=[keeper.id], k=2), publish=True, suppliers=[])
