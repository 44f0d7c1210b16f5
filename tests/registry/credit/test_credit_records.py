"""Credit: importing the lists (all rows or none, a row/column/reason report), matching by USCC and by name,
the score model and its cards, the supplier's answer, the supervisor's sanction ladder with repeat
escalation, and a timed sanction lifting itself when the frozen clock moves past its end."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from tests_helpers import login

from accounts.demo import demo_uscc
from core.db import db
from core.errors import DomainError

HEADER = "记录类别,名称,统一社会信用代码,地址,案件,处罚依据,处罚结果,记录日期,发生地,处罚截止日期,来源\n"
PDF = b"%PDF-1.4\n% statement evidence\n"


def csv_of(*rows: str) -> bytes:
    return (HEADER + "".join(r + "\n" for r in rows)).encode()


def row(kind="政府采购严重违法失信行为", name="测试单位1", uscc=None, record_date="2026-06-01", end="2028-05-31",
        case="提供虚假材料谋取中标", result="禁止参加政府采购活动二年"):
    uscc = demo_uscc(91) if uscc is None else uscc
    return (f"{kind},{name},{uscc},泰顺县罗阳镇,{case},政府采购法第七十七条,{result},{record_date},泰顺县,{end},"
            "中国政府采购网")


@pytest.fixture
def finance(make_user):
    return make_user("finance_reviewer")


@pytest.fixture
def supplier(make_user):
    user = make_user("supplier", org_kind="supplier")
    user.org.uscc = demo_uscc(91)
    db.session.commit()
    return user


def counts():
    from registry.credit.models import CreditImport, CreditRecord, Sanction, WarningCard

    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in
                 (CreditImport, CreditRecord, WarningCard, Sanction))


def test_a_good_file_is_imported_matched_by_uscc_and_by_name_and_cards_are_issued(finance, supplier, make_user,
                                                                                    clock):
    from registry.credit import importer, service
    from registry.credit.models import CreditRecord, MatchKind

    other = make_user("supplier", org_kind="supplier")  # named by another record, with no code of its own
    data = csv_of(row(), row(kind="失信被执行人", name=other.org.name, uscc="", end="", record_date="2026/3/5",
                             result="列入失信被执行人名单"))
    report = importer.import_records_file(data, "list.csv", finance)
    assert report.ok and (report.created, report.matched) == (2, 1)
    db.session.commit()
    strong, named = db.session.scalars(select(CreditRecord).order_by(CreditRecord.id)).all()
    assert (strong.org_id, strong.match, strong.valid_until) == (supplier.org_id, MatchKind.USCC, date(2028, 5, 31))
    assert (named.org_id, named.match) == (other.org_id, MatchKind.NAME)
    assert named.valid_until == date(2028, 3, 5)  # no end: the list's two years (region rule)
    found = service.assess_org(supplier.org)
    assert found.barred and found.score == 50 and found.record_ids == [strong.id]
    assert not service.assess_org(other.org).barred  # a name alone warns, it never bars
    (card,) = service.cards_of_org(supplier.org_id)
    assert card.rule == "credit.bars" and card.record_ids == [strong.id] and card.stage == "import"
    assert card.inputs["deductions"] == [{"record": strong.id, "kind": "procurement_violation", "points": 50,
                                          "party": supplier.org.name}]
    assert card.proposed_level.value == "banned" and card.threshold["ban"] == 60
    (weak,) = service.cards_of_org(other.org_id)
    assert weak.rule == "credit.name_match" and weak.proposed_level.value == "warning"
    again = importer.import_records_file(data, "list.csv", finance)  # the same list again: skipped, no new card
    assert again.ok and (again.created, again.skipped) == (0, 2)
    assert len(service.cards_of_org(supplier.org_id)) == 1


@pytest.mark.parametrize(("bad_row", "column", "reason"), [
    (row(record_date="2026-02-30"), "记录日期", "日期无效"),
    (row(record_date="去年"), "记录日期", "日期无效"),
    (row(uscc="91330329MA2ABCDE1X"), "统一社会信用代码", "统一社会信用代码无效"),
    (row(uscc="123"), "统一社会信用代码", "统一社会信用代码无效"),
    (row(kind="行政处罚"), "记录类别", "记录类别应为"),
    (row(end="2025-01-01"), "处罚截止日期", "早于记录日期"),
    (row(result=""), "处罚结果", "必填项为空"),
])
def test_a_bad_row_stores_nothing_and_the_report_names_row_column_reason(finance, supplier, bad_row, column,
                                                                         reason):
    from registry.credit import importer

    before = counts()
    report = importer.import_records_file(csv_of(row(name="其他单位", uscc=demo_uscc(92)), bad_row), "x.csv", finance)
    db.session.rollback()
    assert not report.ok and counts() == before
    (problem,) = report.problems
    assert (problem.row, problem.column) == (3, column) and reason in problem.reason


def test_import_page_and_api_refuse_a_bad_file_with_the_report(client, finance, supplier, clock):
    from accounts.service import create_api_token

    token = create_api_token(finance, "credit").secret
    db.session.commit()
    before = counts()
    bad = csv_of(row(record_date="2026-13-01"))
    response = client.post("/api/v1/credit/imports", headers={"Authorization": f"Bearer {token}"},
                           data={"file": (io.BytesIO(bad), "list.csv")}, content_type="multipart/form-data")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "credit_import_invalid"
    assert error["details"]["problems"] == [{"row": 2, "column": "记录日期",
                                             "reason": "日期无效，应为 2026-01-05 的格式"}]
    assert login(client, finance).status_code == 302
    page = client.post("/credit/import", data={"file": (io.BytesIO(bad), "list.csv")},
                       content_type="multipart/form-data")
    assert page.status_code == 422 and "日期无效" in page.get_data(as_text=True)
    assert counts() == before
    good = client.post("/api/v1/credit/imports", headers={"Authorization": f"Bearer {token}"},
                       data={"file": (io.BytesIO(csv_of(row())), "list.csv")}, content_type="multipart/form-data")
    assert good.status_code == 201 and good.get_json()["matched"] == 1


def test_xlsx_import_reads_dates_and_codes(finance, supplier):
    openpyxl = pytest.importorskip("openpyxl")
    from datetime import datetime

    from registry.credit import importer
    from registry.credit.models import CreditRecord

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(importer.COLUMNS.values()))
    sheet.append(["重大税收违法失信主体", "测试单位1", demo_uscc(91), "", "偷税", "税收征收管理法", "罚款",
                  datetime(2026, 4, 1), "泰顺县", None, "信用中国"])
    out = io.BytesIO()
    book.save(out)
    report = importer.import_records_file(out.getvalue(), "list.xlsx", finance)
    assert report.ok, report.problems
    (stored,) = db.session.scalars(select(CreditRecord)).all()
    assert stored.record_date == date(2026, 4, 1) and stored.valid_until == date(2029, 4, 1)


def _imported(finance, *rows):
    from registry.credit import importer

    report = importer.import_records_file(csv_of(*rows), "list.csv", finance)
    assert report.ok, report.problems
    db.session.commit()


def test_supplier_answers_its_card_then_the_supervisor_sanctions_with_a_reason(finance, supplier, make_user, clock,
                                                                               client):
    from registry.credit import service
    from registry.credit.models import CardStatus, SanctionStatus

    _imported(finance, row(kind="失信被执行人", end="2027-06-01", result="列入失信被执行人名单"))
    (card,) = service.cards_of_org(supplier.org_id)
    supervisor = make_user("supervisor")
    with pytest.raises(DomainError) as early:  # before the supplier's period to answer is over
        service.apply_sanction(supervisor, card.id, "失信被执行人")
    assert early.value.code == "credit_response_pending"
    db.session.rollback()
    assert login(client, supplier).status_code == 302
    page = client.get(f"/credit/cards/{card.id}").get_data(as_text=True)
    assert "作出书面陈述" in page and "列入失信被执行人名单" in page
    client.post(f"/credit/cards/{card.id}/answer", data={"statement": "案款已于 2026 年 7 月履行完毕，法院已屏蔽。",
                                                         "evidence": (io.BytesIO(PDF), "结案通知书.pdf")},
                content_type="multipart/form-data")
    card = service.get_card(card.id)
    assert card.status is CardStatus.ANSWERED and [e.name for e in card.evidence] == ["结案通知书.pdf"]
    before = counts()
    for reason in ("", "   "):  # a sanction without a reason: refused, nothing stored
        with pytest.raises(DomainError) as refused:
            service.apply_sanction(supervisor, card.id, reason)
        assert refused.value.code == "credit_sanction_reason_required"
        db.session.rollback()
    assert counts() == before and service.get_card(card.id).status is CardStatus.ANSWERED
    with pytest.raises(DomainError) as not_theirs:
        service.apply_sanction(make_user("agency_staff"), card.id, "理由")
    assert not_theirs.value.code == "credit_not_supervisor"
    db.session.rollback()
    sanction = service.apply_sanction(supervisor, card.id, "经核实，陈述不能成立")
    db.session.commit()
    # the card's proposal: a listed supplier is banned (12 months, the region's base)
    assert (sanction.level.value, sanction.months, sanction.status) == ("banned", 12, SanctionStatus.ACTIVE)
    assert service.get_card(card.id).status is CardStatus.SANCTIONED


def test_a_repeat_offence_escalates_and_a_timed_sanction_lifts_itself(finance, supplier, make_user, clock):
    from audit.models import AuditEvent
    from core import chronograph
    from registry.credit import service
    from registry.credit.models import SanctionStatus

    _imported(finance, row(kind="重大税收违法失信主体", end="2027-06-01", result="罚款"))
    supervisor = make_user("supervisor")
    (card,) = service.cards_of_org(supplier.org_id)
    clock.advance(timedelta(days=10))  # the answer period passed without a statement
    first = service.apply_sanction(supervisor, card.id, "未作陈述", "restricted")
    db.session.commit()
    assert (first.months, first.repeat) == (3, False)
    _imported(finance, row(kind="失信被执行人", end="2027-06-01", result="列入失信被执行人名单",
                           record_date="2026-11-30"))
    second_card = max(service.cards_of_org(supplier.org_id), key=lambda c: c.id)
    assert second_card.proposed_level.value == "banned"  # a repeat within 180 days climbs the ladder
    clock.advance(timedelta(days=10))
    second = service.apply_sanction(supervisor, second_card.id, "再次失信", "restricted")
    db.session.commit()
    assert (second.level.value, second.repeat, second.previous_id) == ("banned", True, first.id)
    assert second.months == 12  # the ban's base (12 months) is longer than twice the three months
    assert service.assess_org(supplier.org).barred
    ends = first.ends_at
    clock.set(ends - timedelta(minutes=1))
    chronograph.run_all()
    assert service.get_sanction(first.id).status is SanctionStatus.ACTIVE
    clock.set(ends + timedelta(minutes=1))
    report = chronograph.run_all()
    assert report["credit-sweep"] == {"lifted": [first.id]}
    lifted = service.get_sanction(first.id)
    assert lifted.status is SanctionStatus.LIFTED and lifted.ended_at is not None
    moves = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "registry.credit_sanction_status")).all()
    assert [m.actor for m in moves] == ["system:credit-sweep"]
    assert service.get_sanction(second.id).status is SanctionStatus.ACTIVE
    clock.set(second.ends_at + timedelta(minutes=1))
    chronograph.run_all()
    assert service.get_sanction(second.id).status is SanctionStatus.LIFTED


def test_the_score_model_is_a_region_rule(finance, supplier):
    from registry.credit import service
    from tender.rules import set_rule

    _imported(finance, row(kind="失信被执行人", end="2027-06-01", result="列入失信被执行人名单"))
    assert service.assess_org(supplier.org).score == 80 and service.assess_org(supplier.org).level.value == "warning"
    set_rule("330329", "credit.deduct.dishonest_debtor", 45)
    set_rule("330329", "credit.bars.dishonest_debtor", False)
    db.session.commit()
    found = service.assess_org(supplier.org)
    assert (found.score, found.level.value, found.barred) == (55, "banned", False)


def test_the_api_shows_a_supplier_its_own_credit_and_the_supervisor_decides_there(finance, supplier, make_user,
                                                                                   client, clock):
    from accounts.service import create_api_token
    from registry.credit import service
    from registry.credit.models import CardStatus

    _imported(finance, row(kind="失信被执行人", end="2027-06-01", result="列入失信被执行人名单"))
    supervisor = make_user("supervisor")
    other = make_user("supplier", org_kind="supplier")
    tokens = {u: create_api_token(u, "credit").secret for u in (supplier, supervisor, other)}
    db.session.commit()

    def call(user, method, url, **kw):
        return client.open(url, method=method, headers={"Authorization": f"Bearer {tokens[user]}"}, **kw)

    mine = call(supplier, "GET", f"/api/v1/credit/orgs/{supplier.org_id}")
    assert mine.status_code == 200 and mine.get_json()["barred"] and mine.get_json()["assessment"]["score"] == 80
    (card,) = mine.get_json()["cards"]
    assert call(other, "GET", f"/api/v1/credit/orgs/{supplier.org_id}").get_json()["error"]["code"] == \
        "credit_org_forbidden"
    assert call(other, "GET", f"/api/v1/credit/cards/{card['id']}").status_code == 403
    assert call(other, "GET", "/api/v1/credit/cards").get_json() == []
    answered = call(supplier, "POST", f"/api/v1/credit/cards/{card['id']}/answer", data={"statement": "已履行完毕"})
    assert answered.status_code == 200 and answered.get_json()["status"] == "answered"
    empty = call(supervisor, "POST", f"/api/v1/credit/cards/{card['id']}/sanction", json={"reason": " "})
    assert empty.status_code == 422 and empty.get_json()["error"]["code"] == "credit_sanction_reason_required"
    assert call(supplier, "POST", f"/api/v1/credit/cards/{card['id']}/dismiss", json={"reason": "x"}).get_json()[
        "error"]["code"] == "credit_not_supervisor"
    dismissed = call(supervisor, "POST", f"/api/v1/credit/cards/{card['id']}/dismiss",
                     json={"reason": "法院已出具结案证明，不予惩戒"})
    assert dismissed.status_code == 200 and dismissed.get_json()["decision_note"] == "法院已出具结案证明，不予惩戒"
    assert service.get_card(card["id"]).status is CardStatus.DISMISSED
    again = call(supervisor, "POST", f"/api/v1/credit/cards/{card['id']}/sanction", json={"reason": "再议"})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "credit_card_transition_refused"


def test_the_supplier_is_told_of_its_card_and_of_the_sanction_after_the_commit(finance, supplier, make_user, clock,
                                                                               monkeypatch):
    from core import tasks
    from core.after_commit import run_followups
    from registry.credit import service

    sent: list[tuple[str, list[int], str]] = []
    monkeypatch.setattr(tasks, "emit_message",
                        lambda m, users, orgs, **_: sent.append((m["title"], sorted(orgs), m["url"])))
    _imported(finance, row(kind="失信被执行人", end="2027-06-01", result="列入失信被执行人名单"))
    run_followups()  # what the request or the task runs after its commit
    (card,) = service.cards_of_org(supplier.org_id)
    assert sent == [("诚信警示卡", [supplier.org_id], f"/credit/cards/{card.id}")]
    clock.advance(timedelta(days=10))
    service.apply_sanction(make_user("supervisor"), card.id, "未作陈述")
    run_followups()
    assert len(sent) == 1  # not before the commit
    db.session.commit()
    run_followups()
    assert sent[-1][:2] == ("信用惩戒决定", [supplier.org_id])
