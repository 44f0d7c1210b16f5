"""Portal benchmark: the notice centre's list and search over many notices, and the OCDS bulk export.

Notices: N public notices (default 1,000,000) over 1 province, 10 cities and 100 counties, every kind, six
methods, catalogue codes of goods, services and works, one a minute back from the frozen clock; titles and
bodies drawn from pools (county, unit, item, supplier) and their words in `notice_token`. Segmenting a
million texts one by one takes jieba half an hour, so each notice's tokens are the union of its parts'
segmentations (each distinct part segmented once with `core.words.index_tokens`): the index holds the
same kind and number of rows as the live one would.

Each case is `notices.search.find_notices` (a page of 20 notices as ORM objects), timed from the call to
the rows in hand, and the centre's page itself for the list and one search (`GET /notices?...` through
the test client: the query, the template, the response). The baseline is the bare SQL of the same query:
the statements `find_notices` runs (built by `notices.search.statement`), executed on a plain connection
with no ORM objects, fetching the page's ids alone, in the same run on the same rows; `ratio` is our p99
over the baseline's p99. Targets: p99 < 100 ms and ratio < 3.

OCDS: P tender processes (default 100,000: a project with two lots and its procurement notice) exported
by `portal.ocds.views.bulk_chunks` in a child process (so its peak memory is the export's, not the
build's): processes per second and the child's peak RSS (target < 256 MiB).

SQLite in a temporary folder, or the database in DATABASE_URL (its tables are dropped and rebuilt: give it
a database of its own, not the one tests run in). The last line is JSON.

    .venv/bin/python bench/portal_bench.py [--notices 1000000] [--processes 100000] [--queries 200]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FROZEN = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
COUNTY, CITY = "330301", "330300"  # 泰顺县 in the bench's tree, and its city
CHUNK = 5000
UNITS = ["教育局", "人民医院", "中医院", "图书馆", "农业农村局", "公安局", "交通运输局", "卫生健康局", "机关事务管理局",
         "实验中学", "中心小学", "职业技术学校", "疾病预防控制中心", "自然资源和规划局", "文化和广电旅游体育局",
         "市场监督管理局", "水利局", "林业局", "民政局", "妇幼保健院"]
ITEMS = [("学生直饮水设备", "A02061504"), ("多媒体教学设备", "A02091000"), ("病房护理床", "A02320400"),
         ("台式计算机", "A02010105"), ("便携式计算机", "A02010108"), ("激光打印机", "A02021003"),
         ("办公椅", "A05010301"), ("文件柜", "A05010502"), ("课桌椅", "A05010200"), ("服务器", "A02010104"),
         ("校园安防监控设备", "A02091100"), ("农产品质量安全检测设备", "A02100300"), ("全自动生化分析仪", "A02320100"),
         ("自助借还设备", "A02019900"), ("空调", "A02061800"), ("电梯", "A02051200"), ("复印机", "A02020400"),
         ("物业管理服务", "C21040000"), ("环卫保洁服务", "C21040100"), ("食堂餐饮服务", "C23120000"),
         ("信息系统运维服务", "C16070000"), ("法律服务", "C23010000"), ("审计服务", "C23030000"),
         ("道路维修工程", "B03010000"), ("校舍修缮工程", "B07010000"), ("绿化养护服务", "C21040300")]
KINDS = [("tender", "采购公告"), ("result", "中标（成交）结果公告"), ("contract", "合同公告"),
         ("correction", "更正公告"), ("clarification", "澄清公告"), ("failure", "废标公告"),
         ("acceptance", "验收结果公告")]
KIND_WEIGHTS = [30, 25, 20, 8, 7, 5, 5]
METHODS = ["public_tender", "invited_tender", "competitive_negotiation", "competitive_consultation", "inquiry",
           "single_source"]
SUPPLIERS = [f"浙江{a}{b}有限公司" for a in ("云帆", "绿源", "华瑞", "博远", "正泰", "中天", "恒信", "新华")
             for b in ("信息技术", "物业服务", "教学装备", "医疗器械", "建设工程", "办公设备")]
SEARCHES = [("直饮水设备", ""), ("计算机", ""), ("物业管理服务", ""), ("泰顺县 课桌椅", ""), ("云帆 结果公告", ""),
            ("全自动生化分析仪", "county"), ("打印机", "city"), ("服务器 合同公告", ""), ("火箭发动机", ""),
            ("教育局 多媒体教学设备", "county")]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def _timed(fn: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    out = fn()
    return (time.perf_counter() - started) * 1000, out


def _regions() -> tuple[list[str], list[str], dict[str, str]]:
    from accounts.models import Region, RegionLevel
    from core.db import db

    names = {"330000": "浙江省"}
    db.session.add(Region(code="330000", name="浙江省", level=RegionLevel.PROVINCE))
    cities, counties = [], []
    for c in range(10):
        city = f"33{c + 1:02d}00"
        cities.append(city)
        names[city] = f"第{c + 1}市"
        db.session.add(Region(code=city, name=names[city], level=RegionLevel.CITY, parent_code="330000"))
        for k in range(10):
            code = f"33{c + 1:02d}{k + 1:02d}"
            counties.append(code)
            names[code] = "泰顺县" if code == COUNTY else f"第{c * 10 + k + 1}县"
            db.session.add(Region(code=code, name=names[code], level=RegionLevel.COUNTY, parent_code=city))
    db.session.commit()
    return cities, counties, names


def build_notices(n: int, rng: random.Random, counties: list[str], names: dict[str, str]) -> int:
    """N notices and their tokens by bulk insert, newest id newest; returns the token rows written."""
    from sqlalchemy import insert

    from core.db import db
    from core.words import index_tokens
    from notices.models import Notice, NoticeToken

    cache: dict[str, frozenset[str]] = {}

    def tokens(part: str) -> frozenset[str]:
        if part not in cache:
            cache[part] = frozenset(index_tokens(part))
        return cache[part]

    total = 0
    for start in range(1, n + 1, CHUNK):
        rows, token_rows = [], []
        for i in range(start, min(start + CHUNK, n + 1)):
            county = counties[rng.randrange(len(counties))]
            unit, (item, code) = rng.choice(UNITS), rng.choice(ITEMS)
            kind, label = rng.choices(KINDS, KIND_WEIGHTS)[0]
            supplier = rng.choice(SUPPLIERS)
            subject = f"{names[county]}{unit}{item}采购项目"
            body_line = f"中标（成交）供应商：{supplier}" if kind in ("result", "contract", "acceptance") else \
                f"采购单位：{names[county]}{unit}；采购品目：{item}"
            rows.append({"id": i, "kind": kind, "region_code": county, "subject_type": "bench_project",
                         "subject_id": i, "title": f"{subject} {label}",
                         "body": f"项目编号：BY-{county}-2026-{i:07d}\n{body_line}\n"
                                 f"预算金额：{rng.randint(5, 500)}万元",
                         "published_at": FROZEN - timedelta(minutes=n - i), "method": rng.choice(METHODS),
                         "catalogue_code": code, "rule_version": None, "audit_seq": None})
            found = tokens(names[county]) | tokens(f"{unit}{item}采购项目") | tokens(label) | tokens(body_line)
            token_rows.extend({"token": t, "notice_id": i} for t in found)
        db.session.execute(insert(Notice), rows)
        for at in range(0, len(token_rows), CHUNK * 4):
            db.session.execute(insert(NoticeToken), token_rows[at:at + CHUNK * 4])
        db.session.commit()
        total += len(token_rows)
        if start % 100_000 == 1 and start > 1:
            print(f"  {start - 1} notices", flush=True)
    return total


def _analyse() -> None:
    from sqlalchemy import text

    from core.db import db

    db.session.execute(text("ANALYZE"))
    db.session.commit()


def _bare(statements) -> Callable[[], list]:
    """The same statements (the region tree, the words' counts, then the page), on a plain connection: SQL
    only, no ORM objects, the page's ids only."""
    from core.db import db

    engine = db.engine

    def run() -> list:
        with engine.connect() as conn:
            return [conn.execute(s).fetchall() for s in statements][-1]

    return run


def notice_cases(world: dict) -> list[tuple[str, object, int]]:
    from notices.search import Filters

    rng = random.Random(7)
    county, city = COUNTY, CITY
    today = FROZEN.date()
    cases: list[tuple[str, object, int]] = [
        ("list", Filters(), 1), ("list_page_50", Filters(), 50),
        ("county_and_kind", Filters(region=county, kinds=["result"]), 1),
        ("city", Filters(region=city), 1), ("province_kind", Filters(region="330000", kinds=["contract"]), 1),
        ("method_catalogue", Filters(method="inquiry", catalogue="A02"), 1),
        ("dates", Filters(date_from=today - timedelta(days=30), date_to=today - timedelta(days=20)), 1),
        ("county_kind_page_5", Filters(region=rng.choice(world["counties"]), kinds=["tender"]), 5),
    ]
    for words, where in SEARCHES:
        region = county if where == "county" else city if where == "city" else ""
        cases.append((f"search:{words}{'@' + where if where else ''}", Filters(q=words, region=region), 1))
    return cases


def _statements(filters, page: int) -> list:
    """The statements find_notices runs for these filters and page (built by the same code), ids only."""
    from notices.models import Notice
    from notices.search import children_count, region_tree, statement, token_count

    query, tokens = statement(filters, page)
    counts = [token_count(t) for t in tokens] if len(tokens) > 1 or (tokens and filters.region) else []
    tree = [region_tree()] if filters.region else []
    leaf = [children_count(filters.region)] if counts and filters.region else []
    return [*tree, *counts, *leaf, query.with_only_columns(Notice.id)]


def notice_section(world: dict, args) -> dict:
    from core.db import db
    from notices.search import find_notices

    out: dict = {}
    worst = {"p99_ms": 0.0}
    for name, filters, page in notice_cases(world):
        ours, bare = [], []
        bare_run = _bare(_statements(filters, page))
        find_notices(filters, page)
        bare_run()
        hits = 0
        for _ in range(args.queries):
            ms, found = _timed(lambda filters=filters, page=page: find_notices(filters, page))
            hits = len(found.notices)
            ours.append(ms)
            db.session.expunge_all()
            ms, _rows = _timed(bare_run)
            bare.append(ms)
        p99, base = percentile(ours, 99), percentile(bare, 99)
        out[name] = {"p50_ms": round(percentile(ours, 50), 2), "p99_ms": round(p99, 2),
                     "bare_p99_ms": round(base, 2), "ratio": round(p99 / base, 2) if base else None, "hits": hits}
        if p99 > worst["p99_ms"]:
            worst = {"case": name, "p99_ms": round(p99, 2)}
    out["slowest"] = worst
    out["max_ratio"] = max(v["ratio"] for k, v in out.items() if isinstance(v, dict) and v.get("ratio"))
    return out


def page_section(app, args) -> dict:
    """The centre's page as a visitor gets it: list, county and kind, and a search."""
    client = app.test_client()
    out = {}
    for name, url in (("page_list", "/notices"), ("page_county_kind", f"/notices?region={COUNTY}&kind=result"),
                      ("page_search", f"/notices?q=直饮水设备&region={CITY}")):
        client.get(url)
        times = []
        for _ in range(max(20, args.queries // 4)):
            ms, response = _timed(lambda url=url: client.get(url))
            assert response.status_code == 200
            times.append(ms)
        out[name] = {"p50_ms": round(percentile(times, 50), 2), "p99_ms": round(percentile(times, 99), 2)}
    return out


def build_processes(n: int, rng: random.Random, counties: list[str]) -> None:
    """N published tender projects with two lots each and their procurement notice, by bulk insert."""
    from sqlalchemy import insert

    from accounts.models import Org, User
    from core.db import db
    from notices.models import Notice
    from tender.models import Lot, Project

    db.session.execute(insert(Org), [{"id": 1, "name": "采购单位", "kind": "purchaser", "region_code": COUNTY,
                                      "uscc": "91330329MA2000010X", "is_sme": False},
                                     {"id": 2, "name": "代理机构", "kind": "agency", "region_code": COUNTY,
                                      "uscc": "91330329MA2000020X", "is_sme": False}])
    db.session.execute(insert(User), [{"id": 1, "username": "bench", "name": "经办", "password_hash": "x",
                                       "org_id": 2, "region_code": COUNTY, "created_at": FROZEN}])
    db.session.commit()
    notice_id = 10_000_000
    for start in range(1, n + 1, CHUNK):
        projects, lots, notices = [], [], []
        for i in range(start, min(start + CHUNK, n + 1)):
            county = counties[rng.randrange(len(counties))]
            item, code = rng.choice(ITEMS)
            at = FROZEN - timedelta(minutes=n - i)
            projects.append({
                "id": i, "code": f"BY-{county}-2026-{i:07d}", "title": f"{item}采购项目", "region_code": county,
                "purchaser_org_id": 1, "agency_org_id": 2, "created_by_id": 1, "catalogue_code": code,
                "category": "services" if code.startswith("C") else "works" if code.startswith("B") else "goods",
                "method": rng.choice(METHODS), "eval_method": "scoring", "criteria": [], "price_fixed": False,
                "same_brand_counts_once": False, "is_complex": False, "complex_reason": "",
                "notice_at": at, "doc_start_at": at, "doc_end_at": at + timedelta(days=7),
                "clarify_deadline": at + timedelta(days=10), "deadline": at + timedelta(days=21),
                "opening_mode": "custodian", "decrypt_window_minutes": 30, "k": 2, "status": "bidding",
                "created_at": at, "published_at": at, "lock_version": 0})
            for number in (1, 2):
                budget = rng.randint(10, 500) * 10_000_00
                lots.append({"id": i * 2 + number - 2, "project_id": i, "number": number, "name": f"{item}（{number}）",
                             "budget_fen": budget, "max_price_fen": budget, "status": "open"})
            notice_id += 1
            notices.append({"id": notice_id, "kind": "tender", "region_code": county,
                            "subject_type": "tender_project", "subject_id": i, "title": f"{item}采购项目 采购公告",
                            "body": "采购公告", "published_at": at,
                            "method": projects[-1]["method"], "catalogue_code": code})
        for model, rows in ((Project, projects), (Lot, lots), (Notice, notices)):
            db.session.execute(insert(model), rows)
        db.session.commit()


EXPORT_CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from core.app import create_app
from core import clock
app = create_app({config!r})
clock.clock.set(__import__("datetime").datetime.fromisoformat({frozen!r}))
with app.app_context():
    from portal.ocds.views import bulk_chunks
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    size = 0
    releases = 0
    for chunk in bulk_chunks():
        size += len(chunk.encode("utf-8"))
        releases += chunk.count('"initiationType"')
    took = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({{"seconds": round(took, 2), "bytes": size, "releases": releases,
                      "rss_before_mib": round(before / 1024, 1), "peak_rss_mib": round(peak / 1024, 1),
                      "export_growth_mib": round((peak - before) / 1024, 1)}}))
"""


def ocds_section(config: dict, n: int) -> dict:
    root = str(Path(__file__).resolve().parent.parent)
    code = EXPORT_CHILD.format(root=root, config=config, frozen=FROZEN.isoformat())
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=root)
    if done.returncode:
        raise SystemExit(f"the export failed:\n{done.stderr[-3000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["processes"] = n
    figures["processes_per_s"] = round(n / figures["seconds"], 1) if figures["seconds"] else None
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notices", type=int, default=1_000_000)
    parser.add_argument("--processes", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200, help="runs of each case")
    parser.add_argument("--reuse", metavar="DATABASE_URL", help="measure a database an earlier run built (same sizes)")
    parser.add_argument("--export-only", metavar="DATABASE_URL",
                        help="only the OCDS export, of a database an earlier run built")
    args = parser.parse_args()
    if args.export_only:
        tmp = Path(tempfile.mkdtemp(prefix="portal-bench-"))
        config = {"SQLALCHEMY_DATABASE_URI": args.export_only, "FILE_STORE": str(tmp / "f"),
                  "AUDIT_KEY_PATH": str(tmp / "k" / "a.pem"), "CELERY_ALWAYS_EAGER": True,
                  "SOCKETIO_MESSAGE_QUEUE": None, "REDIS_URL": None}
        print(json.dumps({"ocds_export": ocds_section(config, args.processes)}))
        return

    from audit.service import ensure_head
    from core import clock
    from core.app import create_app
    from core.db import db

    tmp = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    url = args.reuse or os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.sqlite'}"
    config = {"SQLALCHEMY_DATABASE_URI": url, "FILE_STORE": str(tmp / "f"), "AUDIT_KEY_PATH": str(tmp / "k" / "a.pem"),
              "CELERY_ALWAYS_EAGER": True, "SOCKETIO_MESSAGE_QUEUE": None, "REDIS_URL": None}
    app = create_app(config)
    backend = "postgresql" if url.startswith("postgres") else "sqlite"
    clock.clock.set(FROZEN)
    rng = random.Random(20261204)
    result: dict = {"backend": backend, "notices": args.notices, "processes": args.processes}
    with app.app_context():
        started = time.perf_counter()
        if args.reuse:
            from notices.models import NoticeToken

            db.create_all()  # tables of packages added since the build
            counties = [f"33{c + 1:02d}{k + 1:02d}" for c in range(10) for k in range(10)]
            cities = [f"33{c + 1:02d}00" for c in range(10)]
            result["tokens"] = db.session.query(NoticeToken).count()
        else:
            db.drop_all()
            db.create_all()
            ensure_head()
            db.session.commit()
            cities, counties, names = _regions()
            result["tokens"] = build_notices(args.notices, rng, counties, names)
            build_processes(args.processes, rng, counties)
            _analyse()
        result["build_s"] = round(time.perf_counter() - started, 1)
        print(f"{args.notices} notices ({result['tokens']} tokens), {args.processes} processes built in "
              f"{result['build_s']} s ({backend})", flush=True)
        world = {"counties": counties, "cities": cities}
        result["notices_search"] = notice_section(world, args)
        for name, figures in result["notices_search"].items():
            print(f"  {name}: {figures}", flush=True)
        result["pages"] = page_section(app, args)
        print(f"  pages: {result['pages']}", flush=True)
    result["ocds_export"] = ocds_section(config, args.processes)
    print(f"  ocds export: {result['ocds_export']}", flush=True)
    result["peak_rss_mib_bench"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
