"""The draw's timed steps (the chronograph's `expert-draw-sweep`, every minute): unanswered invitations
time out at their deadline and are replaced, the salts are published at the evaluation start, and timed
suspensions of experts end. The replacements are notified after each invitation's commit (declared by
`replying.replace_seat`)."""

from __future__ import annotations

from core import clock
from core.chronograph import Outcomes, Sweep, TimedStep
from expert_draw.models import DrawRequest, Invitation, InvitationStatus, RequestStatus
from registry.experts.models import Expert, ExpertStatus

SWEEP_SECONDS = 60.0
SALTS_PUBLISHED_IN = (RequestStatus.DRAWN, RequestStatus.SHORT, RequestStatus.COMPLETE)


def _time_out(inv: Invitation) -> list[int]:
    from expert_draw.replying import time_out_invitation

    return time_out_invitation(inv)


def _publish_salts(req: DrawRequest) -> bool:
    from expert_draw.unsealing import publish_salts

    publish_salts(req)
    return True


def _reinstate(expert: Expert) -> bool:
    from registry.experts.service import reinstate_expert

    reinstate_expert(None, expert)
    return True


def _suspension_over(now):
    from registry.experts.service import suspension_over

    return suspension_over(clock.to_local(now).date())


def _report(outcomes: dict[str, Outcomes]) -> dict:
    return {"replaced": sum(len(new) for new in outcomes[TIME_OUT.name].values()),
            "published": len(outcomes[PUBLISH_SALTS.name]), "reinstated": len(outcomes[END_SUSPENSION.name])}


TIME_OUT = TimedStep("expert_draw.time_out_invitation", Invitation, _time_out, InvitationStatus.INVITED,
                     InvitationStatus.TIMED_OUT, due=Invitation.deadline_at)
PUBLISH_SALTS = TimedStep("expert_draw.publish_salts", DrawRequest, _publish_salts, SALTS_PUBLISHED_IN,
                          due=DrawRequest.evaluation_start_at,
                          where=lambda _now: DrawRequest.salts_published_at.is_(None))
END_SUSPENSION = TimedStep("registry.end_suspension", Expert, _reinstate, ExpertStatus.SUSPENDED, ExpertStatus.ACTIVE,
                           where=_suspension_over)
SWEEP = Sweep("expert-draw-sweep", SWEEP_SECONDS, (TIME_OUT, PUBLISH_SALTS, END_SUSPENSION),
              actor="system:expert_draw.sweep", report=_report)
