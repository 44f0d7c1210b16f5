"""Statistics: the report over the rollup always equals a from-scratch computation, and the figures are the
contracts' own (counted here again in Python from the rows); the page, its exports and the API agree."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from stats_helpers import Market
from tests_helpers import login


@pytest.fixture
def market(app_ctx, make_user, clock):
    return Market(make_user, clock)


def _cells(rows) -> dict:
    from portal.statistics import MEASURES

    out: dict = {}
    for row in rows:
        cell = out.setdefault((row["dimension"], row["key"], row["region_code"], row["month"]), [0] * len(MEASURES))
        for i, m in enumerate(MEASURES):
            cell[i] += int(row[m] or 0)
    return {k: v for k, v in out.items() if any(v)}


def _assert_equal_to_scratch() -> None:
    from evaluation.statistics import PROCUREMENT
    from portal import statistics

    assert _cells(statistics.cells(PROCUREMENT)) == _cells(statistics.compute(PROCUREMENT))


def _spread(market) -> list:
    """Contracts over two years, several methods, agencies and sizes, one of them signed on 31 January at
    23:30 Beijing time (15:30 UTC), which is January's, not February's."""
    at = datetime(2026, 1, 31, 15, 30, tzinfo=UTC)
    return [
        market.contract(amount_fen=90_000_00, budget_fen=100_000_00, signed_at=at, size="small"),
        market.contract(amount_fen=45_000_00, budget_fen=50_000_00, signed_at=at + timedelta(hours=9),
                        method="competitive_consultation", category="services", catalogue="C16", agency="central",
                        size="large"),
        market.contract(amount_fen=30_000_00, budget_fen=30_000_00, signed_at=datetime(2025, 6, 3, tzinfo=UTC),
                        method="inquiry", size="medium", agency="self"),
        market.contract(amount_fen=8_000_00, budget_fen=10_000_00, signed_at=datetime(2025, 6, 9, tzinfo=UTC),
                        size="micro"),
        market.contract(amount_fen=5_000_00, budget_fen=6_000_00, signed_at=datetime(2026, 3, 1, tzinfo=UTC),
                        size="unlisted"),
        market.contract(amount_fen=77_000_00, budget_fen=80_000_00, signed_at=None),  # not signed: not counted
    ]


def test_rollup_equals_scratch_through_every_change(market, clock):
    from sqlalchemy import func, select

    from contracts.models import Contract
    from core import chronograph
    from core.db import db
    from portal import statistics
    from portal.models import StatRollup, StatStale
    from registry.suppliers.models import SizeClass, Supplier

    contracts = _spread(market)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(StatStale)) >= 4  # months listed as changed
    assert db.session.scalar(select(func.count()).select_from(StatRollup)) == 0
    _assert_equal_to_scratch()  # read live

    report = chronograph.run_sweep("portal-statistics")
    assert report["refreshed"] >= 4
    assert db.session.scalar(select(func.count()).select_from(StatStale)) == 0
    assert db.session.scalar(select(func.count()).select_from(StatRollup)) > 0
    _assert_equal_to_scratch()  # read from the rollup

    # the draft is signed in February, an amount is corrected, a supplier's size changes, a contract goes
    notice_id = market.notice.id
    draft = db.session.get(Contract, contracts[-1].id)
    draft.status, draft.signed_at = draft.status.SIGNED, datetime(2026, 2, 10, tzinfo=UTC)
    draft.notice_id = notice_id
    db.session.get(Contract, contracts[0].id).amount_fen = 85_000_00
    db.session.scalar(select(Supplier).where(Supplier.org_id == market.suppliers["large"].id)).size_class = \
        SizeClass.MEDIUM
    db.session.commit()
    _assert_equal_to_scratch()
    moved = db.session.get(Contract, contracts[2].id)
    moved.signed_at = datetime(2025, 7, 1, tzinfo=UTC)  # re-dated: June and July both change
    db.session.commit()
    assert {"2025-06", "2025-07"} <= statistics.stale_months(statistics.get_source("procurement"))
    _assert_equal_to_scratch()
    chronograph.run_sweep("portal-statistics")
    _assert_equal_to_scratch()
    db.session.execute(StatRollup.__table__.delete())  # a rebuild from nothing gives the same
    statistics.rebuild()
    db.session.commit()
    _assert_equal_to_scratch()


def test_figures_are_the_contracts_own(market, region, app):
    from evaluation.statistics import PROCUREMENT
    from portal import statistics

    _spread(market)
    statistics.rebuild()
    from core.db import db

    db.session.commit()
    with app.test_request_context():
        _check_figures(statistics.report(PROCUREMENT, "330000"), statistics.report(PROCUREMENT, "330329", 2025))


def _check_figures(report, year) -> None:
    total = report.total
    signed = [(90_000_00, 100_000_00, "small"), (45_000_00, 50_000_00, "large"), (30_000_00, 30_000_00, "medium"),
              (8_000_00, 10_000_00, "micro"), (5_000_00, 6_000_00, "unlisted")]
    assert total.n == 5 and total.amount_fen == sum(a for a, _, _ in signed)
    assert total.budget_fen == sum(b for _, b, _ in signed)
    assert total.savings_rate == pytest.approx((196_000_00 - 178_000_00) / 196_000_00)
    sme = [a for a, _, s in signed if s != "large"]
    assert total.sme_amount_fen == sum(sme) and total.sme_n == 4
    assert total.sme_share == pytest.approx(sum(sme) / 178_000_00)
    assert total.small_micro_amount_fen == 98_000_00  # the unlisted SME has no size class: not small or micro
    months = {f.key: f.n for f in report.table("month").rows}
    assert months == {"2025-06": 2, "2026-01": 1, "2026-02": 1, "2026-03": 1}  # 23:30 on 31 Jan is January's
    assert {f.key: f.n for f in report.table("year").rows} == {"2025": 2, "2026": 3}
    methods = {f.key: (f.label, f.n) for f in report.table("method").rows}
    assert methods["public_tender"] == ("公开招标", 3) and methods["inquiry"][1] == 1
    forms = {f.key: f.amount_fen for f in report.table("org_form").rows}
    assert forms == {"agency": 103_000_00, "central": 45_000_00, "self": 30_000_00}
    assert {f.key: f.n for f in report.table("category").rows} == {"goods": 4, "services": 1}
    assert {f.key: f.n for f in report.table("catalogue").rows} == {"A02": 4, "C16": 1}
    regions = report.table("region").rows
    assert [(f.key, f.label, f.n) for f in regions] == [("330300", "温州市", 5)]

    assert year.total.n == 2 and year.total.amount_fen == 38_000_00 and year.years == [2026, 2025]
    assert year.total.small_micro_share == pytest.approx(8_000_00 / 38_000_00)


def test_page_exports_and_api(market, client, make_user, clock, app):
    from openpyxl import load_workbook

    from core.db import db
    from portal import statistics

    _spread(market)
    db.session.commit()
    supervisor = make_user("supervisor")
    login(client, supervisor)
    page = client.get("/statistics")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-figure="n">5<' in html and "by-chart" in html
    assert "绿色（节能环保）" in html and "进口产品" in html  # said missing, not invented
    assert "<script>" not in html and "/vendor/echarts/echarts.esm.min.js" in html
    for path in ("/vendor/echarts/echarts.esm.min.js", "/static/js/portal/statistics.js"):
        with client.get(path) as served:
            assert served.status_code == 200 and served.mimetype == "text/javascript"

    data = client.get("/statistics/procurement/method.csv?year=2026")
    assert data.status_code == 200 and data.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(data.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["采购方式", "数量", "合同金额（元）"]
    assert sorted((r[0], r[1], r[2]) for r in rows[1:]) == [("公开招标", "2", "95000.00"),
                                                            ("竞争性磋商", "1", "45000.00")]
    book = load_workbook(io.BytesIO(client.get("/statistics/procurement/all.xlsx").data))
    assert "按月份" in book.sheetnames and "按采购方式" in book.sheetnames
    sheet = book["按年度"]
    assert [c.value for c in sheet[3]][:3] == ["2025 年", 2, 38000.0]

    api = client.get("/api/v1/statistics/procurement?region=330329").get_json()
    assert api["total"]["n"] == 5 and api["total"]["amount_fen"] == 178_000_00
    with app.test_request_context():
        report = statistics.report(statistics.get_source("procurement"), "330329")
    assert api["total"]["sme_share"] == pytest.approx(report.total.sme_share)
    assert {t["name"] for t in api["tables"]} >= {"month", "year", "method", "category", "catalogue", "org_form",
                                                   "region"}
    assert client.get("/api/v1/statistics").get_json()["sources"][0]["name"] == "procurement"
    assert client.get("/api/v1/statistics/procurement?year=abc").status_code == 422
    assert client.get("/api/v1/statistics/nothing").status_code == 404


def test_only_finance_of_the_region_reads(market, client, make_user):
    from accounts.models import Region, RegionLevel
    from core.db import db

    db.session.add(Region(code="330100", name="杭州市", level=RegionLevel.CITY, parent_code="330000"))
    db.session.commit()
    login(client, make_user("supplier", org_kind="supplier", totp=False))
    assert client.get("/statistics").status_code == 403
    assert client.get("/api/v1/statistics/procurement").status_code == 403
    client.post("/logout")
    login(client, make_user("supervisor"))  # the county's
    assert client.get("/statistics?region=330000").status_code == 403
    assert client.get("/api/v1/statistics/procurement?region=330100").status_code == 403
    assert client.get("/statistics?region=330329").status_code == 200
