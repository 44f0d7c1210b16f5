"""87号令 Art 59: each inconsistency corrected by its rule, in order, with a record."""

from decimal import Decimal as D

import pytest

from core.money import to_chinese_upper
from evaluation.price_correction import (
    CorrectionRule,
    LineItem,
    PriceStatement,
    confirm_correction,
    correct_price,
    line_total,
)
from evaluation.rules import RulesError, RuleSet

Y = 100  # fen per yuan
R = CorrectionRule


def summary(result):
    return [(c.rule, c.field, c.from_fen, c.to_fen) for c in result.corrections]


def test_consistent_bid_needs_nothing():
    statement = PriceStatement(100_000 * Y, "壹拾万元整", 100_000 * Y, "人民币壹拾万元整",
                               (LineItem(1, D(10), 10_000 * Y, 100_000 * Y),))
    result = correct_price(statement)
    assert result.price == 100_000 * Y and result.corrections == () and not result.needs_confirmation
    assert confirm_correction(result, confirmed=False).bid_invalid is False


def test_summary_prevails_over_body():
    # Summary 100,000.00; the price form in the body says 10,000.00 → body corrected to 100,000.00.
    result = correct_price(PriceStatement(100_000 * Y, body_total=10_000 * Y))
    assert summary(result) == [(R.SUMMARY_OVER_BODY, "body_total", 10_000 * Y, 100_000 * Y)]
    assert result.price == 100_000 * Y == result.read_price
    assert result.corrections[0].message == (
        "投标文件正文总价由¥10,000.00修正为¥100,000.00（开标一览表(报价表)内容与投标文件中相应内容不一致的，"
        "以开标一览表(报价表)为准）")


def test_summary_words_prevail_over_body_words():
    result = correct_price(PriceStatement(100_000 * Y, "壹拾万元整", body_total_words="壹万元整"))
    assert summary(result) == [(R.SUMMARY_OVER_BODY, "body_total_words", 10_000 * Y, 100_000 * Y)]


def test_body_words_follow_the_summary_figures_when_the_summary_has_no_words():
    # Summary 100,000.00 (figures only); body 100,000.00 in figures but 壹拾万零壹仟元整 in words:
    # the body's words are body content, so the summary prevails (rule 1), not the words (rule 2).
    result = correct_price(PriceStatement(100_000 * Y, body_total=100_000 * Y, body_total_words="壹拾万零壹仟元整"))
    assert summary(result) == [(R.SUMMARY_OVER_BODY, "body_total_words", 101_000 * Y, 100_000 * Y)]
    assert result.price == 100_000 * Y


def test_words_prevail_over_figures():
    # Figures 100,000.00, words 壹拾万零壹仟元整 = 101,000.00 → price 101,000.00.
    result = correct_price(PriceStatement(100_000 * Y, "壹拾万零壹仟元整"))
    assert summary(result) == [(R.WORDS_OVER_FIGURES, "summary_total", 100_000 * Y, 101_000 * Y)]
    assert result.price == 101_000 * Y and result.read_price == 100_000 * Y
    assert result.needs_confirmation


def test_misplaced_decimal_point_in_unit_price():
    # Summary 100,000.00 for 10 units, unit price written 1,000.00, line total 100,000.00:
    # 1,000.00 × 10 ≠ 100,000.00 but 10,000.00 × 10 = 100,000.00 → the total prevails, unit price
    # corrected to 10,000.00; nothing else changes.
    statement = PriceStatement(100_000 * Y, items=(LineItem("1", D(10), 1_000 * Y, 100_000 * Y),))
    result = correct_price(statement)
    assert summary(result) == [
        (R.TOTAL_OVER_MISPLACED_UNIT_PRICE, "item:1.unit_price", 1_000 * Y, 10_000 * Y)]
    assert result.price == 100_000 * Y and result.items[0].unit_price == 10_000 * Y
    assert result.corrections[0].message.startswith("分项报价第1项单价由¥1,000.00修正为¥10,000.00")


def test_misplaced_percentage_is_a_two_place_shift():
    # 100 units at 50.00 written as 0.50 (a percent read as a fraction), line total 5,000.00.
    statement = PriceStatement(5_000 * Y, items=(LineItem("1", D(100), 50, 5_000 * Y),))
    assert summary(correct_price(statement)) == [
        (R.TOTAL_OVER_MISPLACED_UNIT_PRICE, "item:1.unit_price", 50, 50 * Y)]


def test_a_shift_beyond_the_limit_is_not_obvious():
    # Unit 0.01 for 10 units against 10,000.00 is a shift of 5 places (limit 4): not "obvious";
    # the unit price prevails (rule 4): line and total become 0.10.
    statement = PriceStatement(10_000 * Y, items=(LineItem("1", D(10), 1, 10_000 * Y),))
    result = correct_price(statement)
    assert summary(result) == [(R.UNIT_PRICES_OVER_TOTAL, "item:1.total", 10_000 * Y, 10),
                               (R.UNIT_PRICES_OVER_TOTAL, "total", 10_000 * Y, 10)]
    wider = correct_price(statement, RuleSet(max_decimal_shift=5))
    assert summary(wider)[0][0] is R.TOTAL_OVER_MISPLACED_UNIT_PRICE


def test_unit_prices_prevail_over_totals():
    # Summary 100,000.00. Lines: 2 × 30,000.00 = 60,000.00 (right); 4 × 9,000.00 written 40,000.00
    # (should be 36,000.00; 40,000/4 = 10,000 is not 9,000 with a moved decimal point).
    # Rule 4: line 2 → 36,000.00; total 60,000 + 36,000 = 96,000.00.
    items = (LineItem(1, D(2), 30_000 * Y, 60_000 * Y), LineItem(2, D(4), 9_000 * Y, 40_000 * Y))
    result = correct_price(PriceStatement(100_000 * Y, items=items))
    assert summary(result) == [(R.UNIT_PRICES_OVER_TOTAL, "item:2.total", 40_000 * Y, 36_000 * Y),
                               (R.UNIT_PRICES_OVER_TOTAL, "total", 100_000 * Y, 96_000 * Y)]
    assert result.price == 96_000 * Y


def test_several_inconsistencies_in_the_rules_order():
    # Body 98,000.00; summary figures 100,000.00 but words 玖万陆仟元整 (96,000.00); lines add up to 96,000.
    # 1. body 98,000 → 100,000 (summary);  2. summary 100,000 → 96,000 (words);  4. nothing left.
    items = (LineItem(1, D(2), 30_000 * Y, 60_000 * Y), LineItem(2, D(4), 9_000 * Y, 36_000 * Y))
    result = correct_price(PriceStatement(100_000 * Y, "玖万陆仟元整", 98_000 * Y, items=items))
    assert summary(result) == [(R.SUMMARY_OVER_BODY, "body_total", 98_000 * Y, 100_000 * Y),
                               (R.WORDS_OVER_FIGURES, "summary_total", 100_000 * Y, 96_000 * Y)]
    assert result.price == 96_000 * Y


def test_single_line_total_follows_the_summary_then_the_unit_price():
    # One line, 1 × 100,000.00, its line total written 90,000.00; summary 100,000.00.
    # Rule 1 sets the line total to 100,000.00; the unit price agrees; price 100,000.00.
    items = (LineItem(1, D(1), 100_000 * Y, 90_000 * Y),)
    result = correct_price(PriceStatement(100_000 * Y, items=items))
    assert summary(result) == [(R.SUMMARY_OVER_BODY, "item:1.total", 90_000 * Y, 100_000 * Y)]


def test_fractional_quantity_rounds_half_up_to_the_fen():
    # 2.5 t at 33.33 = 83.325 → 83.33.
    assert line_total(3_333, D("2.5")) == 8_333
    assert line_total(3_332, D("2.5")) == 8_330
    result = correct_price(PriceStatement(8_332, items=(LineItem(1, D("2.5"), 3_333, 8_332),)))
    assert result.price == 8_333


def test_unreadable_words_are_reported_not_guessed():
    # "壹佰伍" is 105 or 150 depending on who reads it: the figures stand, the committee clarifies.
    result = correct_price(PriceStatement(15_000, "壹佰伍", body_total_words="壹佰伍拾元整"))
    assert result.price == 15_000 and result.problems == ("price.summary_words_unreadable",)
    assert result.corrections == ()


def test_words_from_to_chinese_upper_round_trip():
    result = correct_price(PriceStatement(123_456_789, to_chinese_upper(123_456_789)))
    assert result.corrections == ()


def test_confirmation_binds_or_invalidates():
    result = correct_price(PriceStatement(100_000 * Y, "壹拾万零壹仟元整"))
    assert confirm_correction(result, confirmed=True).binding
    declined = confirm_correction(result, confirmed=False)
    assert (declined.binding, declined.bid_invalid) == (False, True)
    assert declined.code == "price.correction_declined"


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"quantity": D(0)}, "price.bad_quantity"),
    ({"quantity": 1.5}, "price.bad_quantity"),
    ({"unit_price": -1}, "price.bad_amount"),
    ({"total": 10.0}, "price.bad_amount"),
])
def test_line_item_refusals(kwargs, code):
    with pytest.raises(RulesError) as error:
        LineItem(**{"ref": 1, "quantity": D(1), "unit_price": 1, "total": 1, **kwargs})
    assert error.value.code == code
