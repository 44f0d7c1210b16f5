"""Abnormally low prices (87号令 Art 60): detect, request an explanation, accept or exclude.

Art 60: where a price is obviously lower than the other compliant bids' and may affect
quality or honest performance, the committee asks the bidder for a written explanation
within a reasonable time on the spot; a bidder who cannot show its price is reasonable has an
invalid bid. The national text sets no number. The triggers here (each configurable in
`RuleSet`, each switchable off with None) are those of the Ministry of Finance's later
guidance on abnormally low bids as we know it — check the current text before relying on the
figures:
- `low_price.below_average`: below 50 % of the average price of the compliant bids, counted
  only with at least 3 compliant bids (`low_average_basis`: the average of all of them, the
  bid itself included, or of the others only);
- `low_price.below_next`: below 50 % of the next-lowest compliant bid (only the lowest bid
  can be, unless tied);
- `low_price.below_ceiling`: below 45 % of the price ceiling (最高限价);
- `low_price.below_budget`: below a percentage of the budget (off by default).
"Below" is strict. Prices are corrected bid prices, before policy deductions. A trigger only
makes the committee ask (`Outcome.REQUEST_EXPLANATION`); the committee may also ask where no
trigger fires, as Art 60 leaves it to its judgement.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from core.money import Fen
from evaluation.rules import DEFAULT_RULES, AverageBasis, Ref, RulesError, RuleSet, as_fraction

__all__ = [
    "ExplanationOutcome",
    "LowPriceFinding",
    "LowPriceTrigger",
    "Outcome",
    "Trigger",
    "decide_explanation",
    "detect_low_prices",
    "explanation_deadline",
]


class Trigger(enum.StrEnum):
    BELOW_AVERAGE = "low_price.below_average"
    BELOW_NEXT = "low_price.below_next"
    BELOW_CEILING = "low_price.below_ceiling"
    BELOW_BUDGET = "low_price.below_budget"


class Outcome(enum.StrEnum):
    REQUEST_EXPLANATION = "request_explanation"


@dataclass(frozen=True)
class LowPriceTrigger:
    code: Trigger
    percent: Decimal     # the configured percentage
    reference: Fraction  # the amount (fen) the percentage was taken of: average, next bid, ceiling, budget
    threshold: Fraction  # reference × percent / 100; the price was below it


@dataclass(frozen=True)
class LowPriceFinding:
    bidder: Ref
    price: Fen
    triggers: tuple[LowPriceTrigger, ...]
    outcome: Outcome = Outcome.REQUEST_EXPLANATION


def detect_low_prices(prices: Mapping[Ref, Fen], *, ceiling: Fen | None = None, budget: Fen | None = None,
                      rules: RuleSet = DEFAULT_RULES) -> list[LowPriceFinding]:
    """Every compliant bid one of the configured triggers calls abnormally low, in input order."""
    for bidder, price in prices.items():
        if isinstance(price, bool) or not isinstance(price, int) or price <= 0:
            raise RulesError("low_price.bad_price", f"报价必须为正的整数分: 投标人{bidder}, {price!r}")
    findings = []
    for bidder, price in prices.items():
        triggers = [t for t in (_below_average(bidder, prices, rules), _below_next(bidder, prices, rules),
                                _below(Trigger.BELOW_CEILING, price, ceiling, rules.low_vs_ceiling_percent),
                                _below(Trigger.BELOW_BUDGET, price, budget, rules.low_vs_budget_percent))
                    if t is not None]
        if triggers:
            findings.append(LowPriceFinding(bidder, price, tuple(triggers)))
    return findings


def _below(code: Trigger, price: Fen, reference: Fen | Fraction | None,
           percent: Decimal | None) -> LowPriceTrigger | None:
    if reference is None or percent is None:
        return None
    threshold = Fraction(reference) * as_fraction(percent) / 100
    return LowPriceTrigger(code, percent, Fraction(reference), threshold) if price < threshold else None


def _below_average(bidder: Ref, prices: Mapping[Ref, Fen], rules: RuleSet) -> LowPriceTrigger | None:
    if len(prices) < rules.low_average_min_bids:
        return None
    pool = [p for b, p in prices.items() if rules.low_average_basis is AverageBasis.ALL or b != bidder]
    average = Fraction(sum(pool), len(pool))
    return _below(Trigger.BELOW_AVERAGE, prices[bidder], average, rules.low_vs_average_percent)


def _below_next(bidder: Ref, prices: Mapping[Ref, Fen], rules: RuleSet) -> LowPriceTrigger | None:
    others = [p for b, p in prices.items() if b != bidder]
    if not others:
        return None
    return _below(Trigger.BELOW_NEXT, prices[bidder], min(others), rules.low_vs_next_percent)


def explanation_deadline(requested_at: datetime, rules: RuleSet = DEFAULT_RULES) -> datetime:
    """When the written explanation is due (the room runs on `clock.now()`; pass its value)."""
    return requested_at + timedelta(minutes=rules.explanation_deadline_minutes)


@dataclass(frozen=True)
class ExplanationOutcome:
    bidder: Ref
    excluded: bool
    code: str
    reason: str


def decide_explanation(bidder: Ref, *, accepted: bool | None, answered_at: datetime | None,
                       deadline: datetime, reason: str = "") -> ExplanationOutcome:
    """The committee's decision on an explanation; no answer by the deadline is a failure to justify.

    `accepted` is the committee's majority view of an answer given in time (None when none was).
    An exclusion needs a reason for the report.
    """
    if answered_at is None or answered_at > deadline:
        return ExplanationOutcome(bidder, True, "low_price.no_explanation",
                                  reason or "未在规定时间内提供书面说明，不能证明其报价合理性")
    if accepted is None:
        raise RulesError("low_price.undecided", "评标委员会尚未对说明作出结论")
    if accepted:
        return ExplanationOutcome(bidder, False, "low_price.explanation_accepted", reason)
    if not reason.strip():
        raise RulesError("low_price.reason_required", "认定报价不合理须写明理由")
    return ExplanationOutcome(bidder, True, "low_price.explanation_rejected", reason)
