"""The opening summary's price breakdown (大写, body total, itemised list): read at the opening, kept on
the opening record, shown in the hall and the PDF; a malformed one never breaks the opening."""

from __future__ import annotations

import io
from datetime import timedelta

from tender_helpers import submit, sweep_with_keeper, vault_and_keeper

from tender.price_detail import read_price_detail, remarks_with_notes, shown_words

GOOD = {"price_words": "玖万壹仟伍佰元整", "body_price_fen": 91_500_00, "body_price_words": "人民币玖万壹仟伍佰元整",
        "items": [{"ref": "1", "name": "交互式智能平板", "quantity": "10", "unit_price_fen": 8_500_00,
                   "total_fen": 85_000_00},
                  {"ref": "2", "name": "安装调试", "quantity": "1", "unit_price_fen": 6_500_00,
                   "total_fen": 6_500_00}]}


def test_a_well_formed_breakdown_is_kept_as_read():
    found = read_price_detail({"price_fen": 91_500_00, **GOOD})
    assert found.notes == []
    assert found.stored() == {"price_words": "玖万壹仟伍佰元整", "body_price_fen": 91_500_00,
                              "body_price_words": "人民币玖万壹仟伍佰元整", "items": GOOD["items"]}


def test_no_breakdown_stores_nothing():
    assert read_price_detail({"price_fen": 1, "remarks": "x"}).stored() is None
    assert read_price_detail({"price_fen": 1, "items": [], "price_words": "  "}).stored() is None


def test_integer_quantities_and_refs_are_read_as_text():
    found = read_price_detail({"items": [{"ref": 1, "quantity": 3, "unit_price_fen": 100, "total_fen": 300}]})
    assert found.stored() == {"items": [{"ref": "1", "name": "", "quantity": "3", "unit_price_fen": 100,
                                         "total_fen": 300}]}


def test_unreadable_words_are_kept_verbatim_and_noted_not_used():
    found = read_price_detail({"price_words": "玖万壹仟伍百元", "body_price_words": 5})
    stored = found.stored()
    assert "price_words" not in stored and stored["price_words_unreadable"] == "玖万壹仟伍百元"
    assert stored["notes"][0].startswith("开标一览表大写金额“玖万壹仟伍百元”无法识别")
    assert stored["notes"][1] == "投标函大写金额不是文本，未记录"
    assert shown_words(91_500_00, stored) == "玖万壹仟伍百元"


def test_a_malformed_item_drops_the_list_with_the_first_problem_named():
    cases = [
        ({"ref": "1", "quantity": "0", "unit_price_fen": 1, "total_fen": 0}, "第 1 行数量无效"),
        ({"ref": "1", "quantity": "1e3", "unit_price_fen": 1, "total_fen": 0}, "第 1 行数量无效"),
        ({"ref": "1", "quantity": "1", "unit_price_fen": -1, "total_fen": 0}, "第 1 行单价无效"),
        ({"ref": "1", "quantity": "1", "unit_price_fen": 1, "total_fen": True}, "第 1 行合价无效"),
        ("1,2,3", "第 1 行不是对象"),
    ]
    for item, note in cases:
        found = read_price_detail({"items": [item]})
        assert "items" not in found.detail and found.notes[0].startswith(f"分项报价表{note}"), (item, found.notes)
    dup = {"ref": "A", "quantity": "1", "unit_price_fen": 1, "total_fen": 1}
    assert "序号“A”重复" in read_price_detail({"items": [dup, dup]}).notes[0]
    assert read_price_detail({"items": "lots"}).notes == ["分项报价表不是列表，分项报价未记录，未用于价格修正"]
    body = read_price_detail({"body_price_fen": "91500"})
    assert body.stored() == {"notes": ["投标函报价（小写）无效（应为非负整数分），未记录"]}


def test_notes_follow_the_remarks_within_the_column():
    assert remarks_with_notes("质保三年", []) == "质保三年"
    assert remarks_with_notes("", ["甲"]) == "【开标记录注】甲。"
    long = remarks_with_notes("备" * 4000, ["甲", "乙"])
    assert len(long) == 4000 and long.endswith("\n【开标记录注】甲；乙。")


def _seal(project, lot, supplier, summary: dict) -> bytes:
    import crypto
    from tender.bids import bidder_id_of

    out = io.BytesIO()
    crypto.seal(lot.policy, supplier.sign_key, supplier.enc_key.public_key(),
                {"bidder": supplier.user.org.name, "lot": str(lot.number), **summary},
                [("报价文件.txt", io.BytesIO("分项报价表".encode()))], out, bidder_id_of(supplier.user.org),
                chunk_size=65536)
    return out.getvalue()


def test_the_opening_stores_the_breakdown_and_notes_a_malformed_one(app, world, make_project, client, clock):
    from audit.models import AuditEvent
    from core.db import db
    from tender import record_pdf
    from tender.models import OpeningRecord, Project

    project = make_project(**vault_and_keeper(world))
    lot = project.lots[0]
    summaries = [
        {"price_fen": 91_500_00, "remarks": "质保三年", **GOOD},
        {"price_fen": 92_000_00, "price_words": "玖万贰仟元整",
         "items": [{"ref": "1", "quantity": "-1", "unit_price_fen": 1, "total_fen": 1}]},
        {"price_fen": 93_000_00, "price_words": "玖万叁仟元正整整"},
    ]
    for supplier, summary in zip(world.suppliers, summaries, strict=False):
        assert submit(client, supplier.user, project, lot, _seal(project, lot, supplier, summary)).status_code == 201
    clock.set(project.deadline + timedelta(seconds=1))
    sweep_with_keeper(world)
    db.session.expire_all()
    project = db.session.get(Project, project.id)
    assert project.status.value == "opened"  # a malformed breakdown does not stop the opening
    good, bad_items, bad_words = OpeningRecord.query.order_by(OpeningRecord.price_fen).all()
    assert good.price_detail == {k: v for k, v in GOOD.items()} and good.remarks == "质保三年"
    assert bad_items.price_fen == 92_000_00 and bad_items.price_detail["price_words"] == "玖万贰仟元整"
    assert "items" not in bad_items.price_detail
    assert bad_items.remarks.startswith("【开标记录注】分项报价表第 1 行数量无效")
    assert bad_words.price_detail["price_words_unreadable"] == "玖万叁仟元正整整"
    assert "无法识别" in bad_words.remarks
    event = AuditEvent.query.filter_by(action="tender.bid_opened", object_id=str(good.bid_id)).one()
    assert '"items":2' in event.payload and "玖万" not in event.payload

    from tests_helpers import login

    login(client, world.suppliers[1].user)
    state = client.get(f"/api/v1/tender/projects/{project.id}/hall").get_json()
    rows = {r["price_fen"]: r for r in state["record"]}
    assert rows[91_500_00]["price_upper"] == "玖万壹仟伍佰元整"
    assert rows[91_500_00]["body_price"] == "91,500.00"
    assert [i["total"] for i in rows[91_500_00]["items"]] == ["85,000.00", "6,500.00"]
    assert rows[92_000_00]["items"] == [] and rows[93_000_00]["price_upper"] == "玖万叁仟元正整整"
    if record_pdf.available():
        pdf = client.get(f"/tender/{project.id}/record.pdf")
        assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_a_consortium_small_micro_share_is_read_and_a_bad_one_noted():
    from tender.price_detail import read_price_detail

    assert read_price_detail({"small_micro_share_percent": "35.5"}).detail == {"small_micro_share_percent": "35.5"}
    assert read_price_detail({"small_micro_share_percent": 40}).detail == {"small_micro_share_percent": "40"}
    for bad in ("101", -3, 35.5, True, "三十"):
        found = read_price_detail({"small_micro_share_percent": bad})
        assert found.detail == {} and "小微企业合同份额" in found.notes[0], bad
