"""Celery tasks: notify drawn experts, and the sweep that times out replies and unseals names."""

from __future__ import annotations

from celery import shared_task
from flask import current_app

from core import clock
from core.db import db
from core.links import public_url


@shared_task(name="expert_draw.tasks.notify")
def notify(invitation_ids: list[int]) -> int:
    """Send each invitation on every configured channel; a failing channel does not stop the others."""
    from expert_draw.models import Invitation, InvitationStatus
    from expert_draw.notify import Message, send_everywhere
    from registry.experts.onboarding import issue_activation

    sent = 0
    for inv_id in invitation_ids:
        inv = db.session.get(Invitation, inv_id)
        if inv is None or inv.status != InvitationStatus.INVITED:
            continue
        req = inv.request
        link = public_url("expert_draw.reply", code=inv.reply_code)
        where = "远程评审" if req.is_remote else req.place
        text = (
            f"【标云】您被抽取为评审专家：评审时间 {clock.format_local(req.evaluation_start_at)}，"
            f"地点 {where}。请于 {clock.format_local(inv.deadline_at)} 前登录确认或拒绝：{link}"
            f"（答复码 {inv.reply_code}）"
        )
        if inv.expert.user_id is None:  # imported, no account yet: a phone reply, or activate and reply online
            issued = issue_activation(None, inv.expert)
            db.session.commit()
            text += (f"。您尚未开通账户，可致电代理机构报答复码答复，或先开通账户："
                     f"{public_url('registry_experts.activate', token=issued.token)}")
        message = Message(phone=inv.expert.phone, email=inv.expert.email, subject="评审邀请", text=text)
        if inv.expert.user_id is not None:
            from core.tasks import send_message

            send_message.delay(
                {
                    "title": "评审邀请",
                    "body": f"评审时间 {clock.format_local(req.evaluation_start_at)}，请及时答复。",
                    "level": "info",
                    "url": f"/expert-draw/reply/{inv.reply_code}",
                },
                user_ids=[inv.expert.user_id],
            )
        sent += send_everywhere(message, current_app.config, "expert notification")
    return sent


@shared_task(name="expert_draw.tasks.notify_cancelled")
def notify_cancelled(invitation_ids: list[int]) -> int:
    """Tell each expert who was invited or had confirmed that the evaluation will not take place."""
    from expert_draw.models import Invitation
    from expert_draw.notify import Message, send_everywhere

    sent = 0
    for inv_id in invitation_ids:
        inv = db.session.get(Invitation, inv_id)
        if inv is None:
            continue
        req = inv.request
        when = clock.format_local(req.evaluation_start_at)
        text = f"【标云】原定于 {when} 的评审已取消，您无需参加。给您带来不便，敬请谅解。（答复码 {inv.reply_code}）"
        if inv.expert.user_id is not None:
            from core.tasks import send_message

            send_message.delay({"title": "评审已取消", "body": f"原定于 {when} 的评审已取消，您无需参加。",
                                "level": "warning", "url": "/expert-draw/my"}, user_ids=[inv.expert.user_id])
        message = Message(phone=inv.expert.phone, email=inv.expert.email, subject="评审取消通知", text=text)
        sent += send_everywhere(message, current_app.config, "cancellation notice")
    return sent


@shared_task(name="expert_draw.tasks.sweep")
def sweep() -> dict:
    """Time out unanswered invitations (and replace them), unseal names at the evaluation start,
    end timed suspensions: one run of the chronograph's `expert-draw-sweep` (expert_draw/timed.py)."""
    from core import chronograph

    return chronograph.run_sweep("expert-draw-sweep")  # declared in expert_draw/timed.py
