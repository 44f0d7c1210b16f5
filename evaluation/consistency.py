"""Checks before the summary is accepted, and the guard on changing scores after it (87号令 Art 64).

`check_scores` returns flags, each with a stable code, addressed to the member concerned and
to the chair; the member confirms or corrects with a reason. Codes:
- `score.missing`            a member has not scored a criterion for a bidder;
- `score.out_of_range`       a score outside the criterion's [min, max];
- `score.bad_precision`      more decimals than the rules keep (two);
- `score.arithmetic`         the total on a member's sheet is not the sum of its parts;
- `score.objective_mismatch` members disagree on an objective criterion (one flag per member
                             who departs from the most common score, or for each member when no
                             score is the most common);
- `score.outlier`            a member's score for a bidder on a subjective criterion is more than
                             `RuleSet.outlier_percent` away from the mean of the other members'
                             (measured on the criterion's maximum, or on that mean: `outlier_basis`);
- `score.total_outlier`      the same for a member's subjective total of a bidder (measured on the
                             subjective criteria's combined maximum, or on the mean).

After the summary, Art 64 allows a change only for: (1) an error in adding up, (2) a score
outside its range, (3) members' inconsistent scores on an objective criterion, (4) scores the
committee finds abnormally high or low. `check_score_change` accepts one of those reasons when
the evidence is there (a flag of the matching code for that very score, or for (4) the
committee's resolution); once the report is signed the committee cannot change anything
itself: the purchaser or agency must convene it again for a re-evaluation (Art 64 (2)).
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from evaluation.rules import DEFAULT_RULES, OutlierBasis, Ref, RulesError, RuleSet, as_fraction, round_score
from evaluation.scoring import Criterion, CriterionKind, MemberScore, PriceScores, ScoringScheme, score_table

__all__ = [
    "CHAIR",
    "CONFIRMABLE",
    "ChangeReason",
    "Flag",
    "FlagCode",
    "check_score_change",
    "check_scores",
]

CHAIR = "chair"  # the chair, whoever holds the office, is the second addressee of every flag


class FlagCode(enum.StrEnum):
    MISSING = "score.missing"
    OUT_OF_RANGE = "score.out_of_range"
    BAD_PRECISION = "score.bad_precision"
    ARITHMETIC = "score.arithmetic"
    OBJECTIVE_MISMATCH = "score.objective_mismatch"
    OUTLIER = "score.outlier"
    TOTAL_OUTLIER = "score.total_outlier"


# A member may keep a flagged score, with a reason, only where it is a judgement: an outlier. A
# missing or out-of-range score, a wrong sum or an inconsistent objective score must be corrected.
CONFIRMABLE = frozenset({FlagCode.OUTLIER, FlagCode.TOTAL_OUTLIER})


@dataclass(frozen=True)
class Flag:
    code: FlagCode
    member: Ref
    bidder: Ref
    criterion: Ref | None  # None for a flag on a total
    message: str

    @property
    def addressed_to(self) -> tuple[Ref, str]:
        return (self.member, CHAIR)


def check_scores(scores: Iterable[MemberScore], scheme: ScoringScheme, members: Sequence[Ref],
                 bidders: Sequence[Ref], *, stated_totals: Mapping[tuple[Ref, Ref], Decimal] | None = None,
                 prices: PriceScores | None = None, rules: RuleSet = DEFAULT_RULES) -> list[Flag]:
    """Every flag on this set of scores; an empty list means the summary may be accepted."""
    table = score_table(scores, scheme, members, bidders)
    flags: list[Flag] = []
    for bidder in bidders:
        for criterion in scheme.criteria:
            given = {m: table[(m, bidder, criterion.code)] for m in members
                     if (m, bidder, criterion.code) in table}
            flags += [Flag(FlagCode.MISSING, m, bidder, criterion.code,
                           f"未对投标人{bidder}的“{_name(criterion)}”评分")
                      for m in members if m not in given]
            flags += _range_flags(given, bidder, criterion, rules)
            if criterion.kind is CriterionKind.OBJECTIVE:
                flags += _objective_flags(given, bidder, criterion)
            else:
                flags += _outlier_flags(given, bidder, criterion.code, _name(criterion), criterion.max_score,
                                        FlagCode.OUTLIER, rules)
        flags += _total_outliers(table, scheme, members, bidder, rules)
        flags += _arithmetic_flags(table, scheme, members, bidder, stated_totals, prices)
    return flags


def _name(criterion: Criterion) -> str:
    return criterion.name or str(criterion.code)


def _range_flags(given: Mapping[Ref, Decimal], bidder: Ref, criterion: Criterion, rules: RuleSet) -> list[Flag]:
    flags = []
    for member, score in given.items():
        if not criterion.min_score <= score <= criterion.max_score:
            flags.append(Flag(FlagCode.OUT_OF_RANGE, member, bidder, criterion.code,
                              f"“{_name(criterion)}”得分{score}超出{criterion.min_score}–{criterion.max_score}分的范围"))
        if score != score.quantize(rules.quantum):
            flags.append(Flag(FlagCode.BAD_PRECISION, member, bidder, criterion.code,
                              f"“{_name(criterion)}”得分{score}超过{rules.score_places}位小数"))
    return flags


def _objective_flags(given: Mapping[Ref, Decimal], bidder: Ref, criterion: Criterion) -> list[Flag]:
    if len(set(given.values())) <= 1:
        return []
    counts = Counter(given.values()).most_common()
    modal = counts[0][0] if counts[0][1] > counts[1][1] else None
    return [Flag(FlagCode.OBJECTIVE_MISMATCH, member, bidder, criterion.code,
                 f"客观评审因素“{_name(criterion)}”评分不一致（本人{score}分" +
                 (f"，多数为{modal}分）" if modal is not None else "）"))
            for member, score in given.items() if score != modal]


def _outlier_flags(given: Mapping[Ref, Decimal], bidder: Ref, criterion: Ref | None, label: str,
                   span: Decimal, code: FlagCode, rules: RuleSet) -> list[Flag]:
    if len(given) < max(rules.outlier_min_members, 2):
        return []
    limit_percent = as_fraction(rules.outlier_percent) / 100
    flags = []
    for member, score in given.items():
        others = [as_fraction(s) for m, s in given.items() if m != member]
        mean = sum(others, Fraction(0)) / len(others)
        # Against a mean of zero any score would be "infinitely" far: measure on the range then.
        basis = as_fraction(span) if rules.outlier_basis is OutlierBasis.RANGE or mean == 0 else mean
        deviation = abs(as_fraction(score) - mean)
        if deviation > basis * limit_percent:
            direction = "畸高" if score > mean else "畸低"
            flags.append(Flag(code, member, bidder, criterion,
                              f"“{label}”得分{score}与其他成员平均分{_show(mean)}相差{_show(deviation)}，评分{direction}"))
    return flags


def _total_outliers(table, scheme: ScoringScheme, members: Sequence[Ref], bidder: Ref,
                    rules: RuleSet) -> list[Flag]:
    subjective = [c for c in scheme.criteria if c.kind is CriterionKind.SUBJECTIVE]
    if len(subjective) < 2:  # one criterion: its own outlier flag says it all
        return []
    totals = {m: sum(table[(m, bidder, c.code)] for c in subjective) for m in members
              if all((m, bidder, c.code) in table for c in subjective)}
    span = sum(c.max_score for c in subjective)
    return _outlier_flags(totals, bidder, None, "主观分合计", span, FlagCode.TOTAL_OUTLIER, rules)


def _arithmetic_flags(table, scheme: ScoringScheme, members: Sequence[Ref], bidder: Ref,
                      stated: Mapping[tuple[Ref, Ref], Decimal] | None,
                      prices: PriceScores | None) -> list[Flag]:
    if not stated:
        return []
    flags = []
    for member in members:
        if (member, bidder) not in stated:
            continue
        parts = [table.get((member, bidder, c.code), Decimal(0)) for c in scheme.criteria]
        price = prices.scores.get(bidder, Decimal(0)) if prices is not None else Decimal(0)
        recomputed = sum(parts, price)
        if stated[(member, bidder)] != recomputed:
            flags.append(Flag(FlagCode.ARITHMETIC, member, bidder, None,
                              f"投标人{bidder}的合计分{stated[(member, bidder)]}与各项之和{recomputed}不符"))
    return flags


def _show(value: Fraction) -> str:
    return str(round_score(value, 2))


# -- changes after the summary (Art 64) -----------------------------------------------------------------

class ChangeReason(enum.StrEnum):
    ARITHMETIC_ERROR = "arithmetic_error"              # 分值汇总计算错误
    OUT_OF_RANGE = "out_of_range"                      # 分项评分超出评分标准规定的分值范围
    OBJECTIVE_INCONSISTENT = "objective_inconsistent"  # 评标委员会成员对客观评审因素评分不一致
    OUTLIER = "outlier"                                # 经评标委员会认定评分畸高、畸低


EVIDENCE: dict[ChangeReason, frozenset[FlagCode]] = {
    ChangeReason.ARITHMETIC_ERROR: frozenset({FlagCode.ARITHMETIC}),
    ChangeReason.OUT_OF_RANGE: frozenset({FlagCode.OUT_OF_RANGE, FlagCode.BAD_PRECISION}),
    ChangeReason.OBJECTIVE_INCONSISTENT: frozenset({FlagCode.OBJECTIVE_MISMATCH}),
    ChangeReason.OUTLIER: frozenset({FlagCode.OUTLIER, FlagCode.TOTAL_OUTLIER}),
}


def check_score_change(reason: str, *, member: Ref, bidder: Ref, criterion: Ref | None,
                       flags: Iterable[Flag], committee_found_outlier: bool = False,
                       report_signed: bool = False) -> ChangeReason:
    """Allow a change after the summary only for an Art 64 reason backed by evidence; else raise.

    Codes: `score_change.reason_not_allowed`, `score_change.no_evidence`,
    `score_change.reevaluation_required` (the report is signed).
    """
    try:
        allowed = ChangeReason(reason)
    except ValueError:
        raise RulesError("score_change.reason_not_allowed",
                         f"评审结果汇总后只能因法定情形修改评分，“{reason}”不在其列") from None
    if report_signed:
        raise RulesError("score_change.reevaluation_required",
                         "评审报告已签署，须由采购人或采购代理机构组织原评审委员会重新评审")
    if allowed is ChangeReason.OUTLIER and committee_found_outlier:
        return allowed
    matching = [flag for flag in flags if flag.code in EVIDENCE[allowed] and flag.member == member
                and flag.bidder == bidder and (flag.criterion == criterion or flag.criterion is None)]
    if not matching:
        raise RulesError("score_change.no_evidence",
                         f"没有支持以“{_REASON_TEXT[allowed]}”修改该评分的复核记录")
    return allowed


_REASON_TEXT = {
    ChangeReason.ARITHMETIC_ERROR: "分值汇总计算错误",
    ChangeReason.OUT_OF_RANGE: "分项评分超出评分标准规定的分值范围",
    ChangeReason.OBJECTIVE_INCONSISTENT: "客观评审因素评分不一致",
    ChangeReason.OUTLIER: "评分畸高、畸低",
}
