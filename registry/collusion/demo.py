"""Demo data: an opened tender with a planted colluding pair, its signals computed.

gys5 and gys6 seal their bids on one machine (the same bidder key: gys5's demo key file), upload them
from one office address and browser, and hand in nearly the same technical response; gys1 and gys3 bid
honestly. After the opening the lot's run flags the pair (and only the pair): caijian (supervisor) sees
the flags on 串通投标预警, each with its evidence.
"""

from __future__ import annotations

import io
import random
from datetime import timedelta

import crypto
from core import clock
from core.db import db
from core.demo import seeder

PAIR_IP, PAIR_UA = "115.231.8.44", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0 Safari/537.36"
HONEST = {"gys1": ("36.22.190.7", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Edg/131.0"),
          "gys3": ("183.134.62.15", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) Safari/605.1.15")}
PHRASES = ["本项目", "农产品", "质量安全", "快速检测", "检测设备", "农药残留", "重金属", "光谱分析", "样品前处理",
           "检测精度", "重复性", "检出限", "校准", "计量认证", "培训", "驻场服务", "质保", "备品备件", "响应时间",
           "数据上传", "监管平台", "接口", "安全", "运维", "方案", "实施", "进度", "验收"]


def response_text(seed: int, words: int = 4000) -> str:
    """A technical response of ordinary vocabulary, different for each seed."""
    rng = random.Random(seed)
    return "".join(rng.choice(PHRASES) + ("。\n" if rng.random() < 0.08 else "，" if rng.random() < 0.1 else "")
                   for _ in range(words))


def lightly_edited(text: str, seed: int) -> str:
    """The copy the second colluder sends: its own name here and there, a few words changed."""
    rng = random.Random(seed)
    out = list(text)
    for i in rng.sample(range(len(out)), len(out) // 80):
        out[i] = "的"
    return "".join(out)


def _seal(project, lot, user, self_pair: crypto.KeyPair, sign_pair: crypto.KeyPair, price_fen: int,
          technical: str, ip: str | None, user_agent: str | None):
    from tender import bids

    out = io.BytesIO()
    summary = {"bidder": user.org.name, "lot": str(lot.number), "price_fen": price_fen, "delivery_days": 30,
               "remarks": "演示投标"}
    files = [("技术响应文件.txt", io.BytesIO(technical.encode())),
             ("商务响应文件.txt", io.BytesIO(f"{user.org.name} 商务响应与售后服务承诺（演示）\n".encode() * 5))]
    crypto.seal(lot.policy, sign_pair.signing, self_pair.encryption.public_key(), summary, files, out,
                bids.bidder_id_of(user.org), chunk_size=65536)
    out.seek(0)
    bid = bids.submit_bid(user, project.id, lot.id, out, ip=ip, user_agent=user_agent)
    bids.issue_receipt(bid)
    return bid


@seeder("collusion")
def seed_collusion(context: dict) -> None:
    users, orgs = context.get("users", {}), context.get("orgs", {})
    if "daili" not in users or "gys6" not in users or not orgs.get("purchasers"):
        return
    from registry.collusion.service import compute_lot
    from tender import opening
    from tender.demo import create_demo_project, demo_keys, legal_start, project_data

    agent, keeper = users["daili"], users["caijian"]
    keeper_pair = demo_keys(keeper, "custodian")
    now = clock.now()
    bidders = [users[name] for name in ("gys1", "gys3", "gys5", "gys6")]
    pairs = {u.username: demo_keys(u, "supplier") for u in bidders}
    base = response_text(7)
    deadline = now - timedelta(days=3)
    with clock.clock.frozen(legal_start(deadline)):
        project = create_demo_project(agent, project_data(
            "泰顺县农业农村局农产品质量安全检测设备采购", orgs["purchasers"][0], clock.now(),
            lots=[("农残及重金属快速检测设备", 560_000_00, 550_000_00)], custodians=[keeper.id], k=2,
            deadline=deadline),
            publish=True, suppliers=bidders)
        lot = project.lots[0]
        plan = (("gys1", 512_000_00, response_text(11), *HONEST["gys1"], "gys1"),
                ("gys3", 498_600_00, response_text(13), *HONEST["gys3"], "gys3"),
                ("gys5", 523_000_00, base, PAIR_IP, PAIR_UA, "gys5"),
                ("gys6", 526_400_00, lightly_edited(base, 17), PAIR_IP, PAIR_UA, "gys5"))  # gys5's machine
        for name, price, technical, ip, agent_string, device in plan:
            _seal(project, lot, users[name], pairs[device], pairs[name], price, technical, ip, agent_string)
    db.session.flush()
    opening.close_submission(project.id)
    member = next(c for c in project.custodians if c.user_id == keeper.id)
    for bid in opening.current_bids(lot):
        share = crypto.unwrap_share(opening.header_of(bid), keeper_pair.encryption)
        opening.store_share(bid, member.custodian_id, share, keeper.id)
    db.session.flush()
    opening.progress_opening(project.id)
    db.session.flush()
    run = compute_lot(lot)
    db.session.flush()
    print(f"  演示串通预警 Demo collusion signals: {project.title}，{len(run.flags)} 条预警（caijian：串通投标预警）")


@seeder("collusion_opened_lots", after="deposits")
def seed_collusion_of_every_opened_lot(context: dict) -> None:
    """Every other opened demo lot computed now rather than at the worker's first sweep, once the deposits
    demo has recorded who paid from which account (the 课桌椅 tender's shared payer is flagged)."""
    from core.chronograph import due_objects, step
    from registry.collusion.service import compute_lot

    for lot in due_objects(step("collusion.compute_lot")):
        compute_lot(lot)
    db.session.flush()
