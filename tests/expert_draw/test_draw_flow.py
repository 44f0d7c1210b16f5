"""The draw end to end: request, commit, supervisor's number, invitations, verification."""

from core.db import db
from expert_draw import service
from expert_draw.models import RequestStatus
from expert_draw.verifier import verify_draw


def test_request_commit_draw_verify(world, make_expert, make_request):
    for _ in range(8):
        make_expert(["B01"])
    for _ in range(5):
        make_expert(["C01"])
    req = make_request()
    draw = service.commit_draw(world.users["agency"], req)
    db.session.commit()
    assert req.status == RequestStatus.COMMITTED
    notify = service.run_draw(draw, world.users["supervisor"], "20261127")
    db.session.commit()
    assert len(notify) == 5
    states = sorted(i.status.value for i in req.invitations)
    assert states.count("invited") == 5 and states.count("standby") == 2
    check = verify_draw(service.draw_events(draw.id), draw.id)
    assert check.primary == 5 and check.backup == 2
