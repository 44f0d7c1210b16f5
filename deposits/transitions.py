"""The deposit's statuses and its one transition table (bid deposits and performance securities alike)."""

from __future__ import annotations

import enum

from core import transitions


class Purpose(enum.StrEnum):
    BID = "bid"                  # 投标保证金 (实施条例第33条)
    PERFORMANCE = "performance"  # 履约保证金 (实施条例第48条)


class Form(enum.StrEnum):
    TRANSFER = "transfer"    # into the supplier's virtual sub-account of the agency
    GUARANTEE = "guarantee"  # an electronic guarantee letter (电子保函) of a bank or an insurer
    WAIVED = "waived"        # no deposit: waived for this supplier (SME declaration) or for the lot


class DepositStatus(enum.StrEnum):
    AWAITING = "awaiting"        # sub-account issued, nothing (or not enough) received yet
    HELD = "held"                # paid in full before the deadline, or a valid guarantee letter
    WAIVED = "waived"            # waived: nothing to hold, nothing to refund
    REFUND_DUE = "refund_due"    # the refund (or a letter's release) is scheduled, with its deadline
    REFUND_SENT = "refund_sent"  # the refund order went to the bank (or the release to the issuer)
    REFUNDED = "refunded"        # the bank (issuer) confirmed it
    FORFEITED = "forfeited"      # kept, with the reason (a withdrawal after the deadline, a winner refusing to sign)


S = DepositStatus
DEPOSIT = transitions.lifecycle(DepositStatus, {
    (S.AWAITING, S.HELD), (S.AWAITING, S.REFUND_DUE), (S.HELD, S.REFUND_DUE), (S.REFUND_DUE, S.REFUND_SENT),
    (S.REFUND_SENT, S.REFUNDED), (S.HELD, S.FORFEITED),
}, code="deposit_transition_refused", event="deposits.status")

move = transitions.move
