"""Issue 21: an expert without an account (imported) can answer: the invitation message carries an
activation link, and the agency records a reply given by telephone, quoting the reply code."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from audit.models import AuditEvent
from core import clock as core_clock
from core.db import db
from core.errors import DomainError
from expert_draw import service
from expert_draw.models import InvitationStatus
from expert_draw.notify import LogChannel
from registry.experts.models import Activation, CreditRecord


@pytest.fixture
def invited(world, make_expert, make_request, clock):
    """A drawn committee of imported experts (no accounts), notified."""
    for _ in range(7):
        make_expert(["B01"], user=False)
    req = make_request(counts=(("B01", 5, 1),))
    draw = service.commit_draw(world.users["agency"], req)
    db.session.commit()
    LogChannel.sent.clear()
    notify = service.run_draw(draw, world.users["supervisor"], "20261127")
    db.session.commit()
    clock.advance(timedelta(minutes=30))  # the phone calls come a while after the messages
    assert notify
    return req


def _seats(req, status=InvitationStatus.INVITED):
    db.session.expire_all()
    return [i for i in req.invitations if i.status == status]


def test_the_invitation_of_an_expert_without_an_account_carries_an_activation_link(invited):
    from expert_draw.tasks import notify

    notify([i.id for i in _seats(invited)])
    texts = [m.text for m in LogChannel.sent]
    assert texts and all(re.search(r"/experts/activate/[A-Za-z0-9_-]+", t) for t in texts)
    assert db.session.query(Activation).count() >= 5


def test_the_agency_records_a_reply_given_by_phone(world, invited):
    seat, other = _seats(invited)[:2]
    said = core_clock.now() - timedelta(minutes=5)
    service.record_phone_reply(world.users["agency"], invited, seat.reply_code.upper(), True, said,
                               note="来电 13900000000")
    db.session.commit()
    db.session.expire_all()
    assert seat.status == InvitationStatus.CONFIRMED and seat.reply_by_phone and seat.responded_at == said
    event = db.session.query(AuditEvent).filter_by(action="expert_draw.phone_reply_recorded").one()
    payload = json.loads(event.payload)
    assert payload["attend"] is True and payload["by"] == world.users["agency"].id

    notify = service.record_phone_reply(world.users["agency"], invited, other.reply_code, False, said, "出差")
    db.session.commit()
    assert other.status == InvitationStatus.DECLINED and len(notify) == 1  # the standby takes the seat


@pytest.mark.parametrize(("change", "code"), [
    ({"reply_code": "nosuchcode"}, "invitation_not_found"),
    ({"said_at": timedelta(minutes=10)}, "said_at_in_future"),
    ({"said_at": -timedelta(days=3)}, "said_at_before_invitation"),
    ({"attend": False, "reason": " "}, "reason_required"),
])
def test_a_phone_reply_is_checked(world, invited, change, code):
    seat = _seats(invited)[0]
    args = {"reply_code": seat.reply_code, "attend": True, "said_at": timedelta(0), "reason": ""} | change
    with pytest.raises(DomainError) as exc:
        service.record_phone_reply(world.users["agency"], invited, args["reply_code"], args["attend"],
                                   core_clock.now() + args["said_at"], args["reason"])
    assert exc.value.code == code
    db.session.rollback()
    assert _seats(invited)[0].status == InvitationStatus.INVITED


def test_only_the_requests_agency_records_and_never_twice(world, invited):
    seat = _seats(invited)[0]
    with pytest.raises(DomainError) as exc:
        service.record_phone_reply(world.users["other_agency"], invited, seat.reply_code, True, core_clock.now())
    assert exc.value.code == "not_request_agency"
    service.record_phone_reply(world.users["agency"], invited, seat.reply_code, True, core_clock.now())
    with pytest.raises(DomainError) as exc:
        service.record_phone_reply(world.users["agency"], invited, seat.reply_code, False, core_clock.now(), "改主意")
    assert exc.value.code == "invitation_not_pending"


def test_a_reply_given_in_time_is_not_charged_though_recorded_after_the_deadline(world, invited, clock):
    seat = _seats(invited)[0]
    said = seat.deadline_at - timedelta(minutes=1)
    clock.set(seat.deadline_at + timedelta(seconds=10))  # recorded late, before the sweep
    service.record_phone_reply(world.users["agency"], invited, seat.reply_code, True, said)
    db.session.commit()
    assert seat.status == InvitationStatus.CONFIRMED
    assert db.session.query(CreditRecord).filter_by(expert_id=seat.expert_id).count() == 0


def test_the_request_page_has_the_phone_reply_form_for_the_agency(client, world, invited):
    from tests_helpers import login

    login(client, world.users["agency"])
    page = client.get(f"/expert-draw/{invited.id}").get_data(as_text=True)
    assert "登记电话答复" in page
    seat = _seats(invited)[0]
    r = client.post(f"/expert-draw/{invited.id}/phone-reply",
                    data={"reply_code": seat.reply_code, "answer": "attend",
                          "said_at": core_clock.format_local(core_clock.now() - timedelta(minutes=1))})
    assert r.status_code == 302
    assert _seats(invited, InvitationStatus.CONFIRMED)[0].id == seat.id


def test_cancelling_a_request_tells_the_invited_experts(client, world, invited):
    from tests_helpers import login

    login(client, world.users["agency"])
    LogChannel.sent.clear()
    r = client.post(f"/expert-draw/{invited.id}/cancel", data={"reason": "项目终止"}, follow_redirects=True)
    assert "已通知 5 位专家" in r.get_data(as_text=True)
    assert len([m for m in LogChannel.sent if "评审已取消" in m.text]) == 5


def test_a_withdrawal_without_a_replacement_says_so(client, world, invited):
    from tests_helpers import login

    login(client, world.users["agency"])
    pages = []
    for _ in range(3):  # seven experts for six seats and a standby: the third withdrawal finds nobody
        seat = _seats(invited)[0]
        r = client.post(f"/expert-draw/invitations/{seat.id}/withdraw", data={"reason": "发现回避情形"},
                        follow_redirects=True)
        pages.append(r.get_data(as_text=True))
    assert "已通知递补专家" in pages[0]
    assert "备选顺序中已无符合条件的专家" in pages[-1] and "已通知递补专家" not in pages[-1]
