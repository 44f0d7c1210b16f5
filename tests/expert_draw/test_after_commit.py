"""Issue 14: the draw's writes declare their notifications (core.after_commit), so the page, the API
and the sweep tell the same experts, and only once the change is committed."""

from __future__ import annotations

from core import after_commit
from core.db import db
from expert_draw import service
from expert_draw.models import InvitationStatus
from expert_draw.notify import LogChannel


def _drawn(world, make_expert, make_request):
    for _ in range(7):
        make_expert(["B01"])
    req = make_request(counts=(("B01", 5, 1),))
    draw = service.commit_draw(world.users["agency"], req)
    after_commit.commit()
    return draw


def test_a_draw_notifies_its_experts_after_the_commit_and_never_on_a_rollback(world, make_expert, make_request):
    draw = _drawn(world, make_expert, make_request)
    LogChannel.sent.clear()
    ids = service.run_draw(draw, world.users["supervisor"], "20261127")
    assert [fn.__self__.name for fn, _args, _kw in after_commit.pending()] == ["expert_draw.tasks.notify"]
    assert LogChannel.sent == []  # nothing goes out before the commit
    db.session.rollback()
    assert after_commit.run_followups() == 0 and LogChannel.sent == []

    ids = service.run_draw(db.session.merge(draw), world.users["supervisor"], "20261127")
    after_commit.commit()
    told = {m.text.split("答复码 ")[-1].rstrip("）") for m in LogChannel.sent}
    assert len(ids) == 5 and len(told) == 5


def test_a_decline_notifies_the_replacement_and_a_cancellation_tells_everyone(world, make_expert, make_request):
    draw = _drawn(world, make_expert, make_request)
    service.run_draw(draw, world.users["supervisor"], "20261127")
    after_commit.commit()
    req = draw.request
    first = next(i for i in req.invitations if i.status == InvitationStatus.INVITED)
    LogChannel.sent.clear()
    new = service.decline_invitation(first.expert.account, first, "出差")
    after_commit.commit()
    replacement = db.session.get(type(first), new[0])
    assert any(replacement.reply_code in m.text for m in LogChannel.sent)

    LogChannel.sent.clear()
    told = service.cancel_request(world.users["agency"], req, "项目终止")
    after_commit.commit()
    assert len(told) == 5 and len([m for m in LogChannel.sent if "评审已取消" in m.text]) == len(told)
