"""Demo draws: one request waiting for the agency to draw live, and one completed, verifiable draw
(drawn with the supervisor's number, one decline replaced from the reserve, the rest confirmed)."""

from __future__ import annotations

from datetime import datetime, time

from accounts.models import User
from core import clock
from core.db import db
from core.demo import seeder
from core.workdays import get_calendar
from expert_draw import service
from expert_draw.models import InvitationStatus
from expert_draw.subject import DrawSubject


def _evaluation_at(workdays_ahead: int, hour: int) -> datetime:
    day = get_calendar().add_workdays(clock.to_local(clock.now()).date(), workdays_ahead)
    return datetime.combine(day, time(hour), tzinfo=clock.LOCAL_TZ).astimezone(clock.now().tzinfo)


def _subject(orgs: dict, title: str, purchaser_index: int, supplier_indexes: list[int], budget_fen: int) -> DrawSubject:
    suppliers = orgs.get("suppliers", [])
    return DrawSubject(
        title=title,
        purchaser_org_id=orgs["purchasers"][purchaser_index].id,
        agency_org_id=orgs["agency"].id,
        method="public_tender",
        budget_fen=budget_fen,
        region_code=orgs["agency"].region_code,
        supplier_org_ids={suppliers[i].id for i in supplier_indexes if i < len(suppliers)},
    )


@seeder("expert_draw")
def seed_draws(context: dict) -> None:
    users: dict[str, User] = context.get("users", {})
    orgs = context.get("orgs", {})
    if not {"daili", "caijian"} <= set(users) or "agency" not in orgs or not orgs.get("purchasers"):
        return
    agency, supervisor = users["daili"], users["caijian"]
    # 1. Completed: 人民医院 medical equipment, drawn and answered.
    done = service.create_request(
        agency,
        _subject(orgs, "泰顺县人民医院医学影像设备采购", 1, [4, 0], 4_800_000_00),
        [service.SpecialtyCount("B03", 3, 1), service.SpecialtyCount("B01", 2, 1)],
        _evaluation_at(2, 9),
        None,
        "泰顺县公共资源交易中心 3 楼第一评标室",
    )
    experts = context.get("experts", {})
    if 12 in experts:
        service.add_manual_exclusion(agency, done, experts[12].id, "曾参与本项目采购需求论证")
    draw = service.commit_draw(agency, done)
    service.run_draw(draw, supervisor, "20261127093015")
    invited = [i for i in service.request_invitations(done) if i.status == InvitationStatus.INVITED]
    if invited:
        first = invited[0]
        service.decline_invitation(first.expert.user, first, "当日已有本单位紧急任务")
    for inv in service.request_invitations(done):
        if inv.status == InvitationStatus.INVITED and inv.expert.user is not None:
            service.confirm_invitation(inv.expert.user, inv)
    context["demo_draw_id"] = draw.id
    # 2. Waiting: 教育局 teaching equipment, for the agency to draw with the supervisor on site.
    waiting = service.create_request(
        agency,
        _subject(orgs, "泰顺县教育局中小学教学仪器采购", 0, [3, 1], 2_600_000_00),
        [service.SpecialtyCount("B04", 3, 1), service.SpecialtyCount("C01", 2, 1)],
        _evaluation_at(3, 14),
        None,
        "泰顺县公共资源交易中心 3 楼第二评标室",
    )
    context["demo_draw_request_id"] = waiting.id
    db.session.flush()
