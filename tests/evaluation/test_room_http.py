"""The room over HTTP: pages render for each role with no inline script or style, the JSON API applies
the permission table (who sees what when), scores stay secret until submitted, the step-up is required,
and the Socket.IO namespace refuses strangers and tells the room about changes after the commit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from evaluation_helpers import (
    as_user,
    declare_and_elect,
    no_inline,
    publish_first_candidate,
    review_all_pass,
    seat_replacement,
    sign_report,
)
from tests_helpers import totp_code


def _open(room, clock):
    from core.db import db
    from evaluation import service

    clock.advance(timedelta(minutes=31))
    committee = service.open_evaluation(room.agency, room.lot.id)
    db.session.commit()
    return committee.id






def _to_scoring(room, clock, cid):
    from core.db import db

    declare_and_elect(room, cid)
    review_all_pass(room, cid)
    db.session.commit()


def _sheet(room, tech="40", biz="12"):
    return {str(b.id): {"技术": tech, "商务": biz} for b in room.bids}


def test_room_pages_render_for_each_role_without_inline_code(room, client, clock):
    cid = _open(room, clock)
    for user in (room.agency, room.experts[0], room.supervisor):
        as_user(client, user, clock)
        page = client.get(f"/evaluation/{cid}")
        assert page.status_code == 200, user
        html = page.get_data(as_text=True)
        assert "网上评审室" in html and "js/evaluation/room.js" in html
        no_inline(html)
        index = client.get("/evaluation/")
        assert index.status_code == 200 and "评审室" in index.get_data(as_text=True)
        dashboard = client.get("/dashboard")
        assert dashboard.status_code == 200
        assert "评审" in dashboard.get_data(as_text=True)
    as_user(client, room.suppliers[0], clock)
    assert client.get(f"/evaluation/{cid}").status_code == 403
    assert client.get("/evaluation/clarifications").status_code == 200
    as_user(client, room.outsider, clock)
    assert client.get(f"/evaluation/{cid}").status_code == 403


def test_declaration_vote_and_review_through_the_forms(room, client, clock):
    from core.db import db
    from evaluation import service

    cid = _open(room, clock)
    for user in (*room.experts[:3], room.experts[4]):
        as_user(client, user, clock)
        r = client.post(f"/evaluation/{cid}/act/declare", data={"conflict": "0"})
        assert r.status_code == 302
    committee = service.get_committee(cid)
    chair = next(m for m in committee.members if m.user_id == room.experts[0].id)
    for user in room.experts[:3]:
        as_user(client, user, clock)
        client.post(f"/evaluation/{cid}/act/vote", data={"candidate_id": str(chair.id)})
    as_user(client, room.experts[3], clock)
    client.post(f"/evaluation/{cid}/act/declare", data={"conflict": "1", "note": "配偶在投标人处任职"})
    as_user(client, room.experts[0], clock)
    r = client.post(f"/evaluation/{cid}/act/start_review", follow_redirects=True)
    assert "须待补抽的专家到位" in r.get_data(as_text=True)  # the room waits for the replacement
    db.session.expire_all()
    assert service.get_committee(cid).status.value == "declaring"
    seat_replacement(room, cid, room.experts[3])
    db.session.commit()
    client.post(f"/evaluation/{cid}/act/start_review")
    db.session.expire_all()
    committee = service.get_committee(cid)
    assert committee.status.value == "reviewing" and committee.chair.id == chair.id
    page = client.get(f"/evaluation/{cid}").get_data(as_text=True)
    assert "资格审查" in page and "技术响应.txt" in page
    r = client.post(f"/evaluation/{cid}/act/review", data={"stage": "qualification"}, follow_redirects=True)
    assert "审查意见已提交" in r.get_data(as_text=True)
    r = client.post(f"/evaluation/{cid}/act/review", data={"stage": "compliance", f"m-{room.bids[0].id}-0": "fail"},
                    follow_redirects=True)
    assert "不通过须填写理由" in r.get_data(as_text=True)


PERMISSIONS = [  # (who, stage reached, bid file readable?, state readable?)
    ("agency", "scoring", False, True),
    ("supervisor", "scoring", False, True),
    ("purchaser", "scoring", False, False),
    ("supplier", "scoring", False, False),
    ("outsider", "scoring", False, False),
    ("member", "scoring", True, True),
    ("conflicted", "scoring", False, True),
]


@pytest.mark.parametrize(("who", "stage", "reads_bids", "reads_state"), PERMISSIONS)
def test_permission_table_over_the_api(room, client, clock, who, stage, reads_bids, reads_state):
    cid = _open(room, clock)
    _to_scoring(room, clock, cid)
    user = {"agency": room.agency, "supervisor": room.supervisor, "purchaser": room.purchaser,
            "supplier": room.suppliers[0], "outsider": room.outsider, "member": room.experts[1],
            "conflicted": room.experts[3]}[who]
    as_user(client, user, clock)
    bid = room.bids[0].id
    r = client.get(f"/api/v1/evaluation/committees/{cid}/bids/{bid}/files/技术响应.txt")
    assert (r.status_code == 200) is reads_bids, r.get_data(as_text=True)[:200]
    r.close()
    if not reads_bids:
        assert r.get_json()["error"]["code"] in ("evaluation_read_bids_forbidden",)
    r = client.get(f"/api/v1/evaluation/committees/{cid}/state")
    assert (r.status_code == 200) is reads_state
    if reads_state:
        assert r.get_json()["committee"]["status"] == stage
        assert r.get_json().get("scores", []) == []


def test_scores_secret_over_the_api_and_step_up_required(room, client, clock):
    cid = _open(room, clock)
    _to_scoring(room, clock, cid)
    a, b = room.experts[0], room.experts[1]
    as_user(client, a, clock)
    r = client.post(f"/api/v1/evaluation/committees/{cid}/scores", json={"scores": _sheet(room), "totp": "000000"})
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "totp_invalid"
    r = client.post(f"/api/v1/evaluation/committees/{cid}/scores", json={"scores": _sheet(room)})
    assert r.status_code == 422
    clock.advance(timedelta(seconds=31))
    r = client.post(f"/api/v1/evaluation/committees/{cid}/scores",
                    json={"scores": _sheet(room), "totp": totp_code(a)})
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json()["entries"] == 6 and len(r.get_json()["progress"]["scoring"]) == 1
    assert len(client.get(f"/api/v1/evaluation/committees/{cid}/state").get_json()["scores"]) == 6
    as_user(client, b, clock)
    state = client.get(f"/api/v1/evaluation/committees/{cid}/state").get_json()
    assert (state["scores"] == [] and state["progress"]["scoring"] == [state["members"][0]["id"]]) or \
        len(state["progress"]["scoring"]) == 1
    as_user(client, room.agency, clock)
    state = client.get(f"/api/v1/evaluation/committees/{cid}/state").get_json()
    assert state["scores"] == []
    r = client.post(f"/api/v1/evaluation/committees/{cid}/scores",
                    json={"scores": _sheet(room), "totp": totp_code(room.agency)})
    assert r.status_code == 403


def test_socket_namespace_refuses_strangers_and_announces_after_commit(room, app, room_client, clock):
    def emit(sio, event, data):
        with app.app_context():
            return sio.emit(event, data, namespace="/evaluation", callback=True)

    cid = _open(room, clock)
    anonymous, _ = room_client()
    assert not anonymous.is_connected("/evaluation")
    stranger, _ = room_client(room.outsider)
    assert emit(stranger, "join", {"committee_id": cid})["ok"] is False
    member, http = room_client(room.experts[0])
    reply = emit(member, "join", {"committee_id": cid})
    assert reply["ok"] and reply["state"]["committee"]["status"] == "declaring"
    other, _ = room_client(room.experts[1])
    assert emit(other, "join", {"committee_id": cid})["ok"]
    presence = [m for m in member.get_received("/evaluation") if m["name"] == "presence"]
    assert sorted(presence[-1]["args"][0]["present"]) == sorted([room.experts[0].id, room.experts[1].id])
    with app.app_context():
        r = http.post(f"/api/v1/evaluation/committees/{cid}/declaration", json={"conflict": False})
    assert r.status_code == 200, r.get_data(as_text=True)
    received = [m for m in other.get_received("/evaluation") if m["name"] == "changed"]
    assert received and len(received[-1]["args"][0]["progress"]["declaration"]) == 1
    assert "scores" not in received[-1]["args"][0]


def _completed(room, clock, cid):
    from core.db import db
    from evaluation import service

    _to_scoring(room, clock, cid)
    clock.advance(timedelta(seconds=31))
    for user in room.panel:
        service.submit_scores(user, cid, _sheet(room), totp_code(user))
    service.start_summary(room.experts[0], cid)
    report = service.accept_summary(room.experts[0], cid)
    sign_report(room, clock, report)
    db.session.commit()
    return report


def test_award_and_contract_through_the_pages(room, client, clock):

    from core.db import db
    from evaluation import service
    from notices.models import Notice

    cid = _open(room, clock)
    report = _completed(room, clock, cid)
    as_user(client, room.purchaser, clock)
    assert client.get(f"/evaluation/{cid}").status_code == 200  # completed: the purchaser may look
    as_user(client, room.agency, clock)
    page = client.get(f"/evaluation/{cid}").get_data(as_text=True)
    assert "将评审报告送交采购人" in page
    no_inline(page)
    client.post(f"/evaluation/{cid}/act/send_report")
    award = service.award_of(service.get_committee(cid))
    assert award.status.value == "pending"
    as_user(client, room.purchaser, clock)
    page = client.get(f"/evaluation/{cid}").get_data(as_text=True)
    assert "确定中标（成交）供应商" in page and "供应商1有限公司" in page
    pdf = client.get(f"/api/v1/evaluation/committees/{cid}/report.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    pdf.close()
    r = client.post(f"/evaluation/{cid}/act/confirm", data={"award_id": award.id,
                                                            "candidate_id": report.candidates[1].id},
                    follow_redirects=True)
    assert "须说明理由" in r.get_data(as_text=True)
    client.post(f"/evaluation/{cid}/act/confirm", data={"award_id": award.id, "candidate_id": report.candidates[0].id})
    as_user(client, room.agency, clock)
    client.post(f"/evaluation/{cid}/act/publish", data={"award_id": award.id})
    assert client.get("/notices").status_code == 200
    as_user(client, room.purchaser, clock)
    page = client.get(f"/evaluation/{cid}").get_data(as_text=True)
    assert f"/contracts/award/{award.id}/draft" in page  # the contract itself: test_contracts.py
    kinds = sorted(n.kind.value for n in db.session.query(Notice).all())
    assert kinds == ["result"]


def test_bidder_answers_a_clarification_from_its_own_page(room, client, clock, sign_answer):
    from core.db import db
    from evaluation import service

    cid = _open(room, clock)
    declare_and_elect(room, cid)
    service.start_review(room.experts[0], cid)
    item = service.ask_clarification(room.experts[0], cid, room.bids[1].id, "请说明交货期是否包含安装调试。")
    db.session.commit()
    as_user(client, room.suppliers[0], clock)
    assert "交货期" not in client.get("/evaluation/clarifications").get_data(as_text=True)
    assert client.post(f"/evaluation/clarifications/{item.id}", data={"answer": "x"}).status_code == 302
    as_user(client, room.suppliers[1], clock)
    page = client.get("/evaluation/clarifications").get_data(as_text=True)
    assert "交货期" in page
    no_inline(page)
    assert "签名密钥" in page and "answer-sign.js" not in page  # no key registered yet: told to make one
    text = "包含安装调试，\r\n交货期30日。"  # as a browser posts a textarea
    r = client.post(f"/evaluation/clarifications/{item.id}", data={"answer": text, "signature": "x"},
                    follow_redirects=True)
    assert "签名密钥" in r.get_data(as_text=True)
    signature = sign_answer(room.suppliers[1], item, answer=text)
    page = client.get("/evaluation/clarifications").get_data(as_text=True)
    assert "answer-sign.js" in page and 'class="js-signed-answer"' in page
    r = client.post(f"/evaluation/clarifications/{item.id}", data={"answer": text, "signature": signature},
                    follow_redirects=True)
    assert "答复已提交" in r.get_data(as_text=True)
    db.session.expire_all()
    assert service.get_committee(cid) and db.session.get(type(item), item.id).answer.startswith("包含")


def test_ratings_after_the_evaluation_feed_the_expert_credit(room, client, clock):
    from sqlalchemy import select

    from core.db import db
    from evaluation import service
    from registry.experts.models import CreditRecord

    cid = _open(room, clock)
    _completed(room, clock, cid)
    committee = service.get_committee(cid)
    member = next(m for m in committee.members if m.user_id == room.experts[1].id)
    as_user(client, room.agency, clock)
    page = client.get(f"/evaluation/{cid}").get_data(as_text=True)
    assert "评价" in page
    no_inline(page)
    r = client.post(f"/evaluation/{cid}/act/rate_expert", data={"member_id": member.id, "score": "2",
                                                                "misconduct": "1"}, follow_redirects=True)
    assert "须写明事实" in r.get_data(as_text=True)
    client.post(f"/evaluation/{cid}/act/rate_expert", data={"member_id": member.id, "score": "2", "misconduct": "1",
                                                            "note": "评审中多次离开且未说明"})
    r = client.post(f"/evaluation/{cid}/act/rate_expert", data={"member_id": member.id, "score": "5"},
                    follow_redirects=True)
    assert "已评价过" in r.get_data(as_text=True)
    credit = db.session.scalars(select(CreditRecord)).all()
    assert len(credit) == 1 and credit[0].kind.value == "misconduct"
    # the experts rate the agency on the agency registry's one rating, from the room, once the evaluation
    # ended (the project itself is not finished: the contract is still to come)
    from registry.agencies.models import AgencyRating

    as_user(client, room.experts[1], clock)
    room_page = client.get(f"/evaluation/{cid}").get_data(as_text=True)
    assert 'id="rate-agency-link"' in room_page and "/agencies/ratings" in room_page
    from tender.models import Project

    title = db.session.get(Project, committee.project_id).title
    assert title in client.get("/agencies/ratings").get_data(as_text=True)
    scores = {"competence": "4", "service": "4", "compliance": "5", "efficiency": "3"}
    client.post(f"/agencies/ratings/{committee.project_id}", data={**scores, "comment": "组织有序"})
    rows = db.session.scalars(select(AgencyRating)).all()
    assert [(r.rater_id, r.rater_kind, r.average) for r in rows] == [(room.experts[1].id, "expert", 4.0)]
    clock.advance(timedelta(days=10))  # past the five working days from the evaluation's end
    as_user(client, room.experts[2], clock)
    r = client.post(f"/agencies/ratings/{committee.project_id}", data=scores, follow_redirects=True)
    assert "评价期限" in r.get_data(as_text=True)
    assert len(db.session.scalars(select(AgencyRating)).all()) == 1


def _published(room, clock, cid):
    from core.db import db

    award = publish_first_candidate(room, cid, _completed(room, clock, cid))
    db.session.commit()
    return award


def test_a_challenge_in_time_upheld_voids_the_award(room, client, clock):
    import io

    from core.db import db
    from evaluation import challenges, service
    from evaluation.models import Award

    cid = _open(room, clock)
    award = _published(room, clock, cid)
    as_user(client, room.outsider, clock)
    r = client.post(f"/evaluation/awards/{award.id}/challenge", data={"text": "x"}, follow_redirects=True)
    assert "只有本标项的投标人" in r.get_data(as_text=True)
    as_user(client, room.suppliers[1], clock)
    page = client.get("/evaluation/clarifications").get_data(as_text=True)
    assert "对采购结果提出质疑" in page
    no_inline(page)
    r = client.post(f"/evaluation/awards/{award.id}/challenge",
                    data={"text": "中标人的业绩证明与事实不符",
                          "files": [(io.BytesIO("合同编号 HT-2025-01".encode()), "合同.txt")]},
                    content_type="multipart/form-data", follow_redirects=True)
    assert "质疑已提交" in r.get_data(as_text=True)
    challenge = challenges.challenges_of(award)[0]
    as_user(client, room.agency, clock)
    page = client.get(f"/evaluation/{cid}").get_data(as_text=True)
    assert "中标人的业绩证明与事实不符" in page
    r = client.post(f"/evaluation/{cid}/act/answer_challenge",
                    data={"challenge_id": challenge.id, "answer": "经核实，质疑成立。", "upheld": "1"},
                    follow_redirects=True)
    assert "须选择处理方式" in r.get_data(as_text=True)
    client.post(f"/evaluation/{cid}/act/answer_challenge",
                data={"challenge_id": challenge.id, "answer": "经核实，质疑成立。", "upheld": "1",
                      "remedy": "void_award"})
    db.session.expire_all()
    assert db.session.get(Award, award.id).status.value == "voided"
    assert service.award_of(service.get_committee(cid)) is None  # the agency may send the report again


def test_a_challenge_after_the_period_is_refused_and_reevaluation_reopens_the_summary(room, clock):
    from core.db import db
    from core.errors import Conflict
    from evaluation import challenges, service

    cid = _open(room, clock)
    award = _published(room, clock, cid)
    # Friday publication: the notice ends Monday 30th, then 7 working days → Wednesday 9 December
    assert challenges.challenge_due(award).isoformat() == "2026-12-09"
    row = challenges.file_challenge(room.suppliers[2], award.id, "评分畸高畸低未复核")
    db.session.commit()
    challenges.answer_challenge(room.agency, row.id, "质疑成立，由原评审委员会重新评审。", upheld=True,
                             remedy="reevaluate")
    db.session.commit()
    committee = service.get_committee(cid)
    assert committee.status.value == "summary" and service.current_report(committee) is None
    clock.advance(timedelta(days=12))
    with pytest.raises(Conflict) as exc:
        challenges.file_challenge(room.suppliers[1], award.id, "太迟")
    assert exc.value.code in ("challenge_period_over", "challenge_not_open")


def test_agency_opens_the_room_from_the_index_with_a_purchaser_rep(room, client, clock):
    from core.db import db
    from evaluation import service
    from expert_draw.models import InvitationStatus

    clock.advance(timedelta(minutes=31))
    as_user(client, room.agency, clock)
    page = client.get("/evaluation/").get_data(as_text=True)
    assert "开启评审室" in page and "抽取申请未设采购人代表" in page and room.purchaser.name not in page
    r = client.post(f"/evaluation/lots/{room.lot.id}/open", data={"purchaser_rep_id": str(room.purchaser.id)},
                    follow_redirects=True)  # five experts asked for, no representative: a sixth is refused
    assert "未设采购人代表" in r.get_data(as_text=True) and service.committee_for_lot(room.lot.id) is None
    # the request is changed to three drawn experts + the hand-picked one + one representative
    room.request.specialties[0].primary_count, room.request.purchaser_reps = 3, 1
    room.request.invitations[-1].status = InvitationStatus.WITHDRAWN
    db.session.commit()
    page = client.get("/evaluation/").get_data(as_text=True)
    assert room.purchaser.name in page
    no_inline(page)
    r = client.post(f"/evaluation/lots/{room.lot.id}/open", follow_redirects=True)
    assert "请指定 1 名采购人代表" in r.get_data(as_text=True)
    r = client.post(f"/evaluation/lots/{room.lot.id}/open", data={"purchaser_rep_id": str(room.purchaser.id)})
    assert r.status_code == 302
    db.session.expire_all()
    committee = service.committee_for_lot(room.lot.id)
    rep = next(m for m in committee.members if m.is_purchaser_rep)
    assert rep.user_id == room.purchaser.id and len(committee.members) == 5
    r = client.post(f"/evaluation/lots/{room.lot.id}/open", follow_redirects=True)
    assert "已经开启" in r.get_data(as_text=True)


def test_the_room_page_renders_at_every_stage_for_every_role(room, client, clock):
    from core.db import db
    from evaluation import service

    cid = _open(room, clock)
    viewers = [room.experts[0], room.experts[1], room.agency, room.supervisor]

    def look(stage):
        assert service.get_committee(cid).status.value == stage
        for user in viewers:
            as_user(client, user, clock)
            page = client.get(f"/evaluation/{cid}")
            assert page.status_code == 200, (stage, user.username)
            no_inline(page.get_data(as_text=True))

    look("declaring")
    _to_scoring(room, clock, cid)
    look("scoring")
    clock.advance(timedelta(seconds=31))
    for user in room.panel:
        service.submit_scores(user, cid, _sheet(room), totp_code(user))
    service.start_summary(room.experts[0], cid)
    db.session.commit()
    look("summary")
    report = service.accept_summary(room.experts[0], cid)
    db.session.commit()
    look("reporting")
    clock.advance(timedelta(seconds=31))
    for user in room.panel:
        service.sign_report(user, report.id, totp_code(user))
    db.session.commit()
    look("completed")


def test_an_outlier_finding_proposed_and_voted_through_the_room_page(room, client, clock):
    """Any member proposes from the summary's form; each other member sees the proposal with its count and
    votes with the page's buttons; the third vote of five makes the finding, whose flag reaches the member."""
    from core.db import db
    from evaluation import service
    from evaluation.models import OutlierFinding

    cid = _open(room, clock)
    _to_scoring(room, clock, cid)
    clock.advance(timedelta(seconds=31))
    for user in room.panel:
        service.submit_scores(user, cid, _sheet(room), totp_code(user))
    service.start_summary(room.experts[0], cid)
    db.session.commit()
    committee = service.get_committee(cid)
    target = next(m for m in committee.members if m.user_id == room.panel[1].id)
    as_user(client, room.panel[4], clock)  # not the chair
    page = client.get(f"/evaluation/{cid}").get_data(as_text=True)
    assert "提议认定评分畸高畸低（须过半数成员同意）" in page
    no_inline(page)
    client.post(f"/evaluation/{cid}/act/find_outlier", data={"member_id": target.id, "bid_id": room.bids[0].id,
                                                             "criterion": "技术", "note": "与技术响应不符"})
    finding = db.session.scalars(db.select(OutlierFinding)).one()
    for user in room.panel[:2]:
        as_user(client, user, clock)
        page = client.get(f"/evaluation/{cid}").get_data(as_text=True)
        assert f'id="finding-{finding.id}"' in page and "与技术响应不符" in page and 'name="agree"' in page
        client.post(f"/evaluation/{cid}/act/vote_outlier", data={"finding_id": finding.id, "agree": "1"})
    db.session.expire_all()
    finding = db.session.get(OutlierFinding, finding.id)
    assert finding.found is True and finding.flag_id is not None
    as_user(client, room.panel[1], clock)
    page = client.get(f"/evaluation/{cid}").get_data(as_text=True)
    assert "评审委员会（3/5 名成员同意）认定“技术”评分畸高、畸低：与技术响应不符" in page
