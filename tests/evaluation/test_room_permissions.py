"""Who sees what when, through the real room: at each stage, for each kind of viewer, whether the
decrypted bids open, how many scores show, and whether the report can be read."""

from __future__ import annotations

from datetime import timedelta

from evaluation_helpers import seat_replacement
from tests_helpers import totp_code

from core.errors import DomainError

# stage -> viewer -> (reads bids, scores seen, reads report)
EXPECTED = {
    "declaring": {"member": (False, 0, False), "agency": (False, 0, False), "supervisor": (False, 0, False),
                  "purchaser": (False, 0, False), "conflicted": (False, 0, False), "outsider": (False, 0, False)},
    "reviewing": {"member": (True, 0, False), "agency": (False, 0, False), "supervisor": (False, 0, False),
                  "purchaser": (False, 0, False), "conflicted": (False, 0, False), "outsider": (False, 0, False)},
    # the chair (expert 0) has submitted; "member" (expert 1) has not: he sees nothing, the chair sees all so far
    "scoring": {"member": (True, 0, False), "chair": (True, 6, False), "agency": (False, 0, False),
                "supervisor": (False, 0, False), "purchaser": (False, 0, False), "outsider": (False, 0, False)},
    "summary": {"member": (True, 30, False), "agency": (False, 0, False), "supervisor": (False, 30, False),
                "purchaser": (False, 0, False), "outsider": (False, 0, False)},
    "reporting": {"member": (True, 30, True), "agency": (False, 0, False), "supervisor": (False, 30, True),
                  "purchaser": (False, 0, False), "outsider": (False, 0, False)},
    "completed": {"member": (False, 30, True), "agency": (False, 30, True), "supervisor": (False, 30, True),
                  "purchaser": (False, 0, False), "outsider": (False, 0, False)},
}


def _viewers(room):
    return {"member": room.experts[1], "chair": room.experts[0], "agency": room.agency,
            "supervisor": room.supervisor, "purchaser": room.purchaser, "conflicted": room.experts[3],
            "outsider": room.outsider}


def _observe(room, committee_id, stage):
    from core.db import db
    from evaluation import service

    committee = service.get_committee(committee_id)
    assert committee.status.value == stage
    for who, (bids, scores, report) in EXPECTED[stage].items():
        user = _viewers(room)[who]
        try:
            service.bid_documents(user, committee_id, room.bids[0].id)
            read = True
        except DomainError:
            read = False
        seen = len(service.scores_visible_to(user, committee))
        got = (read, seen, service.can_read_report(user, committee))
        assert got == (bids, scores, report), f"{stage}/{who}: {got}"
    db.session.rollback()


def test_who_sees_what_at_each_stage(room, clock):
    from core.db import db
    from evaluation import service

    clock.advance(timedelta(minutes=31))
    cid = service.open_evaluation(room.agency, room.lot.id).id
    for user in (*room.experts[:3], room.experts[4]):
        service.sign_declaration(user, cid, conflict=False)
    service.sign_declaration(room.experts[3], cid, conflict=True, note="回避")
    db.session.commit()
    _observe(room, cid, "declaring")
    seat_replacement(room, cid, room.experts[3])
    committee = service.get_committee(cid)
    chair = next(m for m in committee.members if m.user_id == room.experts[0].id)
    for user in room.experts[:3]:
        service.vote_chair(user, cid, chair.id)
    service.start_review(room.experts[0], cid)
    db.session.commit()
    _observe(room, cid, "reviewing")
    for user in room.panel:
        for stage, reqs in service.requirements_of(committee).items():
            service.submit_review(user, cid, stage, [{"bid_id": b.id, "requirement": r, "passed": True}
                                                     for b in room.bids for r in reqs])
    service.finish_review(room.experts[0], cid)
    clock.advance(timedelta(seconds=31))
    sheet = {b.id: {"技术": "40", "商务": "12"} for b in room.bids}
    service.submit_scores(room.experts[0], cid, sheet, totp_code(room.experts[0]))
    db.session.commit()
    _observe(room, cid, "scoring")
    for user in room.panel[1:]:
        service.submit_scores(user, cid, sheet, totp_code(user))
    service.start_summary(room.experts[0], cid)
    db.session.commit()
    _observe(room, cid, "summary")
    report = service.accept_summary(room.experts[0], cid)
    db.session.commit()
    _observe(room, cid, "reporting")
    clock.advance(timedelta(seconds=31))
    for user in room.panel:
        service.sign_report(user, report.id, totp_code(user))
    db.session.commit()
    _observe(room, cid, "completed")
    service.send_report(room.agency, cid)
    db.session.commit()
    assert service.can_read_report(room.purchaser, service.get_committee(cid))  # once it is sent to him
