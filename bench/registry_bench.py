"""Registry benchmark: 100,000 suppliers, 100,000 products and 1,000,000 offers, then product search by
words (Chinese, segmented with jieba) and by catalogue code, as the e-mall calls it.

Each query is `registry.products.search.search_products` (a page of 20 listed products with their
offers' count and lowest price), timed from the call to the rows in hand: words alone, a catalogue
code alone, both, and each again for a buyer's region (offers delivering there). The baseline,
measured in the same run on the same rows, is the search one writes without the token table: every
word as `LIKE '%word%'` over the current versions' brand, model and specification; `ratio` is our
p99 over the baseline's p99 (lower is better). Target: p99 < 100 ms for words and for codes.

More sections join the same run through `SECTIONS` below (the collusion signals' figures will): each is
a function of the built world returning its figures, merged into the JSON.

SQLite in a temporary folder, or the database in DATABASE_URL (its tables are dropped and rebuilt:
give it a database of its own, not the one tests run in). The last line is JSON.

    .venv/bin/python bench/registry_bench.py [--suppliers 100000] [--products 100000] [--offers 1000000]
                                             [--queries 300]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FROZEN = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
CHUNK = 5000

# leaf -> (brands, model prefixes, specification phrases); leaves of the shipped catalogue extract
GOODS = {
    "A02010105": (["联想", "华为", "戴尔", "惠普", "清华同方", "长城", "浪潮", "宏碁", "华硕", "紫光"],
                  ["启天 M", "擎云 B", "OptiPlex ", "EliteDesk ", "超翔 ", "世恒 ", "英政 ", "Veriton D"],
                  ["处理器 Intel 酷睿 i5", "处理器 Intel 酷睿 i7", "国产处理器 飞腾", "国产处理器 龙芯",
                   "内存 8GB", "内存 16GB", "内存 32GB", "固态硬盘 256GB", "固态硬盘 512GB", "机械硬盘 1TB",
                   "23.8 英寸显示器", "21.5 英寸显示器", "国产操作系统", "集成显卡", "独立显卡 2GB", "三年上门保修"]),
    "A02010108": (["联想", "华为", "戴尔", "惠普", "荣耀", "小米", "宏碁", "华硕"],
                  ["昭阳 K", "MateBook B", "Latitude ", "ProBook ", "MagicBook ", "ThinkPad E"],
                  ["14 英寸便携式计算机", "15.6 英寸", "处理器 Intel 酷睿 i5", "处理器 Intel 酷睿 i7",
                   "内存 16GB", "内存 8GB", "固态硬盘 512GB", "重量 1.4 千克", "指纹识别", "续航 10 小时"]),
    "A02010104": (["浪潮", "华为", "新华三", "联想", "中科曙光", "戴尔"],
                  ["英信 NF", "FusionServer ", "UniServer R", "ThinkSystem SR", "PowerEdge R"],
                  ["机架式服务器", "双路处理器", "内存 64GB", "内存 128GB", "冗余电源", "RAID 卡", "万兆网口"]),
    "A02021003": (["惠普", "奔图", "兄弟", "佳能", "联想", "得力", "震旦"],
                  ["LaserJet Pro ", "P", "HL-", "LBP", "LJ", "DL-"],
                  ["A4 黑白激光打印机", "自动双面", "有线网络", "无线网络", "打印速度 30 页/分钟",
                   "打印速度 40 页/分钟", "国产主控芯片", "月负荷 5 万页"]),
    "A02021004": (["惠普", "佳能", "爱普生", "奔图", "理光"],
                  ["Color LaserJet ", "iR C", "WF-C", "CP", "P C"],
                  ["A4 彩色激光打印机", "A4 彩色喷墨打印机", "自动双面", "有线网络", "打印速度 25 页/分钟"]),
    "A05010301": (["震旦", "圣奥", "冠美", "科尔卡", "永艺"],
                  ["AD-", "SA-", "GM-", "KEK-", "YY-"],
                  ["办公椅", "网布靠背", "五星铝合金脚", "可调扶手", "真皮", "升降气杆", "人体工学"]),
    "A05010502": (["震旦", "圣奥", "科密", "得力", "冠美"],
                  ["钢制文件柜 ", "文件柜 FC", "密集架 MJ", "档案柜 DA"],
                  ["冷轧钢板 0.8mm", "冷轧钢板 1.0mm", "上玻璃门下铁门", "三门", "五层", "静电喷涂"]),
    "A05010501": (["震旦", "圣奥", "冠美", "曲美"],
                  ["书柜 BK", "SG-", "书架 SJ"],
                  ["实木", "E1 级板材", "双门", "四层", "玻璃门"]),
}
WORD_QUERIES = ["台式计算机", "便携式计算机", "激光打印机", "办公椅", "文件柜", "服务器", "联想 台式计算机",
                "华为 16GB", "惠普 打印机 双面", "国产处理器", "震旦 办公椅 网布", "奔图 国产主控芯片",
                "浪潮 机架式服务器", "23.8 英寸显示器", "冷轧钢板", "人体工学", "彩色激光打印机", "固态硬盘 512GB",
                "显微镜", "龙芯 32GB"]
CODE_QUERIES = ["A02", "A0201", "A020101", "A02010105", "A02010108", "A0202", "A02021003", "A05", "A0501", "A05010301"]


def build_world(n_suppliers: int, n_products: int, n_offers: int, rng: random.Random) -> dict:
    """Regions (1 province, 10 cities, 100 counties), the catalogue extract, the suppliers, products with one
    accepted version and their tokens, and the offers with one delivery region each, by bulk insert."""
    from sqlalchemy import insert

    from accounts.models import Org, Region, RegionLevel
    from core.db import db
    from registry.catalogue import service as catalogue
    from registry.catalogue.demo import import_extract
    from registry.products import search
    from registry.products.models import Offer, OfferRegion, Product, ProductToken, ProductVersion
    from registry.products.service import content_digest

    db.session.add(Region(code="330000", name="浙江省", level=RegionLevel.PROVINCE))
    cities, counties = [], []
    for c in range(10):
        city = f"33{c + 1:02d}00"
        cities.append(city)
        db.session.add(Region(code=city, name=f"市{c}", level=RegionLevel.CITY, parent_code="330000"))
        for k in range(10):
            code = f"33{c + 1:02d}{k + 1:02d}"
            counties.append(code)
            db.session.add(Region(code=code, name=f"县{c}-{k}", level=RegionLevel.COUNTY, parent_code=city))
    db.session.flush()
    version = import_extract("2022 年版（摘录）")
    names = catalogue.names_of(list(GOODS), version)
    for start in range(0, n_suppliers, CHUNK):
        db.session.execute(insert(Org), [{"id": i, "name": f"供应商{i}", "kind": "supplier",
                                          "region_code": counties[i % len(counties)], "uscc": None,
                                          "is_sme": i % 3 != 0}
                                         for i in range(start + 1, min(start + CHUNK, n_suppliers) + 1)])
    db.session.commit()
    per_product = max(1, n_offers // n_products)
    leaves = list(GOODS)
    due = FROZEN + timedelta(days=365)
    models: list[str] = []
    offer_id = 0
    tokens_total = 0
    for start in range(1, n_products + 1, CHUNK):
        products, versions, tokens, offers, regions = [], [], [], [], []
        for pid in range(start, min(start + CHUNK, n_products + 1)):
            leaf = leaves[pid % len(leaves)]
            brands, prefixes, phrases = GOODS[leaf]
            brand = rng.choice(brands)
            model = f"{rng.choice(prefixes)}{rng.randint(100, 9999)}"
            spec = "；".join(rng.sample(phrases, min(len(phrases), rng.randint(3, 6))))
            supplier = rng.randint(1, n_suppliers)
            status = "hidden" if pid % 97 == 0 else "active"
            products.append({"id": pid, "supplier_org_id": supplier, "region_code": counties[supplier % len(counties)],
                             "status": status, "current_version_id": pid, "catalogue_code": leaf,
                             "title": f"{brand} {model}", "created_at": FROZEN, "confirmed_at": FROZEN,
                             "confirm_due_at": due})
            content = {"product_id": pid, "number": 1, "brand": brand, "model": model, "spec": spec,
                       "catalogue_version_id": version.id, "catalogue_code": leaf, "catalogue_name": names[leaf]}
            versions.append(content | {"id": pid, "sha256": content_digest(content), "proposal_id": None,
                                       "accepted_at": FROZEN, "accepted_by_id": None})
            found = search.index_tokens(brand, model, spec, names[leaf])
            tokens.extend({"token": t, "product_id": pid} for t in found)
            if pid % 500 == 0:
                models.append(model.split()[-1])
            for supplier_id in rng.sample(range(1, n_suppliers + 1), per_product):
                offer_id += 1
                offers.append({"id": offer_id, "supplier_org_id": supplier_id, "product_id": pid,
                               "product_version_id": pid, "price_fen": rng.randint(300_00, 30_000_00),
                               "min_order_qty": rng.choice((1, 1, 1, 2, 5, 10)), "status": "active",
                               "created_at": FROZEN, "updated_at": FROZEN})
                roll = rng.random()
                where = "330000" if roll < 0.7 else (rng.choice(cities) if roll < 0.9 else rng.choice(counties))
                regions.append({"offer_id": offer_id, "region_code": where})
        tokens_total += len(tokens)
        for model_cls, rows in ((Product, products), (ProductVersion, versions), (ProductToken, tokens),
                                (Offer, offers), (OfferRegion, regions)):
            for at in range(0, len(rows), CHUNK):
                db.session.execute(insert(model_cls), rows[at:at + CHUNK])
        db.session.commit()
    _analyse()
    return {"counties": counties, "models": models, "offers": offer_id, "tokens": tokens_total,
            "suppliers": n_suppliers, "products": n_products, "rng": rng}


def _analyse() -> None:
    """Fresh planner statistics, as a live database has them (autovacuum on PostgreSQL, ANALYZE on SQLite)."""
    from sqlalchemy import text

    from core.db import db

    db.session.execute(text("ANALYZE"))
    db.session.commit()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def _timed(fn: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    out = fn()
    return (time.perf_counter() - started) * 1000, out


def like_baseline(words: str, code: str) -> list:
    """The search without the token table: each word as LIKE '%word%' over the current versions."""
    from sqlalchemy import or_, select

    from core.db import db
    from registry.products.models import Product, ProductStatus, ProductVersion
    from registry.products.search import code_range

    query = (select(Product.id, Product.title).join(ProductVersion, ProductVersion.id == Product.current_version_id)
             .where(Product.status == ProductStatus.ACTIVE))
    for word in words.split():
        pattern = f"%{word}%"
        query = query.where(or_(ProductVersion.brand.like(pattern), ProductVersion.model.like(pattern),
                                ProductVersion.spec.like(pattern), ProductVersion.catalogue_name.like(pattern)))
    if code:
        query = query.where(code_range(code))
    return db.session.execute(query.order_by(Product.id.desc()).limit(20)).all()


def product_search(world: dict, n_queries: int) -> dict:
    """The e-mall's product search: words, codes, both; alone and for a buyer's county."""
    from core.db import db
    from registry.products import search

    rng = world["rng"]
    words = WORD_QUERIES + world["models"][:20]
    kinds: dict[str, list[float]] = {"words": [], "code": [], "words_and_code": [], "baseline_like": []}
    hits = {"words": 0, "code": 0, "words_and_code": 0}
    search.search_products("预热")  # jieba's dictionary, loaded once per process
    for k in range(n_queries):
        region = rng.choice(world["counties"]) if k % 2 else None
        word, code = rng.choice(words), rng.choice(CODE_QUERIES)
        for kind, args in (("words", (word, "")), ("code", ("", code)), ("words_and_code", (word, code[:5]))):
            ms, found = _timed(lambda a=args, r=region: search.search_products(*a, region_code=r))
            kinds[kind].append(ms)
            hits[kind] += len(found)
        ms, _rows = _timed(lambda w=word: like_baseline(w, ""))
        kinds["baseline_like"].append(ms)
        db.session.rollback()
    out = {f"{kind}_p{p}_ms": round(percentile(values, p), 2) for kind, values in kinds.items() for p in (50, 99)}
    out |= {f"{kind}_mean_hits": round(n / n_queries, 1) for kind, n in hits.items()}
    out["queries_per_kind"] = n_queries
    out["ratio_words_p99_vs_like_p99"] = round(percentile(kinds["words"], 99) / percentile(kinds["baseline_like"], 99),
                                               3)
    out["target_p99_ms"] = 100
    out["meets_target"] = all(out[f"{k}_p99_ms"] < 100 for k in ("words", "code", "words_and_code"))
    return out


# The benchmark's sections, run in order on the same world; each returns its figures for the JSON.
# ── Collusion signals (issue 15): the collusion helper appends its section function here, e.g.
#    SECTIONS.append(("collusion", collusion_signals)), taking (world, args) like product_search.
SECTIONS: list[tuple[str, Callable[[dict, argparse.Namespace], dict]]] = [
    ("product_search", lambda world, args: product_search(world, args.queries)),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suppliers", type=int, default=100_000)
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--offers", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300, help="queries of each kind")
    args = parser.parse_args()

    from audit.service import ensure_head
    from core import clock
    from core.app import create_app
    from core.db import db

    tmp = Path(tempfile.mkdtemp(prefix="registry-bench-"))
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.sqlite'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "FILE_STORE": str(tmp / "f"),
                      "AUDIT_KEY_PATH": str(tmp / "k" / "audit.pem"), "CELERY_ALWAYS_EAGER": True,
                      "SOCKETIO_MESSAGE_QUEUE": None, "REDIS_URL": None})
    backend = "postgresql" if url.startswith("postgres") else "sqlite"
    clock.clock.set(FROZEN)
    rng = random.Random(20261203)
    result: dict = {"backend": backend}
    with app.app_context():
        db.drop_all()
        db.create_all()
        ensure_head()
        db.session.commit()
        started = time.perf_counter()
        world = build_world(args.suppliers, args.products, args.offers, rng)
        result |= {"suppliers": world["suppliers"], "products": world["products"], "offers": world["offers"],
                   "tokens": world["tokens"], "build_s": round(time.perf_counter() - started, 1)}
        print(f"{world['suppliers']} suppliers, {world['products']} products, {world['offers']} offers, "
              f"{world['tokens']} tokens built in {result['build_s']} s ({backend})")
        for name, section in SECTIONS:
            figures = section(world, args)
            print(f"{name}: " + ", ".join(f"{k} {v}" for k, v in figures.items()))
            result[name] = figures
    print(json.dumps(result))


if __name__ == "__main__":
    main()
