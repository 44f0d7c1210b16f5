"""Minority opinions on the evaluation report: a dissent needs reasons; silence is agreement.

National rule (87号令 on the evaluation report): members who disagree on a matter decided by
the committee sign their differing opinion and its reasons on the report; a member who does not
is taken to agree with it. Matters the committee decides together go by majority
(`review.decide_stage` for the reviews).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from evaluation.rules import Ref, RulesError

__all__ = ["Dissent", "Position", "ReportPosition", "report_positions"]


class Position(enum.StrEnum):
    AGREE = "agree"
    DISSENT = "dissent"


@dataclass(frozen=True)
class Dissent:
    member: Ref
    reasons: str
    subject: str = "report"  # what the member disagrees with: the report, a review, a bidder's ranking…

    def __post_init__(self) -> None:
        if not self.reasons.strip():
            raise RulesError("opinion.reasons_required", "持不同意见须写明理由")


@dataclass(frozen=True)
class ReportPosition:
    member: Ref
    position: Position
    dissents: tuple[Dissent, ...]


def report_positions(members: Sequence[Ref], dissents: Iterable[Dissent]) -> list[ReportPosition]:
    """Each member's position on the report, in member order: dissent if recorded, else agreement."""
    recorded: dict[Ref, list[Dissent]] = {member: [] for member in members}
    for dissent in dissents:
        if dissent.member not in recorded:
            raise RulesError("opinion.not_a_member", f"非评审委员会成员不能签署不同意见: {dissent.member}")
        recorded[dissent.member].append(dissent)
    return [ReportPosition(member, Position.DISSENT if mine else Position.AGREE, tuple(mine))
            for member, mine in recorded.items()]
