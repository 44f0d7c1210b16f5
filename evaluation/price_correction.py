"""Correcting a bid whose price contradicts itself (87号令 Art 59), one record per correction.

Unless the tender document says otherwise, Art 59 corrects, in this order:
1. the opening summary (开标一览表/报价表) prevails over the same content elsewhere in the bid;
2. the amount in words (大写) prevails over the amount in figures (小写);
3. where a unit price's decimal point (or a percentage) is obviously misplaced, the total in
   the opening summary prevails and the unit price is corrected;
4. where the total differs from the sum computed from the unit prices, the unit prices prevail
   and the total is corrected.
Several inconsistencies at once are corrected in that order. The corrected price binds the
bidder only once it confirms it (Art 59 last paragraph with Art 51 (2)); a bidder who does not
confirm has an invalid bid (`confirm_correction`).

Our reading of the details (the national text is one sentence each):
- rule 1 compares the body's total (figures, and words when both documents give them) with the
  summary's; with a single line item, that line's total is also the summary's total;
- rule 3 calls a unit price "obviously misplaced" when shifting its decimal point by 1 to
  `RuleSet.max_decimal_shift` places makes unit price × quantity equal the line total exactly;
  a percentage written in the wrong unit (5 for 5 %) is a shift of two places;
- rule 4 recomputes each line as unit price × quantity (rounded half up to the fen when the
  quantity is fractional), then the total as the sum of the lines.
Amounts in words that cannot be read are not guessed at: the figures stand and the problem is
reported for the committee to clarify with the bidder.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction

from core.money import Fen, MoneyError, format_fen_cny, parse_chinese_upper
from evaluation.rules import DEFAULT_RULES, Ref, RulesError, RuleSet, as_fraction

__all__ = [
    "CorrectedPrice",
    "Correction",
    "CorrectionRule",
    "LineItem",
    "PriceStatement",
    "confirm_correction",
    "correct_price",
    "line_total",
]


class CorrectionRule(enum.StrEnum):
    """Stable codes of the four Art 59 rules, in the order they apply."""

    SUMMARY_OVER_BODY = "price.summary_over_body"
    WORDS_OVER_FIGURES = "price.words_over_figures"
    TOTAL_OVER_MISPLACED_UNIT_PRICE = "price.total_over_misplaced_unit_price"
    UNIT_PRICES_OVER_TOTAL = "price.unit_prices_over_total"


RULE_TEXT = {
    CorrectionRule.SUMMARY_OVER_BODY:
        "开标一览表(报价表)内容与投标文件中相应内容不一致的，以开标一览表(报价表)为准",
    CorrectionRule.WORDS_OVER_FIGURES: "大写金额和小写金额不一致的，以大写金额为准",
    CorrectionRule.TOTAL_OVER_MISPLACED_UNIT_PRICE:
        "单价金额小数点或者百分比有明显错位的，以开标一览表的总价为准，并修改单价",
    CorrectionRule.UNIT_PRICES_OVER_TOTAL: "总价金额与按单价汇总金额不一致的，以单价金额计算结果为准",
}


@dataclass(frozen=True)
class LineItem:
    """One line of the itemised price list (分项报价表)."""

    ref: Ref
    quantity: Decimal
    unit_price: Fen
    total: Fen

    def __post_init__(self) -> None:
        if not isinstance(self.quantity, Decimal | int) or self.quantity <= 0:
            raise RulesError("price.bad_quantity", f"数量必须为正数 (item {self.ref}): {self.quantity!r}")
        for amount in (self.unit_price, self.total):
            if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
                raise RulesError("price.bad_amount", f"金额必须为非负整数分 (item {self.ref}): {amount!r}")


@dataclass(frozen=True)
class PriceStatement:
    """What a decrypted bid says about its price, as read from its documents."""

    summary_total: Fen                    # 开标一览表, figures: the price read out at the opening
    summary_total_words: str | None = None
    body_total: Fen | None = None         # the same total elsewhere in the bid (报价明细表, 投标函)
    body_total_words: str | None = None
    items: tuple[LineItem, ...] = ()


@dataclass(frozen=True)
class Correction:
    """One correction shown to the committee: what changed, from what, to what, under which rule."""

    rule: CorrectionRule
    field: str          # "body_total", "summary_total", "item:<ref>.unit_price", "item:<ref>.total", "total"
    from_fen: Fen
    to_fen: Fen

    @property
    def message(self) -> str:
        """The sentence shown to the committee and written into the report."""
        return (f"{_field_name(self.field)}由{format_fen_cny(self.from_fen)}修正为"
                f"{format_fen_cny(self.to_fen)}（{RULE_TEXT[self.rule]}）")


_FIELD_NAMES = {"body_total": "投标文件正文总价", "body_total_words": "投标文件正文大写总价",
                "summary_total": "开标一览表总价", "total": "投标总价"}


def _field_name(field: str) -> str:
    if field.startswith("item:"):
        ref, _, part = field.removeprefix("item:").rpartition(".")
        return f"分项报价第{ref}项" + ("单价" if part == "unit_price" else "合价")
    return _FIELD_NAMES.get(field, field)


@dataclass(frozen=True)
class CorrectedPrice:
    read_price: Fen           # the summary's figures, as read at the opening
    price: Fen                # the corrected price: the one evaluated, if the bidder confirms it
    items: tuple[LineItem, ...]
    corrections: tuple[Correction, ...]
    problems: tuple[str, ...]  # codes the rules cannot settle (unreadable words): clarify with the bidder

    @property
    def needs_confirmation(self) -> bool:
        """Any correction binds the bidder only after it confirms (87号令 Art 59)."""
        return bool(self.corrections)


@dataclass(frozen=True)
class ConfirmationOutcome:
    binding: bool
    bid_invalid: bool
    code: str | None


def correct_price(statement: PriceStatement, rules: RuleSet = DEFAULT_RULES) -> CorrectedPrice:
    """Apply Art 59's four rules in order and return the corrected price with every correction."""
    corrections: list[Correction] = []
    problems: list[str] = []
    total = statement.summary_total
    items = list(statement.items)
    # 1. The opening summary prevails over the body.
    if statement.body_total is not None and statement.body_total != statement.summary_total:
        corrections.append(Correction(CorrectionRule.SUMMARY_OVER_BODY, "body_total",
                                      statement.body_total, statement.summary_total))
    summary_words = _read_words(statement.summary_total_words, "summary", problems)
    body_words = _read_words(statement.body_total_words, "body", problems)
    summary_says = summary_words if summary_words is not None else statement.summary_total
    if body_words is not None and body_words != summary_says:
        corrections.append(Correction(CorrectionRule.SUMMARY_OVER_BODY, "body_total_words",
                                      body_words, summary_says))
    # 2. Words prevail over figures (in the summary, which now speaks for the whole bid).
    if summary_words is not None and summary_words != total:
        corrections.append(Correction(CorrectionRule.WORDS_OVER_FIGURES, "summary_total",
                                      total, summary_words))
        total = summary_words
    if len(items) == 1 and items[0].total != total:
        corrections.append(Correction(CorrectionRule.SUMMARY_OVER_BODY, f"item:{items[0].ref}.total",
                                      items[0].total, total))
        items[0] = replace(items[0], total=total)
    # 3. A misplaced decimal point in a unit price: the total prevails, the unit price is corrected.
    for index, item in enumerate(items):
        fixed = _shifted_unit_price(item, rules.max_decimal_shift)
        if fixed is not None:
            corrections.append(Correction(CorrectionRule.TOTAL_OVER_MISPLACED_UNIT_PRICE,
                                          f"item:{item.ref}.unit_price", item.unit_price, fixed))
            items[index] = replace(item, unit_price=fixed)
    # 4. The unit prices prevail over the totals.
    if items:
        for index, item in enumerate(items):
            computed = line_total(item.unit_price, item.quantity)
            if computed != item.total:
                corrections.append(Correction(CorrectionRule.UNIT_PRICES_OVER_TOTAL, f"item:{item.ref}.total",
                                              item.total, computed))
                items[index] = replace(item, total=computed)
        summed = sum(item.total for item in items)
        if summed != total:
            corrections.append(Correction(CorrectionRule.UNIT_PRICES_OVER_TOTAL, "total", total, summed))
            total = summed
    return CorrectedPrice(statement.summary_total, total, tuple(items), tuple(corrections), tuple(problems))


def line_total(unit_price: Fen, quantity: Decimal | int) -> Fen:
    """unit price × quantity in fen, half up when the quantity is fractional."""
    exact = unit_price * as_fraction(quantity)
    whole, rest = divmod(exact.numerator, exact.denominator)
    return whole + (1 if 2 * rest >= exact.denominator else 0)


def confirm_correction(result: CorrectedPrice, confirmed: bool) -> ConfirmationOutcome:
    """The bidder's answer: a confirmed correction binds; a refused one makes the bid invalid."""
    if not result.needs_confirmation:
        return ConfirmationOutcome(binding=True, bid_invalid=False, code=None)
    if confirmed:
        return ConfirmationOutcome(binding=True, bid_invalid=False, code="price.correction_confirmed")
    return ConfirmationOutcome(binding=False, bid_invalid=True, code="price.correction_declined")


def _read_words(words: str | None, where: str, problems: list[str]) -> Fen | None:
    if words is None or not words.strip():
        return None
    try:
        return parse_chinese_upper(words)
    except MoneyError:
        problems.append(f"price.{where}_words_unreadable")
        return None


def _shifted_unit_price(item: LineItem, max_shift: int) -> Fen | None:
    """The unit price the line total implies, if it is this one with its decimal point moved."""
    implied = Fraction(item.total) / as_fraction(item.quantity)
    if implied.denominator != 1 or item.unit_price == 0 or implied == item.unit_price:
        return None
    ratio = implied / item.unit_price
    for shift in _shifts(max_shift):
        if ratio == Fraction(10) ** shift:
            return int(implied)
    return None


def _shifts(max_shift: int) -> Sequence[int]:
    return [s for k in range(1, max_shift + 1) for s in (k, -k)]
