"""Issue 13 part 6: a purchaser's dashboard lists its own unit's projects with their stage and next step,
and nobody else's."""

from __future__ import annotations

from tests_helpers import login


def test_a_purchaser_sees_its_own_projects_with_stage_and_next_step(world, make_project, client, clock):
    from accounts import service as accounts
    from accounts.models import OrgKind
    from core.db import db
    from tests.conftest import password_hash

    own = make_project(title="泰顺县教育局本单位项目")
    draft = make_project(publish=False, title="泰顺县教育局草稿项目")
    other_org = accounts.create_org("另一采购单位", OrgKind.PURCHASER, "330329")
    db.session.commit()
    other = make_project(title="另一单位的采购项目", purchaser_org_id=other_org.id)
    user = accounts.create_user("caigou_t", "采购经办人", None, ["purchaser"], "330329", org=world.purchaser_org,
                                password_hash=password_hash())
    db.session.commit()
    user.totp_seed = None
    assert login(client, user).status_code == 302
    page = client.get("/dashboard").get_data(as_text=True)
    assert "本单位的采购项目" in page and own.title in page
    assert "已公告 · 下一步：公告期内供应商报名" in page or "投标中 · 下一步：供应商递交加密投标文件" in page
    assert draft.title not in page and other.title not in page
    assert client.get(f"/tender/{own.id}").status_code == 200
