"""Celery task: send an imported supplier's activation link by SMS (and the other configured channels)."""

from __future__ import annotations

from celery import shared_task
from flask import current_app

from core import clock
from core.db import db
from core.links import public_url
from registry.suppliers.models import Supplier, SupplierActivation


def activation_message(supplier: Supplier, link: str, expires_text: str) -> str:
    return (f"【标云】{supplier.name}：贵单位已在政府采购供应商库中。请于 {expires_text} 前打开链接设置管理员账户，"
            f"以便在线投标和维护供应商信息：{link}")


@shared_task(name="registry.suppliers.tasks.send_activation")
def send_activation(activation_id: int, token: str) -> int:
    """The token travels only in this message: the database keeps its digest. A link used or replaced
    before the worker got to it is not sent."""
    from expert_draw.notify import Message, send_everywhere

    activation = db.session.get(SupplierActivation, activation_id)
    if activation is None or activation.used_at is not None or activation.expires_at <= clock.now():
        return 0
    text = activation_message(activation.supplier, public_url("registry_suppliers.activate", token=token),
                              clock.format_local(activation.expires_at))
    message = Message(phone=activation.phone, email=None, subject="供应商账户激活", text=text)
    return send_everywhere(message, current_app.config, "supplier activation message")
