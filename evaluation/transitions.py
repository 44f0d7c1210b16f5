"""Statuses and the one transition table of each evaluation lifecycle (committee, member, report, award).

`move(obj, to)` (core.transitions) is the only way a status changes: an unknown (from, to) pair
raises `Conflict` with a stable code (`committee_transition_refused`, `member_…`, `report_…`,
`award_…`), whatever the caller, and every move writes its audit event (`evaluation.status.<name>`).

The committee's stages follow the room: members seated from the draw sign their avoidance
declarations and elect a chair (`declaring`), review qualifications and compliance
(`reviewing`), score (`scoring`, skipped by the lowest-price method), check and accept the
summary (`summary`), sign the report (`reporting`), and hand it over (`completed`). The agency
may suspend a session (a member lost, a replacement being drawn) and resume it at the stage it
left (`Committee.suspended_from`). After signing, only a re-evaluation organised by the
purchaser or agency (87号令 Art 64 (2)) or an upheld challenge reopens it, at `summary` or at
`reviewing`. Too few valid bids make the lot fail (`failed`).

A complaint to finance (投诉, 94号令) is filed, then accepted or refused by finance; an accepted one
is dismissed or upheld.
"""

from __future__ import annotations

import enum

from core import transitions


class CommitteeStatus(enum.StrEnum):
    FORMING = "forming"        # seated from the draw, the room not yet open
    DECLARING = "declaring"    # room open: avoidance declarations, chair election
    REVIEWING = "reviewing"    # qualification and compliance review, clarifications, low prices
    SCORING = "scoring"        # members score independently
    SUMMARY = "summary"        # consistency checks, corrections with reasons, summary accepted
    REPORTING = "reporting"    # summary locked, report generated and being signed
    COMPLETED = "completed"    # report signed by every member, sent to the purchaser
    SUSPENDED = "suspended"
    FAILED = "failed"          # too few valid bids: the lot fails (废标)


class MemberStatus(enum.StrEnum):
    SEATED = "seated"          # confirmed through the draw (or the purchaser's representative)
    DECLARED = "declared"      # avoidance declaration signed, no conflict: takes part
    CONFLICT = "conflict"      # declared a conflict: leaves, a replacement is drawn
    LEFT = "left"              # left during the evaluation (replaced; the scores are redone)


class ReportStatus(enum.StrEnum):
    DRAFT = "draft"            # generated from the locked summary
    SIGNING = "signing"        # members sign (TOTP), dissents recorded
    SIGNED = "signed"
    SUPERSEDED = "superseded"  # replaced after a re-evaluation


class AwardStatus(enum.StrEnum):
    PENDING = "pending"        # report sent; the purchaser confirms a candidate (deadline in working days)
    CONFIRMED = "confirmed"    # winner confirmed
    NOTIFIED = "notified"      # result notice published, award notice and result letters sent
    CONTRACTED = "contracted"  # contract signed by both parties
    VOIDED = "voided"          # challenge upheld, winner disqualified, or winner declined


class ComplaintStatus(enum.StrEnum):
    FILED = "filed"            # received by finance; accepted or refused within 5 working days
    ACCEPTED = "accepted"      # being handled (the procurement may be suspended)
    REFUSED = "refused"        # not accepted (out of time, no prior challenge…), with the reason
    DISMISSED = "dismissed"    # decided: the complaint fails (驳回)
    UPHELD = "upheld"          # decided: the complaint holds, with a remedy


C, M, R, A, K = CommitteeStatus, MemberStatus, ReportStatus, AwardStatus, ComplaintStatus
_ACTIVE = (C.DECLARING, C.REVIEWING, C.SCORING, C.SUMMARY, C.REPORTING)

TRANSITIONS: dict[type[enum.Enum], frozenset[tuple[enum.Enum, enum.Enum]]] = {
    CommitteeStatus: frozenset({
        (C.FORMING, C.DECLARING),
        (C.DECLARING, C.REVIEWING),
        (C.REVIEWING, C.SCORING),
        (C.REVIEWING, C.SUMMARY),       # lowest evaluated price method: nothing to score
        (C.REVIEWING, C.FAILED),
        (C.SCORING, C.SUMMARY),
        (C.SCORING, C.REVIEWING),       # a clarification shows a bid was wrongly passed
        (C.SUMMARY, C.SCORING),         # a score corrected for an allowed reason
        (C.SUMMARY, C.REPORTING),
        (C.SUMMARY, C.FAILED),
        (C.REPORTING, C.SUMMARY),       # an Art 64 error found before every member signed
        (C.REPORTING, C.COMPLETED),
        (C.COMPLETED, C.SUMMARY),       # re-evaluation by the original committee (Art 64 (2))
        (C.COMPLETED, C.REVIEWING),     # upheld challenge on a review decision
        *((s, C.SUSPENDED) for s in _ACTIVE),
        *((C.SUSPENDED, s) for s in _ACTIVE),  # resume where it left (see Committee.suspended_from)
        (C.SUSPENDED, C.FAILED),
    }),
    MemberStatus: frozenset({
        (M.SEATED, M.DECLARED), (M.SEATED, M.CONFLICT), (M.DECLARED, M.CONFLICT), (M.DECLARED, M.LEFT),
    }),
    ReportStatus: frozenset({
        (R.DRAFT, R.SIGNING), (R.DRAFT, R.SUPERSEDED), (R.SIGNING, R.SIGNED), (R.SIGNING, R.SUPERSEDED),
        (R.SIGNED, R.SUPERSEDED),
    }),
    AwardStatus: frozenset({
        (A.PENDING, A.CONFIRMED), (A.CONFIRMED, A.NOTIFIED), (A.NOTIFIED, A.CONTRACTED),
        (A.PENDING, A.VOIDED), (A.CONFIRMED, A.VOIDED), (A.NOTIFIED, A.VOIDED),
    }),
    ComplaintStatus: frozenset({
        (K.FILED, K.ACCEPTED), (K.FILED, K.REFUSED), (K.ACCEPTED, K.DISMISSED), (K.ACCEPTED, K.UPHELD),
    }),
}



def _resumes_where_it_left(committee: object, current: enum.Enum, to: enum.Enum) -> bool:
    """A committee resumed from `suspended` may only go back to the stage it was suspended from."""
    return current is not C.SUSPENDED or to is C.FAILED or getattr(committee, "suspended_from", None) == to


def _remember_where_it_left(committee: object, current: enum.Enum, to: enum.Enum) -> None:
    if to is C.SUSPENDED:
        committee.suspended_from = current  # type: ignore[attr-defined]
    elif current is C.SUSPENDED:
        committee.suspended_from = None  # type: ignore[attr-defined]


for _status, _pairs in TRANSITIONS.items():
    _name = _status.__name__.removesuffix("Status").lower()  # committee, member, report, award, contract…
    transitions.lifecycle(_status, _pairs, code=f"{_name}_transition_refused", event=f"evaluation.status.{_name}",
                          **({"allows": _resumes_where_it_left, "applies": _remember_where_it_left}
                             if _status is CommitteeStatus else {}))

can_move = transitions.can_move
move = transitions.move  # every status change of the evaluation's aggregates: checked and audited
