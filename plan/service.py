"""The plan package's access module: what other packages (tender, mall) use of it, re-exported."""

from __future__ import annotations

from plan.confirmations import (
    can_use,
    confirmation_by_number,
    draw_budget,
    draws_of_subject,
    get_confirmation,
    release_budget,
    release_subject,
    remaining_fen,
    usable_confirmations,
)
from plan.models import BudgetDraw, Confirmation
from plan.rules import DECENTRALISED_LIMIT, PUBLIC_TENDER_THRESHOLD, decentralised_limit, public_tender_threshold
from plan.thresholds import SplitCheck, SplitLevel, check_split_purchase, split_source

__all__ = ["DECENTRALISED_LIMIT", "PUBLIC_TENDER_THRESHOLD", "BudgetDraw", "Confirmation", "SplitCheck",
           "SplitLevel", "can_use", "check_split_purchase", "confirmation_by_number", "decentralised_limit",
           "draw_budget", "draws_of_subject", "get_confirmation", "public_tender_threshold", "release_budget",
           "release_subject", "remaining_fen", "split_source", "usable_confirmations"]
