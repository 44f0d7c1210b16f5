"""The expert library: registration, review, status table, leave, credit rules, CSV import."""

from datetime import date, timedelta

import pytest
from tests_helpers import login

from core.db import db
from core.errors import DomainError
from registry.experts import importer, service
from registry.experts.demo import demo_id_number
from registry.experts.models import EXPERT_TRANSITIONS, CreditKind, CreditRule, Expert, ExpertStatus


def registration(**kw):
    base = dict(
        name="张工",
        id_number=demo_id_number(1, date(1975, 5, 5)),
        phone="13805770001",
        region_code="330329",
        employer_name="温州大学",
        specialty_codes=["B01", "C01"],
    )
    base.update(kw)
    return service.Registration(**base)


@pytest.fixture
def expert_user(make_user, specialties):
    return make_user("expert", totp=True)


@pytest.fixture
def reviewer(make_user, specialties):
    return make_user("finance_reviewer")


def test_id_number_check_digit_and_birth_date():
    good = demo_id_number(7, date(1980, 2, 29))
    assert service.birth_date_of(good) == date(1980, 2, 29)
    assert service.birth_date_of(good[:-1] + ("0" if good[-1] != "0" else "1")) is None
    assert service.birth_date_of("33032919801301007X") is None  # month 13


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"id_number": "330329197505050000"}, "id_number_invalid"),
        ({"phone": "12345"}, "phone_invalid"),
        ({"region_code": "999999"}, "region_invalid"),
        ({"specialty_codes": ["B"]}, "specialty_invalid"),  # not a leaf
        ({"specialty_codes": []}, "specialty_invalid"),
        ({"employer_name": " "}, "employer_required"),
    ],
)
def test_registration_is_validated(expert_user, change, code):
    with pytest.raises(DomainError) as exc:
        service.register_expert(expert_user, registration(**change))
    assert exc.value.code == code


def test_register_review_and_reapply(expert_user, reviewer, make_user):
    expert = service.register_expert(expert_user, registration())
    assert expert.status == ExpertStatus.PENDING and expert.specialty_codes == ["B01", "C01"]
    with pytest.raises(DomainError) as exc:
        service.admit_expert(make_user("agency_staff"), expert)
    assert exc.value.code == "not_reviewer"
    service.reject_expert(reviewer, expert, "职称证明不清晰")
    service.register_expert(expert_user, registration(title="高级工程师"))
    assert expert.status == ExpertStatus.PENDING
    service.admit_expert(reviewer, expert)
    assert expert.status == ExpertStatus.ACTIVE and expert.admitted_at is not None
    with pytest.raises(DomainError) as exc:
        service.register_expert(expert_user, registration())
    assert exc.value.code == "already_registered"


ALL = list(ExpertStatus)


@pytest.mark.parametrize("before", ALL)
@pytest.mark.parametrize("after", ALL)
def test_status_transition_table(expert_user, reviewer, before, after):
    expert = service.register_expert(expert_user, registration())
    expert.status, expert.admitted_at, expert.status_reason = before, expert.registered_at, "设定"
    db.session.flush()
    move = {
        ExpertStatus.ACTIVE: lambda: (
            service.admit_expert(reviewer, expert)
            if before == ExpertStatus.PENDING
            else service.reinstate_expert(reviewer, expert)
        ),
        ExpertStatus.REJECTED: lambda: service.reject_expert(reviewer, expert, "不符合条件"),
        ExpertStatus.SUSPENDED: lambda: service.suspend_expert(reviewer, expert, "调查中"),
        ExpertStatus.REMOVED: lambda: service.remove_expert(reviewer, expert, "违规"),
        ExpertStatus.PENDING: lambda: service.register_expert(expert_user, registration()),
    }[after]
    if (before, after) in EXPERT_TRANSITIONS or before == after == ExpertStatus.PENDING:  # editing is no move
        move()
        assert expert.status == after
    else:
        with pytest.raises(DomainError):
            move()


def test_leave_periods(expert_user, clock):
    expert = service.register_expert(expert_user, registration())
    today = date(2026, 11, 27)
    leave = service.add_leave(expert, today, today + timedelta(days=3), "出差")
    assert expert.is_on_leave(today + timedelta(days=2)) and not expert.is_on_leave(today + timedelta(days=4))
    with pytest.raises(DomainError):
        service.add_leave(expert, today, today - timedelta(days=1))
    with pytest.raises(DomainError):
        service.add_leave(expert, today - timedelta(days=10), today - timedelta(days=5))
    service.cancel_leave(expert, leave.id)
    db.session.expire(expert)
    assert expert.leaves == []


def test_credit_rule_suspends_and_region_rules_override(expert_user, reviewer, clock):
    expert = service.register_expert(expert_user, registration())
    service.admit_expert(reviewer, expert)
    default = service.credit_rule_for("330329")
    assert default.region_code is None and default.suspend_points == 12
    service.record_credit(expert, CreditKind.NO_SHOW)
    assert expert.status == ExpertStatus.ACTIVE
    assert service.credit_tier(service.credit_points(expert, clock.now()), default) == "C"
    service.record_credit(expert, CreditKind.NO_SHOW)
    assert expert.status == ExpertStatus.SUSPENDED and expert.suspended_until == date(2027, 5, 26)
    # Timed suspensions end by themselves (the sweep).
    assert service.end_due_suspensions(date(2027, 5, 27)) == 1 and expert.status == ExpertStatus.ACTIVE
    # The points leave the window after a year; a county rule can be stricter.
    clock.advance(timedelta(days=366))
    assert service.credit_points(expert, clock.now()) == 0
    db.session.add(
        CreditRule(
            region_code="330329",
            no_show_points=10,
            late_decline_points=5,
            misconduct_points=20,
            window_days=365,
            suspend_points=10,
            suspend_days=30,
            tier_b_points=1,
            tier_c_points=5,
        )
    )
    service.record_credit(expert, CreditKind.NO_SHOW)
    assert expert.status == ExpertStatus.SUSPENDED


HEADER = "姓名,身份证号码,联系电话,区划代码,工作单位,职称,评审专业\n"


def csv_rows(*rows):
    return (HEADER + "".join(",".join(r) + "\n" for r in rows)).encode()


def row(n, **kw):
    values = {
        "name": f"导入{n}",
        "id": demo_id_number(100 + n, date(1970, 1, 1)),
        "phone": f"1380000{n:04d}",
        "region": "330329",
        "employer": "温州大学",
        "title": "教授",
        "specialties": "B01;C01",
    }
    values.update(kw)
    return [values[k] for k in ("name", "id", "phone", "region", "employer", "title", "specialties")]


def test_import_all_or_nothing_with_a_report(reviewer):
    good = [row(i) for i in range(1, 4)]
    bad = csv_rows(
        *good,
        row(4, id="330329197001011230"),
        row(5, region="110000", phone="1"),
        row(6, id=good[0][1]),
        row(7, specialties="B01;Z99"),
        row(8, name=""),
    )
    report = importer.import_experts_csv(bad, reviewer)
    assert not report.ok and report.created == 0
    found = {(p.row, p.column) for p in report.problems}
    assert found == {
        (5, "身份证号码"),
        (6, "区划代码"),
        (6, "联系电话"),
        (7, "身份证号码"),
        (8, "评审专业"),
        (9, "姓名"),
    }
    assert "与第 2 行重复" in next(p.reason for p in report.problems if p.row == 7)
    assert db.session.query(Expert).count() == 0
    assert "行号,列,原因" in importer.report_csv(report)
    report = importer.import_experts_csv(csv_rows(*good), reviewer)
    assert report.ok and report.created == 3
    assert {e.status for e in db.session.query(Expert)} == {ExpertStatus.ACTIVE}
    again = importer.import_experts_csv(csv_rows(good[0]), reviewer)
    assert again.problems[0].reason == "该专家已在库中"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "文件为空"),
        ("姓名,未知列\n".encode(), "未知的列名"),
        (HEADER.replace(",评审专业", "").encode(), "缺少必填列"),
        (b"\xff\xfe\x00bad", "文件编码无法识别"),
    ],
)
def test_import_rejects_bad_files(reviewer, data, reason):
    report = importer.import_experts_csv(data, reviewer)
    assert any(reason in p.reason for p in report.problems)


def test_import_accepts_gbk_and_english_headers(reviewer):
    text = "name,id_number,phone,region_code,employer,specialties\n" + ",".join([*row(1)[:5], "B01"]) + "\n"
    report = importer.import_experts_csv(text.encode("gb18030"), reviewer)
    assert report.ok and report.created == 1


def test_pages_register_review_and_import(client, expert_user, reviewer, clock):
    login(client, expert_user)
    page = client.post(
        "/experts/register",
        data={
            "name": "李工",
            "id_number": demo_id_number(3, date(1972, 3, 3)),
            "phone": "13805770003",
            "region_code": "330329",
            "employer_name": "温州医科大学",
            "specialties": ["B03"],
        },
    )
    assert page.status_code == 302
    bad = client.post("/experts/register", data={"name": "李工", "id_number": "1"})
    assert bad.status_code in (409, 422) and "已入库" not in bad.get_data(as_text=True)
    assert client.get("/experts/").status_code == 403
    login(client, reviewer)
    listing = client.get("/experts/?status=pending").get_data(as_text=True)
    assert "李工" in listing
    expert = db.session.query(Expert).one()
    assert client.post(f"/experts/{expert.id}/review", data={"action": "admit"}).status_code == 302
    db.session.refresh(expert)
    assert expert.status == ExpertStatus.ACTIVE
    upload = client.post(
        "/experts/import",
        data={"file": (__import__("io").BytesIO(csv_rows(row(1, phone="x"))), "l.csv")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 422 and "import-report" in upload.get_data(as_text=True)


def test_import_xlsx_with_numbers_as_cells(reviewer):
    openpyxl = pytest.importorskip("openpyxl")
    import io

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["姓名", "身份证号码", "联系电话", "区划代码", "工作单位", "评审专业"])
    sheet.append(["表格一", demo_id_number(201, date(1970, 1, 1)), 13805770201, 330329, "温州大学", "B01"])
    sheet.append(["表格二", "123", 13805770202, 330329, "温州大学", "B01"])
    out = io.BytesIO()
    book.save(out)
    report = importer.import_experts_file(out.getvalue(), "library.xlsx", reviewer)
    assert [(p.row, p.column) for p in report.problems] == [(3, "身份证号码")]
    assert importer.import_experts_file(b"not a zip", "x.xlsx", reviewer).problems[0].reason.startswith("无法读取")


def test_an_imported_expert_claims_the_record_with_their_account(reviewer, expert_user):
    report = importer.import_experts_csv(csv_rows(row(1)), reviewer)
    assert report.ok
    imported = db.session.query(Expert).one()
    stranger = registration(name="别人", id_number=imported.id_number, phone=imported.phone)
    with pytest.raises(DomainError) as exc:
        service.register_expert(expert_user, stranger)
    assert exc.value.code == "id_number_taken"
    claimed = service.register_expert(
        expert_user, registration(name=imported.name, id_number=imported.id_number, phone=imported.phone)
    )
    assert claimed.id == imported.id and claimed.user_id == expert_user.id
    assert claimed.status == ExpertStatus.ACTIVE
