"""Statuses and the one transition table of each tender lifecycle (project, lot, bid).

`move(obj, to)` (core.transitions) is the only way a status changes: an unknown (from, to) pair
raises `Conflict` with a stable code, whatever the caller, and every move is audited.
"""

from __future__ import annotations

import enum

from core import transitions


class Category(enum.StrEnum):
    GOODS = "goods"
    SERVICES = "services"
    WORKS = "works"


class Method(enum.StrEnum):
    PUBLIC_TENDER = "public_tender"
    INVITED_TENDER = "invited_tender"
    COMPETITIVE_NEGOTIATION = "competitive_negotiation"
    COMPETITIVE_CONSULTATION = "competitive_consultation"
    INQUIRY = "inquiry"
    SINGLE_SOURCE = "single_source"


class EvalMethod(enum.StrEnum):
    SCORING = "scoring"
    LOWEST_PRICE = "lowest_price"


class OpeningMode(enum.StrEnum):
    CUSTODIAN = "custodian"
    BIDDER = "bidder"


class ProjectStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"    # notice out, bids not yet accepted (notice time in the future)
    BIDDING = "bidding"        # open for sealed bids until the deadline
    OPENING = "opening"        # deadline passed: shares / keys are coming in, bids being opened
    OPENED = "opened"          # every lot's opening is finished; the record stands
    EVALUATING = "evaluating"  # evaluation/ takes over
    CLOSED = "closed"          # every lot settled: contract signed or lot failed (at least one contract)
    FAILED = "failed"
    CANCELLED = "cancelled"


class LotStatus(enum.StrEnum):
    OPEN = "open"
    OPENING = "opening"
    OPENED = "opened"
    CONTRACTED = "contracted"  # the award's contract is signed by both parties: the lot is done
    FAILED = "failed"          # too few bids at the opening, or failed in the evaluation (废标)


class BidStatus(enum.StrEnum):
    SUBMITTED = "submitted"    # the current, valid submission of its supplier for the lot
    SUPERSEDED = "superseded"  # replaced by a later submission
    WITHDRAWN = "withdrawn"    # withdrawn by the supplier before the deadline
    OPENED = "opened"
    REVOKED = "revoked"        # decryption failed by the bidder's fault (Art 31): counts as revoked
    VOIDED = "voided"          # decryption failed by anyone else's fault: counts as withdrawn, cause kept


# After a failed tender the failed lots may be procured again by another method (财库〔2015〕124号:
# competitive negotiation or consultation; single source when only one supplier can supply).
METHOD_SWITCHES: dict[str, frozenset[str]] = {
    "public_tender": frozenset({"competitive_negotiation", "competitive_consultation", "single_source"}),
    "invited_tender": frozenset({"competitive_negotiation", "competitive_consultation", "single_source"}),
    "competitive_consultation": frozenset({"competitive_negotiation", "single_source"}),
    "competitive_negotiation": frozenset({"competitive_consultation", "single_source"}),
    "inquiry": frozenset({"competitive_negotiation", "competitive_consultation"}),
}

P, L, B = ProjectStatus, LotStatus, BidStatus


def _refused(obj: object) -> str:
    """project_transition_refused, lot_…, bid_…: named after the moved object's type."""
    return f"{type(obj).__name__.lower()}_transition_refused"


PROJECT = transitions.lifecycle(ProjectStatus, {
    (P.DRAFT, P.PUBLISHED), (P.DRAFT, P.CANCELLED),
    (P.PUBLISHED, P.BIDDING), (P.PUBLISHED, P.CANCELLED),
    (P.BIDDING, P.OPENING), (P.BIDDING, P.CANCELLED),
    (P.OPENING, P.OPENED), (P.OPENING, P.FAILED),
    (P.OPENED, P.EVALUATING), (P.OPENED, P.FAILED),
    (P.EVALUATING, P.CLOSED), (P.EVALUATING, P.FAILED),
}, code=_refused, event="tender.status.project")
LOT = transitions.lifecycle(LotStatus, {
    (L.OPEN, L.OPENING), (L.OPEN, L.FAILED), (L.OPENING, L.OPENED), (L.OPENING, L.FAILED),
    (L.OPENED, L.CONTRACTED), (L.OPENED, L.FAILED),
}, code=_refused, event="tender.status.lot")
BID = transitions.lifecycle(BidStatus, {
    (B.SUBMITTED, B.SUPERSEDED), (B.SUBMITTED, B.WITHDRAWN), (B.SUBMITTED, B.OPENED),
    (B.SUBMITTED, B.REVOKED), (B.SUBMITTED, B.VOIDED),
}, code=_refused, event="tender.status.bid")

can_move = transitions.can_move
move = transitions.move  # every status change of a project, lot or bid: checked and audited
