"""A contract's lifecycle, the same whatever it comes from."""

from __future__ import annotations

import enum

from core import transitions


class ContractStatus(enum.StrEnum):
    DRAFT = "draft"      # drafted from the records; the open terms still editable
    SIGNING = "signing"  # one party signed: the text is frozen until the other signs
    SIGNED = "signed"    # both parties signed with their keys: notice published, the source concluded
    VOIDED = "voided"    # the source (an award, an order…) was voided before both parties signed


S = ContractStatus
CONTRACT = transitions.lifecycle(ContractStatus, {
    (S.DRAFT, S.SIGNING), (S.SIGNING, S.SIGNED), (S.DRAFT, S.VOIDED), (S.SIGNING, S.VOIDED),
}, code="contract_transition_refused", event="contract.status")

move = transitions.move
