"""The public notice centre: region tree, kind, method, catalogue and date filters, numbered pages, Chinese
full-text search over jieba tokens, the sections a subject's package registers, the buttons of the stage,
Atom feeds and the sitemap — the same on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from tender_helpers import World, _pem, project_data

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture
def counties(app_ctx, region):
    """泰顺县 and 苍南县 under 温州市, 西湖区 under 杭州市, all under 浙江省; a purchaser in each county."""
    from accounts import service
    from accounts.models import OrgKind, Region, RegionLevel
    from core.db import db

    db.session.add_all([Region(code="330327", name="苍南县", level=RegionLevel.COUNTY, parent_code="330300"),
                        Region(code="330100", name="杭州市", level=RegionLevel.CITY, parent_code="330000"),
                        Region(code="330106", name="西湖区", level=RegionLevel.COUNTY, parent_code="330100")])
    db.session.commit()
    orgs = {code: service.create_org(f"{name}机关事务管理局", OrgKind.PURCHASER, code)
            for code, name in (("330329", "泰顺县"), ("330327", "苍南县"), ("330106", "西湖区"))}
    db.session.commit()
    return orgs


def _publish(org, kind, title, body="", at=None, clock=None):
    from notices.service import publish_notice

    if clock is not None and at is not None:
        clock.set(at)
    return publish_notice(org, kind, title, body or title)


def _ids(page) -> list[int]:
    return [n.id for n in page.notices]


def test_search_finds_every_word_of_a_chinese_phrase_and_filters_by_the_region_tree(counties, clock):
    from core.db import db
    from notices import kinds
    from notices.search import Filters, find_notices

    water = _publish(counties["330329"], kinds.RESULT, "泰顺县教育局学生直饮水设备采购结果公告", "中标供应商：绿源")
    desks = _publish(counties["330327"], kinds.RESULT, "苍南县中心小学课桌椅采购结果公告", "中标供应商：云帆")
    lake = _publish(counties["330106"], kinds.CONTRACT, "西湖区学校直饮水设备维护服务合同公告", "合同金额 10 万元")
    db.session.commit()

    assert _ids(find_notices(Filters(q="直饮水设备"))) == [lake.id, water.id]  # newest first
    assert _ids(find_notices(Filters(q="学生直饮水设备"))) == [water.id]  # every word needed
    assert _ids(find_notices(Filters(q="绿源"))) == [water.id]  # the body is searched too
    assert _ids(find_notices(Filters(q="不存在的词语组合"))) == []
    assert _ids(find_notices(Filters(q="的"))) == []  # a particle asks for nothing
    # the region tree: a city finds its counties, a county only itself, the province everything
    assert _ids(find_notices(Filters(region="330300"))) == [desks.id, water.id]
    assert _ids(find_notices(Filters(region="330327"))) == [desks.id]
    assert len(find_notices(Filters(region="330000")).notices) == 3
    assert _ids(find_notices(Filters(region="330300", kinds=["result"], q="课桌椅"))) == [desks.id]
    assert _ids(find_notices(Filters(kinds=["contract"]))) == [lake.id]


def test_dates_are_beijing_days_and_pages_are_numbered(counties, clock):
    from core import clock as clock_module
    from core.db import db
    from notices import kinds
    from notices.search import PAGE_SIZE, Filters, find_notices

    start = clock.now()
    # 16:30 UTC is 00:30 the next day in Beijing
    early = start.replace(hour=16, minute=30)
    made = [_publish(counties["330329"], kinds.RESULT, f"第{i}号 办公家具采购结果公告", at=early + timedelta(hours=i),
                     clock=clock) for i in range(PAGE_SIZE + 5)]
    db.session.commit()
    first = find_notices(Filters(), 1)
    second = find_notices(Filters(), 2)
    assert _ids(first) == [n.id for n in reversed(made)][:PAGE_SIZE] and first.has_next and not first.has_previous
    assert _ids(second) == [n.id for n in reversed(made)][PAGE_SIZE:] and not second.has_next
    assert _ids(find_notices(Filters(q="办公家具"), 2)) == _ids(second)  # search pages the same way
    day = clock_module.to_local(early).date()
    assert len(find_notices(Filters(date_from=day, date_to=day), 1, 100).notices) == 24  # 00:30 to 23:30
    assert len(find_notices(Filters(date_from=day + timedelta(days=1)), 1, 100).notices) == 1
    assert find_notices(Filters(date_to=day - timedelta(days=1))).notices == []


def test_a_withdrawn_notice_leaves_the_search_and_the_lists(counties):
    from core.db import db
    from notices import kinds
    from notices.search import Filters, find_notices
    from notices.service import withdraw_notice

    notice = _publish(counties["330329"], kinds.RESULT, "护理床采购结果公告", "中标供应商：甲")
    db.session.commit()
    correction = withdraw_notice(notice, "护理床采购结果更正公告", "原中标结果作废")
    db.session.commit()
    assert _ids(find_notices(Filters(q="护理床"))) == [correction.id]
    assert _ids(find_notices(Filters(q="中标供应商"))) == []


def test_the_list_page_keeps_its_filters_in_stable_urls(counties, client):
    from core.db import db
    from notices import kinds

    water = _publish(counties["330329"], kinds.RESULT, "学生直饮水设备采购结果公告")
    desks = _publish(counties["330327"], kinds.RESULT, "课桌椅采购结果公告")
    db.session.commit()
    page = client.get("/notices?region=330327&kind=result").get_data(as_text=True)
    assert f'/notices/{desks.id}"' in page and f'/notices/{water.id}"' not in page
    assert 'value="330327" selected' in page and "/notices/feeds/330327/result.atom" in page
    page = client.get("/notices?q=直饮水").get_data(as_text=True)
    assert f'/notices/{water.id}"' in page and f'/notices/{desks.id}"' not in page
    assert "没有符合条件的公告" in client.get("/notices?q=火箭发动机").get_data(as_text=True)
    assert client.get("/notices?page=abc&from=not-a-date&kind=nonsense").status_code == 200


def test_atom_feeds_per_region_and_kind_and_the_sitemap(counties, client):
    from core.db import db
    from notices import kinds
    from notices.service import withdraw_notice

    water = _publish(counties["330329"], kinds.RESULT, "学生直饮水设备采购结果公告")
    lake = _publish(counties["330106"], kinds.CONTRACT, "西湖区直饮水机维护合同公告")
    gone = _publish(counties["330327"], kinds.RESULT, "课桌椅采购结果公告")
    db.session.commit()
    correction = withdraw_notice(gone, "课桌椅采购结果更正公告", "作废")
    db.session.commit()

    response = client.get("/notices/feeds/330000.atom")
    assert response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.data)
    ids = [e.find(f"{ATOM}id").text for e in feed.findall(f"{ATOM}entry")]
    assert [i.rsplit("/", 1)[1] for i in ids] == [str(correction.id), str(lake.id), str(water.id)]
    city = ET.fromstring(client.get("/notices/feeds/330300/result.atom").data)
    assert [e.find(f"{ATOM}title").text for e in city.findall(f"{ATOM}entry")] == [water.title]
    assert client.get("/notices/feeds/999999.atom").status_code == 404
    assert client.get("/notices/feeds/330000/nonsense.atom").status_code == 404

    index = ET.fromstring(client.get("/sitemap.xml").data)
    [chunk] = [s.find(f"{SITEMAP}loc").text for s in index]
    urls = [u.find(f"{SITEMAP}loc").text for u in ET.fromstring(client.get(urlsplit(chunk).path).data)]
    assert any(u.endswith(f"/notices/{water.id}") for u in urls)
    assert not any(u.endswith(f"/notices/{gone.id}") for u in urls)  # withdrawn: off the lists


@pytest.fixture
def tender_world(app, app_ctx, make_user, clock, tmp_path):
    from cryptography.hazmat.primitives.asymmetric import ec

    from accounts import service as accounts
    from accounts.models import OrgKind
    from core.db import db

    app.config["TIME_VAULT_KEY_PATH"] = str(tmp_path / "vault.pem")
    agency = make_user("agency_staff", org_kind="agency", username="agent")
    world = World(agency=agency, purchaser_org=accounts.create_org("泰顺县教育局", OrgKind.PURCHASER, "330329"))
    keeper = make_user("supervisor", username="keeper0")
    key = ec.generate_private_key(ec.SECP256R1())
    accounts.register_public_key(keeper, _pem(key), "encrypt", "custody")
    world.custodians.append((keeper, key))
    db.session.commit()
    yield world
    app.config["TIME_VAULT_KEY_PATH"] = None


def test_a_tender_notice_in_its_sections_with_the_buttons_of_its_stage(tender_world, client, clock):
    from core.db import db
    from notices import kinds
    from notices.models import Notice
    from notices.search import Filters, find_notices
    from notices.service import publish_notice
    from tender import service

    project = service.create_project(tender_world.agency, project_data(tender_world, clock.now()))
    service.add_document(tender_world.agency, project, "招标文件.pdf", io.BytesIO(b"%PDF-1.4 tender document"))
    service.publish_project(tender_world.agency, project.id)
    db.session.commit()
    notice = db.session.scalar(db.select(Notice).where(Notice.kind == "tender"))
    assert (notice.method, notice.catalogue_code) == ("public_tender", "A02010104")  # from the subject's facts
    assert _ids(find_notices(Filters(method="public_tender", catalogue="A0201"))) == [notice.id]
    assert _ids(find_notices(Filters(catalogue="C21"))) == []
    assert _ids(find_notices(Filters(method="inquiry"))) == []

    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    for heading in ("项目概况", "采购需求", "申请人的资格要求", "获取招标文件", "采购文件", "响应文件提交", "开启",
                    "公告期限", "联系方式"):
        assert f". {heading}</h2>" in page, heading
    assert "交互式智能平板" in page and "自本公告发布之日起 5 个工作日" in page and "泰顺县教育局" in page
    assert project.documents[0].sha256 in page
    assert "登录后报名" in page  # documents on offer

    result = publish_notice(project, kinds.RESULT, f"{project.title} 结果公告", "中标供应商：甲", project.lots[0].id)
    db.session.commit()
    page = client.get(f"/notices/{result.id}").get_data(as_text=True)
    assert "登录后报名" not in page and ". 公告期限</h2>" in page and ". 采购需求</h2>" not in page
    assert "自本公告发布之日起 1 个工作日" in page  # the result notice's period (87号令 Art 69)

    clock.advance(timedelta(days=8))  # the documents are no longer on offer
    assert "登录后报名" not in client.get(f"/notices/{notice.id}").get_data(as_text=True)
