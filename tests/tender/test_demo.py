"""The demo seed: a tender in each stage, with real sealed bids and an opening record."""

from __future__ import annotations


def test_demo_seed_has_a_tender_in_each_stage(app, app_ctx, clock, tmp_path, monkeypatch):
    from core.db import db
    from core.demo import SEEDERS
    from tender.models import Bid, OpeningRecord, Project

    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    app.config["TIME_VAULT_KEY_PATH"] = str(tmp_path / "vault.pem")
    try:
        names = [n for n, _ in SEEDERS]
        assert names.index("accounts") < names.index("tender")
        # Only the seeders tender builds on, and tender's own: later ones (evaluation) move projects on.
        context: dict = {"logins": []}
        for _name, fn in SEEDERS[:names.index("tender") + 1]:
            fn(context)
        db.session.commit()
    finally:
        app.config["TIME_VAULT_KEY_PATH"] = None
    by_status = {}
    for project in Project.query.all():
        by_status.setdefault(project.status.value, []).append(project)
    assert set(by_status) == {"draft", "bidding", "opened"}
    assert len(by_status["bidding"]) == 3
    soon = min(by_status["bidding"], key=lambda p: p.deadline)
    assert (soon.deadline - clock.now()).total_seconds() == 30 * 60
    # one tender has the public time-lock custodian (the local beacon in the demo)
    locked = [p for p in by_status["bidding"] if any(c.is_tlock for c in p.custodians)]
    assert len(locked) == 1 and "tlock" in locked[0].lots[0].policy["custodians"][1]
    assert Bid.query.filter_by(status="submitted").count() == 9
    assert [r.price_fen for r in OpeningRecord.query.order_by(OpeningRecord.price_fen)] == [
        768_000_00, 779_500_00, 785_300_00, 791_000_00]
    misplaced = OpeningRecord.query.filter_by(price_fen=779_500_00).one()  # gys2's NVR unit price: Art 59
    assert [i["unit_price_fen"] for i in misplaced.price_detail["items"]] == [5_000_00, 4_487_50]
    assert (tmp_path / "demo-keys" / "gys1.key").exists() and (tmp_path / "demo-keys" / "caijian.key").exists()


def test_the_demo_tenders_pass_the_legal_period_on_every_day_of_the_year(app_ctx, clock):
    """The seed runs whenever a newcomer runs `make run`: a deadline on a Sunday or just after a holiday
    once refused the demo's own projects (documents issued 21 days before leave the 20th day on a
    Saturday, which moves to Monday), and a December seed's tenders ending in a year the calendar lacks
    were refused until a clerk confirms the year. Every day of 2026 (the calendar's last year), at two
    hours of the day."""
    from datetime import datetime, timedelta
    from types import SimpleNamespace

    from core import clock as core_clock
    from tender.demo import legal_start, project_data
    from tender.service import check_timeline
    from tender.transitions import Method

    def refused(data: dict, at) -> dict:
        p = SimpleNamespace(region_code=None, method=Method.PUBLIC_TENDER, **{
            k: core_clock.parse_iso_utc(data[k]) for k in ("notice_at", "doc_start_at", "doc_end_at",
                                                          "clarify_deadline", "deadline")})
        errors: dict = {}
        check_timeline(errors, p, at, data.get("confirm_uncovered_year"))
        return errors

    purchaser = SimpleNamespace(id=1)
    first = datetime(2026, 1, 26, 2, 0, tzinfo=core_clock.UTC)
    for n in range(340):
        for hour in (0, 17):  # 08:00 and 01:00 the next day in Beijing
            day = first + timedelta(days=n, hours=hour)
            start = legal_start(day)
            fixed = project_data("t", purchaser, start, lots=[("a", 1, 1)], custodians=[], k=1, deadline=day)
            assert refused(fixed, start) == {}, (day, fixed)
            assert start <= day - timedelta(days=21)
            free = project_data("t", purchaser, day, lots=[("a", 1, 1)], custodians=[], k=1)
            assert refused(free, day) == {}, (day, free)
