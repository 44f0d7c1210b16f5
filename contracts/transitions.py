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


class AcceptanceStatus(enum.StrEnum):
    ORGANISED = "organised"  # the purchaser set the acceptance group; the result not recorded yet
    SIGNING = "signing"      # the report recorded: every member signs its digest
    PASSED = "passed"        # signed by all, every item accepted: payment falls due
    FAILED = "failed"        # signed by all, something not accepted: the remedy is recorded


A = AcceptanceStatus
ACCEPTANCE = transitions.lifecycle(AcceptanceStatus, {
    (A.ORGANISED, A.SIGNING), (A.SIGNING, A.PASSED), (A.SIGNING, A.FAILED),
}, code="acceptance_transition_refused", event="contract.acceptance_status")
