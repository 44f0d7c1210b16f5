"""Who may see or do what in the evaluation room, at which stage: the one table the views consult.

Decided here and nowhere else (no template or handler decides visibility on its own):
- decrypted bids are readable only by members who signed their avoidance declaration, and only
  while the evaluation runs (review to report); every view is audited by the caller;
- a member sees the other members' scores only once he has submitted all of his own, and every
  member sees them from the summary on; the agency runs the room's clock but sees no score
  until the report is signed and handed over; the supervisor (finance) observes progress
  throughout and reads scores from the summary on, without changing anything;
- a member changes his own scores while scoring; after the summary only through
  `consistency.check_score_change` (87号令 Art 64), which the `AMEND_SCORE` right requires;
- a bidder sees only its own clarification questions, while the committee may ask them.
"""

from __future__ import annotations

import enum

from evaluation.transitions import CommitteeStatus

__all__ = ["Action", "Actor", "can"]

C = CommitteeStatus


class Actor(enum.StrEnum):
    MEMBER = "member"              # an expert or the purchaser's representative, declared
    CHAIR = "chair"                # a member elected chair: a member's rights plus the chair's
    AGENCY = "agency"              # the agency's staff running the room
    SUPERVISOR = "supervisor"      # finance supervision, observing
    BIDDER = "bidder"              # a supplier, about its own bid only


class Action(enum.StrEnum):
    SEE_PROGRESS = "see_progress"            # who is present, the stage, who has finished it
    READ_BIDS = "read_bids"                  # decrypted bid documents
    REVIEW = "review"                        # mark pass/fail in the qualification/compliance review
    ASK_CLARIFICATION = "ask_clarification"
    ANSWER_CLARIFICATION = "answer_clarification"
    SCORE = "score"                          # enter or change one's own scores
    SEE_OWN_SCORES = "see_own_scores"
    SEE_ALL_SCORES = "see_all_scores"
    AMEND_SCORE = "amend_score"              # change a score after the summary, for an Art 64 reason
    ACCEPT_SUMMARY = "accept_summary"
    SIGN_REPORT = "sign_report"
    READ_REPORT = "read_report"
    RUN_CLOCK = "run_clock"                  # open, suspend, resume the room


_EVALUATING = frozenset({C.REVIEWING, C.SCORING, C.SUMMARY, C.REPORTING})
_ROOM_OPEN = frozenset({C.DECLARING, *_EVALUATING, C.SUSPENDED})
_AFTER_SUMMARY = frozenset({C.SUMMARY, C.REPORTING, C.COMPLETED})

_MEMBER: dict[Action, frozenset[CommitteeStatus]] = {
    Action.SEE_PROGRESS: _ROOM_OPEN,
    Action.READ_BIDS: _EVALUATING,
    Action.REVIEW: frozenset({C.REVIEWING}),
    Action.ASK_CLARIFICATION: frozenset({C.REVIEWING, C.SCORING}),
    Action.SCORE: frozenset({C.SCORING}),
    Action.SEE_OWN_SCORES: frozenset({C.SCORING, *_AFTER_SUMMARY}),
    Action.SEE_ALL_SCORES: _AFTER_SUMMARY,  # and while scoring, once his own are all in (see `can`)
    Action.SIGN_REPORT: frozenset({C.REPORTING}),
    Action.READ_REPORT: frozenset({C.REPORTING, C.COMPLETED}),
}
TABLE: dict[Actor, dict[Action, frozenset[CommitteeStatus]]] = {
    Actor.MEMBER: _MEMBER,
    Actor.CHAIR: _MEMBER | {Action.ACCEPT_SUMMARY: frozenset({C.SUMMARY}),
                            Action.AMEND_SCORE: frozenset({C.SUMMARY, C.REPORTING})},
    Actor.AGENCY: {
        Action.SEE_PROGRESS: _ROOM_OPEN | {C.FORMING},
        Action.RUN_CLOCK: frozenset({C.FORMING, *_ROOM_OPEN}),
        Action.READ_REPORT: frozenset({C.COMPLETED}),
        Action.SEE_ALL_SCORES: frozenset({C.COMPLETED}),
    },
    Actor.SUPERVISOR: {
        Action.SEE_PROGRESS: _ROOM_OPEN | {C.FORMING, C.COMPLETED, C.FAILED},
        Action.SEE_ALL_SCORES: _AFTER_SUMMARY,
        Action.READ_REPORT: frozenset({C.REPORTING, C.COMPLETED}),
    },
    Actor.BIDDER: {
        Action.ANSWER_CLARIFICATION: frozenset({C.REVIEWING, C.SCORING}),
    },
}


def can(actor: Actor | str, action: Action | str, stage: CommitteeStatus | str, *,
        own_scores_submitted: bool = False) -> bool:
    """Whether `actor` may `action` at `stage`; a member's member-only rights assume he has declared."""
    actor, action, stage = Actor(actor), Action(action), CommitteeStatus(stage)
    if stage in TABLE[actor].get(action, frozenset()):
        return True
    # A member who has submitted all his scores may see the others' while the rest still score.
    return (actor in (Actor.MEMBER, Actor.CHAIR) and action is Action.SEE_ALL_SCORES
            and stage is C.SCORING and own_scores_submitted)
