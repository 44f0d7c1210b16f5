"""Qualification and compliance review (资格审查 · 符合性审查): member votes, majority, exclusions.

Each reviewer marks each bidder pass or fail on each requirement, with a reason for every
fail. Where reviewers disagree the majority decides (少数服从多数); an even split cannot be
decided by arithmetic and is refused (`review.tie`) so the committee discusses and votes
again — committees have an odd number of members (87号令 Art 47), so a tie means a missing
or abstaining vote. A bidder that fails any requirement of either stage is excluded, with the
reasons given by the members who voted fail.

Under 87号令 Art 44 the qualification review of a public tender is done by the purchaser or
agency, not the committee: pass their single reviewer id and the same rule applies.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from evaluation.rules import Ref, RulesError

__all__ = [
    "BidderReview",
    "FailedRequirement",
    "ReviewStage",
    "ReviewVote",
    "decide_reviews",
    "decide_stage",
]


class ReviewStage(enum.StrEnum):
    QUALIFICATION = "qualification"
    COMPLIANCE = "compliance"


@dataclass(frozen=True)
class ReviewVote:
    """One member's mark on one requirement of one bidder."""

    stage: ReviewStage
    member: Ref
    bidder: Ref
    requirement: Ref
    passed: bool
    reason: str = ""

    def __post_init__(self) -> None:
        if not self.passed and not self.reason.strip():
            raise RulesError("review.reason_required",
                             f"不通过须填写理由 (a fail needs a reason): 成员{self.member}, "
                             f"投标人{self.bidder}, 要求{self.requirement}")


@dataclass(frozen=True)
class FailedRequirement:
    stage: ReviewStage
    requirement: Ref
    votes_for: int
    votes_against: int
    reasons: tuple[tuple[Ref, str], ...]  # (member, reason) of each member who voted fail


@dataclass(frozen=True)
class BidderReview:
    """The committee's conclusion on one bidder across the stages."""

    bidder: Ref
    passed: bool
    failures: tuple[FailedRequirement, ...]
    dissenting_members: frozenset[Ref]  # members outvoted on at least one requirement

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(reason for failure in self.failures for _, reason in failure.reasons)


def decide_stage(votes: Sequence[ReviewVote], members: Iterable[Ref], bidders: Iterable[Ref],
                 requirements: Iterable[Ref]) -> dict[Ref, BidderReview]:
    """Majority decision of one stage: every member must have voted on every (bidder, requirement)."""
    stages = {vote.stage for vote in votes}
    if len(stages) > 1:
        raise RulesError("review.mixed_stages", "一次只能汇总一个审查阶段")
    return _decide(votes, tuple(members), tuple(bidders), tuple(requirements))


def decide_reviews(votes: Sequence[ReviewVote], members: Iterable[Ref], bidders: Iterable[Ref],
                   requirements: dict[ReviewStage, Sequence[Ref]]) -> dict[Ref, BidderReview]:
    """Both stages: a bidder passes only if it passes every requirement of every stage given."""
    members, bidders = tuple(members), tuple(bidders)
    stray = [vote for vote in votes if vote.stage not in requirements]
    if stray:
        raise RulesError("review.unknown_requirement", f"投票所属的审查阶段未列出: {stray[0].stage}")
    merged: dict[Ref, list[BidderReview]] = {bidder: [] for bidder in bidders}
    for stage, stage_requirements in requirements.items():
        stage_votes = [vote for vote in votes if vote.stage is stage]
        for bidder, review in _decide(stage_votes, members, bidders, tuple(stage_requirements)).items():
            merged[bidder].append(review)
    return {bidder: BidderReview(bidder, all(r.passed for r in reviews),
                                 tuple(f for r in reviews for f in r.failures),
                                 frozenset().union(*(r.dissenting_members for r in reviews)))
            for bidder, reviews in merged.items()}


def _decide(votes: Sequence[ReviewVote], members: tuple[Ref, ...], bidders: tuple[Ref, ...],
            requirements: tuple[Ref, ...]) -> dict[Ref, BidderReview]:
    table = _index_votes(votes, members, bidders, requirements)
    result: dict[Ref, BidderReview] = {}
    for bidder in bidders:
        failures: list[FailedRequirement] = []
        dissent: set[Ref] = set()
        for requirement in requirements:
            cast = [table[(member, bidder, requirement)] for member in members]
            tally = Counter(vote.passed for vote in cast)
            if tally[True] == tally[False]:
                raise RulesError("review.tie", f"投标人{bidder}的要求{requirement}表决票数相同，须重新表决")
            majority = tally[True] > tally[False]
            dissent.update(vote.member for vote in cast if vote.passed is not majority)
            if not majority:
                failures.append(FailedRequirement(
                    cast[0].stage, requirement, tally[True], tally[False],
                    tuple((vote.member, vote.reason) for vote in cast if not vote.passed)))
        result[bidder] = BidderReview(bidder, not failures, tuple(failures), frozenset(dissent))
    return result


def _index_votes(votes: Sequence[ReviewVote], members: tuple[Ref, ...], bidders: tuple[Ref, ...],
                 requirements: tuple[Ref, ...]) -> dict[tuple[Ref, Ref, Ref], ReviewVote]:
    if not members:
        raise RulesError("review.no_members", "没有审查成员")
    table: dict[tuple[Ref, Ref, Ref], ReviewVote] = {}
    for vote in votes:
        key = (vote.member, vote.bidder, vote.requirement)
        if vote.member not in members or vote.bidder not in bidders or vote.requirement not in requirements:
            raise RulesError("review.unknown_requirement",
                             f"投票对象不在本次审查范围内: 成员{vote.member}, 投标人{vote.bidder}, "
                             f"要求{vote.requirement}")
        if key in table:
            raise RulesError("review.duplicate_vote", f"重复投票: 成员{vote.member}, 投标人{vote.bidder}, "
                                                      f"要求{vote.requirement}")
        table[key] = vote
    missing = [(m, b, r) for m in members for b in bidders for r in requirements if (m, b, r) not in table]
    if missing:
        member, bidder, requirement = missing[0]
        raise RulesError("review.missing_vote",
                         f"尚有{len(missing)}项未表决，例如成员{member}对投标人{bidder}的要求{requirement}")
    return table
