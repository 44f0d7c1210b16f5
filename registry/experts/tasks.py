"""Celery task: send an expert's activation link (SMS, voice, e-mail: the draw's channels)."""

from __future__ import annotations

from celery import shared_task
from flask import current_app

from core import clock
from core.db import db
from core.links import public_url


@shared_task(name="registry.experts.tasks.send_activation")
def send_activation(activation_id: int, token: str) -> int:
    """Send the link on every configured channel; a failing channel does not stop the others. The token
    travels only in this message: the database keeps its digest."""
    from expert_draw.notify import Message, send_everywhere
    from registry.experts.models import Activation
    from registry.experts.onboarding import activation_message

    activation = db.session.get(Activation, activation_id)
    if activation is None or activation.used_at is not None or activation.expires_at <= clock.now():
        return 0
    expert = activation.expert
    text = activation_message(expert, public_url("registry_experts.activate", token=token),
                              clock.format_local(activation.expires_at))
    message = Message(phone=expert.phone, email=expert.email, subject="专家账户激活", text=text)
    return send_everywhere(message, current_app.config, "activation message")
