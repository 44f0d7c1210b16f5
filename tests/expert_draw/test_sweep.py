"""The beat sweep: timeouts replaced once, names unsealed at the evaluation start; and the CLI check
of stored seats against the log."""

from datetime import timedelta

from core.db import db
from expert_draw import service
from expert_draw.models import Invitation, InvitationStatus
from expert_draw.notify import LogChannel
from expert_draw.tasks import sweep


def test_sweep_is_idempotent_and_unseals_at_the_start(world, make_expert, make_request, clock):
    for _ in range(8):
        make_expert(["B01"])
    req = make_request(counts=(("B01", 5, 1),))
    draw = service.commit_draw(world.users["agency"], req)
    service.run_draw(draw, world.users["supervisor"], "123456")
    db.session.commit()
    LogChannel.sent.clear()
    clock.advance(timedelta(hours=25))
    first = sweep.delay().get()
    assert first["replaced"] == 3  # five timed out; the backup and the two in reserve are called, then dry
    assert len(LogChannel.sent) == 3 and "答复码" in LogChannel.sent[0].text
    assert sweep.delay().get() == {"replaced": 0, "published": 0, "reinstated": 0}
    clock.advance(timedelta(days=3))
    assert sweep.delay().get()["published"] == 1
    assert sweep.delay().get()["published"] == 0
    events = service.draw_events(draw.id)
    assert [e["action"] for e in events].count("expert_draw.salts_published") == 1
    assert not [i for i in req.invitations if i.status == InvitationStatus.STANDBY]


def test_cli_verify_notices_stored_seats_that_differ_from_the_log(world, make_expert, make_request, app):
    for _ in range(6):
        make_expert(["B01"])
    req = make_request(counts=(("B01", 5, 0),))
    draw = service.commit_draw(world.users["agency"], req)
    service.run_draw(draw, world.users["supervisor"], "123456")
    db.session.commit()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["expert-draw", "verify", str(draw.id)]).output.startswith("MATCH")
    inv = db.session.query(Invitation).filter_by(draw_id=draw.id).first()
    inv.leaf = "ab" * 32
    db.session.commit()
    result = runner.invoke(args=["expert-draw", "verify", str(draw.id)])
    assert result.exit_code == 1 and "DIFFERENCE stored invitations" in result.output
