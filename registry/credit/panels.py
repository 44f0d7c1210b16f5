"""Credit's part of the supervision page (portal.supervision): the warning cards of the region's organisations
that wait for the supervisor's decision (answered, or open past the supplier's time to answer) or for the
supplier's statement."""

from __future__ import annotations

from datetime import datetime

from flask import url_for
from flask_babel import gettext
from sqlalchemy import select

from core.db import db
from portal.supervision import Item, warning_source
from registry.credit.models import CardStatus, WarningCard
from registry.credit.views import CARD_LABELS, RULE_LABELS


@warning_source
def credit_cards(regions: set[str], now: datetime) -> list[Item]:
    cards = db.session.scalars(select(WarningCard).where(
        WarningCard.status.in_([CardStatus.OPEN, CardStatus.ANSWERED]),
        WarningCard.region_code.in_(sorted(regions))).order_by(WarningCard.issued_at.desc()).limit(50))
    out = []
    for card in cards:
        waiting = card.status is CardStatus.ANSWERED or card.respond_due_at < now
        note = gettext(CARD_LABELS[card.status.value]) + (" · " + gettext("待监管部门决定") if waiting else "")
        kind = gettext("诚信预警") + " · " + gettext(RULE_LABELS.get(card.rule, card.rule))
        out.append(Item(f"credit.card:{card.id}", kind, card.org.name, card.region_code,
                        url_for("registry_credit.card", card_id=card.id), card.issued_at, note=note))
    return out
