"""Steps of the evaluation tests (tests/evaluation/), on the `room` fixture's world: the same moves
through the real services that several tests need before the part they test."""

from __future__ import annotations


def declare_and_elect(room, cid: int):
    """Four experts declare no conflict, experts[3] declares a conflict and leaves; the room waits until
    the reserve is seated as his replacement and declares (`seat_replacement`); three of the five taking
    part elect the first as chair. Returns the committee."""
    from evaluation import service

    for user in (*room.experts[:3], room.experts[4]):
        service.sign_declaration(user, cid, conflict=False)
    service.sign_declaration(room.experts[3], cid, conflict=True, note="近三年曾在投标人处任职")
    seat_replacement(room, cid, room.experts[3])
    committee = service.get_committee(cid)
    chair = next(m for m in committee.members if m.user_id == room.experts[0].id)
    for user in room.experts[:3]:
        service.vote_chair(user, cid, chair.id)
    return committee


def seat_replacement(room, cid: int, leaving, *, declare: bool = True):
    """The draw's replacement for a member who left: his invitation is withdrawn and the reserve's
    replacement invitation confirmed (rows, as the fixture writes the draw), the agency seats the
    reserve, who declares no conflict (with `declare`). Returns the new member."""
    from datetime import timedelta

    from sqlalchemy import select

    from core import clock
    from core.db import db
    from evaluation import service
    from expert_draw.models import Invitation, InvitationKind, InvitationStatus
    from registry.experts.models import Expert

    committee = service.get_committee(cid)
    gone = next(m for m in committee.members if m.user_id == leaving.id)
    old = db.session.get(Invitation, gone.invitation_id)
    old.status = InvitationStatus.WITHDRAWN
    expert = db.session.scalar(select(Expert).where(Expert.user_id == room.reserve.id))
    now = clock.now()
    db.session.add(Invitation(request_id=old.request_id, expert_id=expert.id, specialty_code=old.specialty_code,
                              kind=InvitationKind.REPLACEMENT, leaf=f"{99:064x}", status=InvitationStatus.CONFIRMED,
                              reply_code=f"RR{old.id:04d}{old.request_id}", notified_at=now - timedelta(seconds=1),
                              responded_at=now, replaces_id=old.id))
    db.session.flush()
    (member,) = service.refresh_members(room.agency, cid)
    if declare:
        service.sign_declaration(room.reserve, cid, conflict=False)
    return member


def review_all_pass(room, cid: int, *, finish: bool = True):
    """The chair starts the review, the five experts taking part pass every bid on every requirement and, with
    `finish`, the chair finishes it (the room moves to scoring). Returns the committee."""
    from evaluation import service

    committee = service.get_committee(cid)
    service.start_review(room.experts[0], cid)
    for user in room.panel:
        for stage, reqs in service.requirements_of(committee).items():
            service.submit_review(user, cid, stage, [{"bid_id": b.id, "requirement": r, "passed": True}
                                                     for b in room.bids for r in reqs])
    if finish:
        service.finish_review(room.experts[0], cid)
    return committee


def as_user(client, user, clock) -> None:
    """Switch the test client to `user` (logged in through the pages); the clock moves on so a TOTP code
    is never reused."""
    from datetime import timedelta

    from tests_helpers import login

    clock.advance(timedelta(seconds=31))
    client.post("/logout")
    assert login(client, user).status_code == 302


def no_inline(html: str) -> None:
    """The page keeps the strict CSP: no inline script, style or event handler."""
    import re

    assert "<style" not in html and " style=" not in html and " onclick=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"


def sign_report(room, clock, report) -> None:
    """The five experts taking part sign the report, each with a fresh TOTP code."""
    from datetime import timedelta

    from tests_helpers import totp_code

    from evaluation import service

    clock.advance(timedelta(seconds=31))
    for user in room.panel:
        service.sign_report(user, report.id, totp_code(user))


def publish_first_candidate(room, cid: int, report):
    """The agency sends the signed report, the purchaser confirms the first candidate, the agency publishes
    the result. Returns the award."""
    from evaluation import service

    award = service.send_report(room.agency, cid)
    service.confirm_winner(room.purchaser, award.id, report.candidates[0].id)
    service.publish_result(room.agency, award.id)
    return award


def past_challenge_period(clock, award) -> None:
    """Move the clock to 09:00 on the day after the award's challenge period: the contract may be signed
    (evaluation.periods.signing_held)."""
    from datetime import timedelta

    from core import clock as core_clock
    from evaluation.periods import challenge_due

    clock.set(core_clock.end_of_local_day(challenge_due(award)) + timedelta(hours=9))
