import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.money import (
    MAX_UPPER_FEN,
    MoneyError,
    format_fen_cny,
    format_wan,
    format_yuan,
    parse_chinese_upper,
    parse_yuan,
    to_chinese_upper,
)


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("1234", 123400),
        ("1,234.5", 123450),
        ("1234.56", 123456),
        ("￥1,234.56", 123456),
        ("¥1234.56", 123456),
        ("１２３４．５６", 123456),  # full-width digits and point
        ("１，２３４", 123400),  # full-width comma
        (" 0.01 ", 1),
        ("0", 0),
        ("0.00", 0),
        ("1,234,567.89", 123456789),
        ("1234.56元", 123456),
        ("+12", 1200),
        ("-0", 0),
        ("99999999999999.99", 9999999999999999),  # no float on the way: exact
    ],
)
def test_parse_yuan(text, fen):
    assert parse_yuan(text) == fen


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("12.345", "2 decimal"),
        ("0.001", "2 decimal"),
        ("-5", "negative"),
        ("－5", "negative"),
        ("abc", "not an amount"),
        ("1,23.00", "not an amount"),
        ("12,34", "not an amount"),
        ("1.2.3", "not an amount"),
        (".5", "not an amount"),
        ("5.", "not an amount"),
        ("1e3", "not an amount"),
        ("¥", "not an amount"),
        ("١٢٣", "not an amount"),  # other scripts' digits are not amounts
    ],
)
def test_parse_yuan_refuses(text, message):
    with pytest.raises(MoneyError, match=message):
        parse_yuan(text)


@pytest.mark.parametrize("value", [12.5, 1234, None, b"12"])
def test_parse_yuan_refuses_non_text(value):
    with pytest.raises(ValueError, match="must be text"):
        parse_yuan(value)


def test_parse_yuan_negative_when_allowed():
    assert parse_yuan("-1,234.56", allow_negative=True) == -123456
    assert parse_yuan("-¥0.05", allow_negative=True) == -5


@pytest.mark.parametrize(
    ("fen", "yuan", "cny"),
    [
        (0, "0.00", "¥0.00"),
        (5, "0.05", "¥0.05"),
        (123456, "1,234.56", "¥1,234.56"),
        (100000000, "1,000,000.00", "¥1,000,000.00"),
        (-123456, "-1,234.56", "-¥1,234.56"),
    ],
)
def test_format_yuan_and_cny(fen, yuan, cny):
    assert format_yuan(fen) == yuan
    assert format_fen_cny(fen) == cny


@pytest.mark.parametrize(
    ("fen", "text"),
    [
        (12345678, "12.35万元"),
        (1_000_000, "1.00万元"),
        (12_344_999, "12.34万元"),
        (12_345_000, "12.35万元"),  # half up, as people round
        (0, "0.00万元"),
        (10**10, "10000.00万元"),
    ],
)
def test_format_wan(fen, text):
    assert format_wan(fen) == text


def test_format_wan_decimals():
    assert format_wan(12345678, decimals=4) == "12.3457万元"
    assert format_wan(12345678, decimals=0) == "12万元"


@pytest.mark.parametrize("bad", [12.5, True, "100", None])
def test_formatting_refuses_non_int(bad):
    for function in (format_yuan, format_fen_cny, format_wan, to_chinese_upper):
        with pytest.raises(TypeError, match="integer fen"):
            function(bad)


UPPER_TABLE = [
    # figures in yuan → 大写金额 (the 《支付结算办法》 examples are included)
    ("0", "零元整"),
    ("0.05", "伍分"),
    ("0.10", "壹角"),
    ("0.55", "伍角伍分"),
    ("1", "壹元整"),
    ("1.05", "壹元零伍分"),
    ("1.50", "壹元伍角"),
    ("10", "壹拾元整"),
    ("15", "壹拾伍元整"),
    ("20", "贰拾元整"),
    ("100", "壹佰元整"),
    ("101", "壹佰零壹元整"),
    ("110", "壹佰壹拾元整"),
    ("1001", "壹仟零壹元整"),
    ("1010", "壹仟零壹拾元整"),
    ("1234.56", "壹仟贰佰叁拾肆元伍角陆分"),
    ("1409.50", "壹仟肆佰零玖元伍角"),
    ("1680.32", "壹仟陆佰捌拾元叁角贰分"),
    ("16409.02", "壹万陆仟肆佰零玖元零贰分"),
    ("325.04", "叁佰贰拾伍元零肆分"),
    ("10000", "壹万元整"),
    ("100000", "壹拾万元整"),
    ("107000.53", "壹拾万零柒仟元伍角叁分"),
    ("1070000", "壹佰零柒万元整"),
    ("10010000", "壹仟零壹万元整"),
    ("12345678.90", "壹仟贰佰叁拾肆万伍仟陆佰柒拾捌元玖角"),
    ("100000000", "壹亿元整"),
    ("100000001", "壹亿零壹元整"),
    ("100010000", "壹亿零壹万元整"),
    ("101000000", "壹亿零壹佰万元整"),
    ("110000000", "壹亿壹仟万元整"),
    ("1000000000000", "壹万亿元整"),
    ("1000100000000", "壹万零壹亿元整"),
    ("5000000030000", "伍万亿零叁万元整"),
    ("9999999999999999.99", "玖仟玖佰玖拾玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
]


@pytest.mark.parametrize(("yuan", "words"), UPPER_TABLE)
def test_to_chinese_upper_table(yuan, words):
    assert to_chinese_upper(parse_yuan(yuan)) == words


@pytest.mark.parametrize(("yuan", "words"), UPPER_TABLE)
def test_parse_chinese_upper_table(yuan, words):
    assert parse_chinese_upper(words) == parse_yuan(yuan)


def test_to_chinese_upper_limits():
    assert to_chinese_upper(MAX_UPPER_FEN).startswith("玖仟")
    with pytest.raises(MoneyError, match="too large"):
        to_chinese_upper(MAX_UPPER_FEN + 1)
    with pytest.raises(MoneyError, match="negative"):
        to_chinese_upper(-1)


@pytest.mark.parametrize(
    ("words", "fen"),
    [
        ("人民币壹仟贰佰叁拾肆元伍角陆分", 123456),
        ("人民币（大写）：壹佰元整", 10000),
        ("壹佰圆正", 10000),
        ("壹佰元", 10000),
        ("壹元伍角整", 150),
        ("拾元整", 1000),
        ("拾伍万元整", 15000000),
        ("壹仟陆佰捌拾元零叁角贰分", 168032),  # the optional 零 of the rules
        ("壹拾万柒仟元伍角叁分", 10700053),  # 零 left out where the rules allow it
        ("壹仟零壹拾元", 101000),
        ("壹仟壹拾元", 101000),
        ("壹 仟 贰 佰 元 整", 120000),
        ("零元伍角", 50),
        ("零元零伍分", 5),
        ("壹元零角伍分", 105),
        ("伍角", 50),
        ("壹萬元整", 1000000),
        ("壹億元整", 10000000000),
    ],
)
def test_parse_chinese_upper_variants(words, fen):
    assert parse_chinese_upper(words) == fen


@pytest.mark.parametrize(
    "words",
    [
        "",
        "整",
        "元整",
        "壹佰",  # no 元
        "壹壹元",  # two digits in a row
        "壹佰伍元",  # colloquially 150: ambiguous
        "壹万伍元",  # colloquially 15000: ambiguous
        "壹拾壹佰元",  # units out of order
        "壹佰佰元",
        "佰元",  # no digit before 佰
        "壹万拾元",
        "一百元",  # lowercase numerals are not 大写
        "壹佰元伍",
        "壹元伍分伍角",
        "壹亿壹亿元",
        "万元整",
        "壹佰美元",
        12300,
    ],
)
def test_parse_chinese_upper_refuses(words):
    with pytest.raises(MoneyError):
        parse_chinese_upper(words)


@given(st.integers(min_value=0, max_value=10**14))
def test_chinese_upper_round_trip(fen):
    assert parse_chinese_upper(to_chinese_upper(fen)) == fen


@given(st.integers(min_value=0, max_value=MAX_UPPER_FEN))
def test_chinese_upper_round_trip_full_range(fen):
    assert parse_chinese_upper(to_chinese_upper(fen)) == fen


@given(st.integers(min_value=-(10**16), max_value=10**16))
def test_format_then_parse_yuan_round_trip(fen):
    assert parse_yuan(format_yuan(fen), allow_negative=True) == fen
    assert parse_yuan(format_fen_cny(fen), allow_negative=True) == fen
