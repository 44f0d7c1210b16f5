"""Steps of the evaluation tests (tests/evaluation/), on the `room` fixture's world: the same moves
through the real services that several tests need before the part they test."""

from __future__ import annotations


def declare_and_elect(room, cid: int):
    """Three experts declare no conflict, the fourth a conflict (and leaves); the first is elected chair.
    Returns the committee."""
    from evaluation import service

    for user in room.experts[:3]:
        service.sign_declaration(user, cid, conflict=False)
    service.sign_declaration(room.experts[3], cid, conflict=True, note="近三年曾在投标人处任职")
    committee = service.get_committee(cid)
    chair = next(m for m in committee.members if m.user_id == room.experts[0].id)
    for user in room.experts[:2]:
        service.vote_chair(user, cid, chair.id)
    return committee


def review_all_pass(room, cid: int, *, finish: bool = True):
    """The chair starts the review, the three experts pass every bid on every requirement and, with
    `finish`, the chair finishes it (the room moves to scoring). Returns the committee."""
    from evaluation import service

    committee = service.get_committee(cid)
    service.start_review(room.experts[0], cid)
    for user in room.experts[:3]:
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
    """The three experts sign the report, each with a fresh TOTP code."""
    from datetime import timedelta

    from tests_helpers import totp_code

    from evaluation import service

    clock.advance(timedelta(seconds=31))
    for user in room.experts[:3]:
        service.sign_report(user, report.id, totp_code(user))


def publish_first_candidate(room, cid: int, report):
    """The agency sends the signed report, the purchaser confirms the first candidate, the agency publishes
    the result. Returns the award."""
    from evaluation import service

    award = service.send_report(room.agency, cid)
    service.confirm_winner(room.purchaser, award.id, report.candidates[0].id)
    service.publish_result(room.agency, award.id)
    return award
