"""The catalogue: code shapes, the all-or-nothing import with its report, versions, the tree, central marks."""

import io

import pytest

from registry.catalogue import codes
from registry.catalogue.importer import EXTRACT

HEADER = "品目编码,品目名称\n"


def _csv(rows: str) -> bytes:
    return (HEADER + rows).encode()


@pytest.mark.parametrize(("raw", "normal", "valid"), [
    ("A02010104", "A02010104", True),
    ("A02010000", "A0201", True),        # padded nine characters
    ("a02000000", "A02", True),
    (" A0201 0601 0", "A020106010", False),  # spaces removed; an odd number of digits
    ("A0201060101", "A0201060101", True),  # a fifth level
    ("D0201", "D0201", False),
    ("A0001", "A0001", False),            # a level numbered 00
    ("A", "A", False),
])
def test_code_shapes(raw, normal, valid):
    assert codes.normalise(raw) == normal
    assert codes.is_valid(normal) is valid


def test_parent_and_level():
    assert codes.parent_of("A02010104") == "A020101"
    assert codes.parent_of("A02") is None
    assert codes.level_of("A02010104") == 4
    assert codes.padded("A0201") == "A02010000"


def test_the_shipped_extract_imports_whole(app_ctx, region):
    from core.db import db
    from registry.catalogue import service
    from registry.catalogue.demo import import_extract

    version = import_extract()
    db.session.commit()
    assert version.is_active and version.rows == 48
    desktop = service.get_item("A02010105")
    assert desktop.name == "台式计算机" and desktop.is_leaf and desktop.level == 4
    assert [i.name for i in service.lineage(desktop)] == ["设备", "信息化设备", "计算机", "台式计算机"]
    assert [i.code for i in service.children("A020101")] == ["A02010104", "A02010105", "A02010108"]
    assert {i.code[0] for i in service.children(None)} == {"A", "B"}
    assert service.get_item("A02010000").code == "A0201"  # the padded form finds the same item
    assert not service.get_item("A0201").is_leaf


def test_broken_tree_duplicates_and_bad_shapes_store_nothing(app_ctx, region):
    from sqlalchemy import func, select

    from core.db import db
    from registry.catalogue import importer
    from registry.catalogue.models import CatalogueItem, CatalogueVersion

    data = _csv("A02,设备\nA0201,信息化设备\nA020101,计算机\nA02010105,台式计算机\n"
                "A02010105,台式机重复\n"       # line 6: duplicate
                "A02030501,轿车\n"             # line 7: parent A020305 missing
                "X0101,不明\n"                 # line 8: bad shape
                "A0202,\n")                    # line 9: no name
    report = importer.import_catalogue(None, data, "bad.csv", "坏文件")
    assert not report.ok
    found = {(p.row, p.column): p.reason for p in report.problems}
    assert "与第 5 行重复" in found[(6, "品目编码")]
    assert "上级编码 A020305 不在文件中" in found[(7, "品目编码")]
    assert "格式不正确" in found[(8, "品目编码")]
    assert found[(9, "品目名称")] == "必填项为空"
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(CatalogueVersion)) == 0
    assert db.session.scalar(select(func.count()).select_from(CatalogueItem)) == 0


def test_header_problems_and_padded_file(app_ctx, region):
    from registry.catalogue import importer, service

    report = importer.import_catalogue(None, "编号,名称\nA02,设备\n".encode(), "x.csv", "")
    assert [(p.row, p.column, p.reason) for p in report.problems] == [
        (1, "编号", "未知的列名"), (1, "品目编码", "缺少必填列")]
    report = importer.import_catalogue(None, "序号,编码,名称,备注\n1,A02,设备,\n".encode(), "aliases.csv", "")
    assert report.ok and report.rows == 1
    padded = "code,name,note\nA,货物,\nA02000000,设备,\nA02010000,信息化设备,\nA02010100,计算机,\nA02010104,服务器,\n"
    report = importer.import_catalogue(None, padded.encode("gb18030"), "padded.csv", "九位")
    assert report.ok and report.rows == 4 and report.leaves == 1
    service.activate_version(None, service.get_version(report.version_id))
    assert service.require_leaf("A02010104").name == "服务器"


def test_xlsx_import(app_ctx, region):
    from openpyxl import Workbook

    from registry.catalogue import importer

    book = Workbook()
    sheet = book.active
    for row in (["品目编码", "品目名称", "说明"], ["B01", "房屋施工", ""], ["B0101", "办公用房施工", "含装修"]):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    report = importer.import_catalogue(None, out.getvalue(), "works.xlsx", "")
    assert report.ok and report.rows == 2 and report.leaves == 1


def test_versions_activate_one_at_a_time(app_ctx, region):
    from registry.catalogue import importer, service
    from registry.catalogue.demo import import_extract

    first = import_extract("旧版")
    second_report = importer.import_catalogue(None, _csv("A02,设备\nA0201,信息化设备\n"), "new.csv", "新版")
    second = service.get_version(second_report.version_id)
    assert service.active_version().id == first.id  # importing does not activate
    service.activate_version(None, second)
    assert service.active_version().id == second.id and not first.is_active
    assert service.get_item("A02010105") is None and service.get_item("A02010105", first).name == "台式计算机"


def test_require_leaf_names_the_problem(app_ctx, region):
    from core.errors import Conflict, ValidationError
    from registry.catalogue import service
    from registry.catalogue.demo import import_extract

    with pytest.raises(Conflict) as exc:
        service.require_leaf("A02010105")
    assert exc.value.code == "catalogue_not_active"
    import_extract()
    with pytest.raises(ValidationError) as exc:
        service.require_leaf("A020101")
    assert exc.value.code == "catalogue_not_leaf" and exc.value.details["field"] == "catalogue_code"
    with pytest.raises(ValidationError) as exc:
        service.require_leaf("A02019999")
    assert exc.value.code == "catalogue_code_unknown"


def test_central_marks_are_inherited_and_checked(app_ctx, make_user):
    from core.errors import Forbidden, ValidationError
    from registry.catalogue import service
    from registry.catalogue.demo import import_extract

    import_extract()
    finance = make_user("finance_reviewer")  # of the county
    with pytest.raises(Forbidden):
        service.set_central(finance, "330000", ["A02010105"], True)  # not the province's finance
    service.set_central(None, "330000", ["A02010105"], True)
    service.set_central(finance, "330329", ["A05010301"], True)
    assert service.central_codes("330329") == {"A02010105": "330000", "A05010301": "330329"}
    assert service.is_central("330329", "A02010105") and not service.is_central("330300", "A05010301")
    with pytest.raises(ValidationError) as exc:
        service.set_central(finance, "330329", ["A05010301", "A0501"], True)  # not a leaf: nothing changes
    assert exc.value.code == "catalogue_not_leaf"
    assert service.set_central(finance, "330329", ["A05010301"], False) == ["A05010301"]
    assert service.central_codes("330329") == {"A02010105": "330000"}


def test_the_extract_file_is_real_csv():
    text = EXTRACT.read_text(encoding="utf-8")
    assert text.startswith("品目编码,品目名称,说明\n")
    assert all(codes.is_valid(line.split(",")[0]) for line in text.splitlines()[1:])


# ---------------------------------------------------------------- pages and API


def test_import_page_refuses_a_bad_file_with_its_report(login_as, client):
    login_as("admin", totp=True)
    data = {"file": (io.BytesIO(_csv("A02,设备\nA02010105,台式计算机\n")), "bad.csv"), "label": "x"}
    response = client.post("/catalogue/import", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "上级编码 A020101 不在文件中" in response.get_data(as_text=True)


def test_import_and_activate_through_the_api(login_as, client):
    login_as("admin", totp=True)
    response = client.post("/api/v1/catalogue/versions", data={
        "file": (io.BytesIO(EXTRACT.read_bytes()), EXTRACT.name), "label": "2022"},
        content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    version_id = response.get_json()["version_id"]
    assert client.post(f"/api/v1/catalogue/versions/{version_id}/activate").get_json()["active"] is True
    items = client.get("/api/v1/catalogue/items?parent=A020101").get_json()
    assert [i["name"] for i in items] == ["服务器", "台式计算机", "便携式计算机"]
    item = client.get("/api/v1/catalogue/items/A02010000").get_json()
    assert item["code"] == "A0201" and not item["leaf"]
    bad = client.post("/api/v1/catalogue/versions", data={
        "file": (io.BytesIO(_csv("A02,设备\nA02,重复\n")), "dup.csv")}, content_type="multipart/form-data")
    assert bad.status_code == 422
    error = bad.get_json()["error"]
    assert error["code"] == "catalogue_file_invalid" and error["details"]["problems"][0]["row"] == 3
    assert client.get("/catalogue/?parent=A020101").status_code == 200


def test_only_the_administrator_imports(login_as, client):
    login_as("supplier")
    response = client.post("/api/v1/catalogue/versions", data={
        "file": (io.BytesIO(EXTRACT.read_bytes()), EXTRACT.name)}, content_type="multipart/form-data")
    assert response.status_code == 403
    assert client.get("/catalogue/").status_code == 200


def test_the_import_command(app, app_ctx, region, tmp_path):
    from registry.catalogue import service

    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "A02,设备\nA02010105,台式计算机\n", encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["catalogue", "import", str(bad)])
    assert result.exit_code != 0 and "上级编码 A020101 不在文件中" in result.output
    assert service.list_versions() == []
    result = runner.invoke(args=["catalogue", "import", str(EXTRACT), "--label", "2022", "--activate"])
    assert result.exit_code == 0, result.output
    assert service.active_version().label == "2022" and service.active_version().rows == 48


def test_an_unreadable_file_is_refused_whole(app_ctx, region):
    from registry.catalogue import importer

    report = importer.import_catalogue(None, b"\xff\xfe\x00garbage\x81", "x.csv", "")
    assert not report.ok and "文件编码无法识别" in report.problems[0].reason
    report = importer.import_catalogue(None, b"not a workbook", "x.xlsx", "")
    assert not report.ok and "无法读取该 XLSX 文件" in report.problems[0].reason
