"""Money as integer fen (分), never float.

A float cannot hold 0.1 yuan exactly, and a bid price that is off by one fen after a
round trip is a legal dispute; so amounts live as `int` fen everywhere and are converted
only at the edges: parsed from user text with Decimal, formatted for display, and written
in Chinese capital numerals (大写金额) for contracts and bid forms, where the amount in
words prevails over the figures.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeAlias

Fen: TypeAlias = int

FEN_PER_YUAN = 100
MAX_UPPER_FEN = 10**18 - 1  # 9999万亿 yuan and change: the largest amount with 万亿 as top unit

__all__ = [
    "FEN_PER_YUAN",
    "MAX_UPPER_FEN",
    "Fen",
    "MoneyError",
    "format_fen_cny",
    "format_wan",
    "format_yuan",
    "parse_chinese_upper",
    "parse_yuan",
    "to_chinese_upper",
]


class MoneyError(ValueError):
    """An amount that cannot be read or written; the message is shown to users as is."""


# -- figures -----------------------------------------------------------------------------------

_AMOUNT = re.compile(r"(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<frac>\d+))?", re.ASCII)


def parse_yuan(text: str, *, allow_negative: bool = False) -> Fen:
    """Read an amount of yuan typed by a person ("1,234.56", "￥1234", full-width digits) as fen."""
    if not isinstance(text, str):
        raise MoneyError(f"金额必须是文本 (amount must be text, got {type(text).__name__}: {text!r})")
    s = unicodedata.normalize("NFKC", text).strip().replace(" ", "")
    if not s:
        raise MoneyError("金额不能为空 (amount is empty)")
    negative = s[0] == "-"
    s = s.lstrip("+-").removeprefix("¥").removesuffix("元")
    match = _AMOUNT.fullmatch(s)
    if match is None:
        raise MoneyError(f"金额格式不正确 (not an amount): {text!r}")
    frac = match["frac"] or ""
    if len(frac) > 2:
        raise MoneyError(f"金额最多两位小数 (at most 2 decimal places, i.e. fen): {text!r}")
    fen = int(Decimal(match["int"].replace(",", "") + "." + (frac or "0")) * FEN_PER_YUAN)
    if negative and fen:
        if not allow_negative:
            raise MoneyError(f"金额不能为负数 (amount cannot be negative): {text!r}")
        return -fen
    return fen


def _check_fen(fen: object) -> int:
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError(f"money is integer fen, not {type(fen).__name__}: {fen!r}")
    return fen


def format_yuan(fen: Fen) -> str:
    """Show fen as yuan with thousands separators and two decimals: 123456 → "1,234.56"."""
    sign = "-" if _check_fen(fen) < 0 else ""
    yuan, cents = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{yuan:,}.{cents:02d}"


def format_fen_cny(fen: Fen) -> str:
    """Show fen with the yuan sign: 123456 → "¥1,234.56", -5 → "-¥0.05"."""
    text = format_yuan(fen)
    return "-¥" + text[1:] if text.startswith("-") else "¥" + text


def format_wan(fen: Fen, decimals: int = 2) -> str:
    """Show fen in 万元, as budgets are written in procurement notices: 12345678 → "12.35万元"."""
    quantum = Decimal(1).scaleb(-decimals)
    wan = (Decimal(_check_fen(fen)) / (FEN_PER_YUAN * 10_000)).quantize(quantum, rounding=ROUND_HALF_UP)
    return f"{wan:f}万元"


# -- Chinese capital numerals (大写金额) -----------------------------------------------------------

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")
_SMALL_VALUE = {"拾": 10, "佰": 100, "仟": 1000}
# Variants seen on paper forms: traditional characters, 圆 for 元, 正 for 整.
_VARIANTS = str.maketrans({"圆": "元", "正": "整", "萬": "万", "億": "亿", "貳": "贰", "陸": "陆",
                           "〇": "零", "两": "贰", "兩": "贰"})


def _integer_text(yuan: int) -> str:
    """Write whole yuan; one 零 stands for each run of zeros between two non-zero digits."""
    digits = str(yuan)
    out: list[str] = []
    zero_run = False
    length = len(digits)
    for index, char in enumerate(digits):
        position = length - 1 - index  # power of ten
        digit = int(char)
        if digit == 0:
            zero_run = bool(out)
        else:
            if zero_run:
                out.append("零")
                zero_run = False
            out.append(_DIGITS[digit] + _SMALL_UNITS[position % 4])
        if position % 4 == 0 and position > 0:
            out.append(_big_unit(digits, position))
    return "".join(out)


def _big_unit(digits: str, position: int) -> str:
    """The 万/亿 written at the end of a four-digit group, if that group (or 亿's 万亿 group) is used."""
    end = len(digits) - position
    group = digits[max(0, end - 4):end]
    if position == 8:  # 亿 closes both its own group and the 万亿 group above it
        return "亿" if int(digits[:end] or "0") else ""
    return "万" if int(group) else ""


def to_chinese_upper(fen: Fen) -> str:
    """Write an amount in Chinese capital numerals as on contracts: 123456 → "壹仟贰佰叁拾肆元伍角陆分".

    Conventions (《支付结算办法》): 整 after 元 when there are no 角/分, none after 角 or 分;
    a zero 角 before a non-zero 分 is written 零 (壹元零伍分); amounts under one yuan have no 元
    (伍分); each run of zeros inside the whole-yuan part is one 零 (壹仟零壹万元整).
    """
    if _check_fen(fen) < 0:
        raise MoneyError(f"大写金额不能为负数 (amount in words cannot be negative): {fen}")
    if fen > MAX_UPPER_FEN:
        raise MoneyError(f"金额过大 (amount too large for 大写金额): {fen}")
    yuan, rest = divmod(fen, FEN_PER_YUAN)
    jiao, fen_digit = divmod(rest, 10)
    if fen == 0:
        return "零元整"
    text = _integer_text(yuan) + "元" if yuan else ""
    if jiao:
        text += _DIGITS[jiao] + "角"
    elif fen_digit and yuan:
        text += "零"
    if fen_digit:
        text += _DIGITS[fen_digit] + "分"
    return text if rest else text + "整"


def parse_chinese_upper(text: str) -> Fen:
    """Read an amount written in Chinese capital numerals back into fen; strict about structure.

    Accepts the output of `to_chinese_upper` and the usual variants on paper forms: a 人民币
    prefix, 圆/正, a 零 written or left out where the rules allow either, 整 after 角, a
    leading 拾 for 壹拾. Anything ambiguous (two digits in a row, units out of order) is refused,
    because the amount in words is the one that prevails.
    """
    if not isinstance(text, str):
        raise MoneyError(f"大写金额必须是文本 (amount in words must be text): {text!r}")
    s = re.sub(r"\s+", "", text).translate(_VARIANTS)
    s = re.sub(r"^(?:人民币)?(?:[（(]?大写[）)]?[:：]?)?", "", s)
    if not s:
        raise MoneyError("大写金额不能为空 (amount in words is empty)")
    body = s.removesuffix("整")
    if "元" in body:
        integer_text, _, fraction_text = body.partition("元")
        if not integer_text:
            raise MoneyError(f"大写金额缺少元前的数字 (no digits before 元): {text!r}")
        yuan = _parse_integer(integer_text, text)
    else:
        if not body or body[-1] not in "角分":
            raise MoneyError(f"大写金额缺少“元”或“角/分” (missing 元, 角 or 分): {text!r}")
        yuan, fraction_text = 0, body
    return yuan * FEN_PER_YUAN + _parse_fraction(fraction_text, text)


_FRACTION = re.compile(rf"零?(?:(?P<jiao>[{_DIGITS}])角)?零?(?:(?P<fen>[{_DIGITS}])分)?")


def _parse_fraction(fraction: str, original: str) -> int:
    match = _FRACTION.fullmatch(fraction)
    if match is None:
        raise MoneyError(f"大写金额的角分部分无法识别 (cannot read 角/分): {original!r}")
    jiao = _DIGITS.index(match["jiao"]) if match["jiao"] else 0
    fen = _DIGITS.index(match["fen"]) if match["fen"] else 0
    return jiao * 10 + fen


def _parse_integer(text: str, original: str) -> int:
    """Whole yuan: [<below 亿>亿][<below 万>万][<below 万>], where the 亿 part may itself hold 万."""
    if text.strip("零") == "":
        return 0
    high, sep, low = text.rpartition("亿")
    if sep:
        if "亿" in high or not high.strip("零"):
            raise MoneyError(f"大写金额的“亿”位置不正确 (misplaced 亿): {original!r}")
        return _parse_below_yi(high, original, False) * 10**8 + _parse_below_yi(low, original, True)
    return _parse_below_yi(text, original, False)


def _parse_below_yi(text: str, original: str, has_higher: bool) -> int:
    high, sep, low = text.partition("万")
    if sep:
        if "万" in low or not high.strip("零"):
            raise MoneyError(f"大写金额的“万”位置不正确 (misplaced 万): {original!r}")
        return (_parse_below_wan(high, original, has_higher) * 10_000
                + _parse_below_wan(low, original, True))
    return _parse_below_wan(text, original, has_higher)


def _parse_below_wan(text: str, original: str, has_higher: bool) -> int:
    """Digits and 仟/佰/拾 in strictly falling order, 零 between; a bare leading 拾 means 壹拾.

    A last digit without a unit must be the ones digit beyond doubt: right after 拾, after a
    零, or alone. "壹佰伍" and "壹万伍" are refused, since colloquially they mean 150 and 15000.
    """
    total, digit, last_unit, zero = 0, None, 10_000, False
    for index, char in enumerate(text):
        if char == "零":
            if digit is not None:
                raise MoneyError(f"大写金额中“零”位置不正确 (misplaced 零): {original!r}")
            zero = True
        elif char in _DIGITS:
            if digit is not None:
                raise MoneyError(f"大写金额中数字连写 (two digits in a row): {original!r}")
            digit = _DIGITS.index(char)
        elif char in _SMALL_VALUE:
            unit = _SMALL_VALUE[char]
            if digit is None and not (char == "拾" and index == 0 and not has_higher):
                raise MoneyError(f"大写金额中“{char}”前缺少数字 (no digit before {char}): {original!r}")
            if unit >= last_unit:
                raise MoneyError(f"大写金额的单位顺序不正确 (units out of order): {original!r}")
            total += (1 if digit is None else digit) * unit
            digit, last_unit, zero = None, unit, False
        else:
            raise MoneyError(f"大写金额含有无法识别的字“{char}” (unexpected character): {original!r}")
    if digit is not None:
        if not (zero or last_unit == 10 or (last_unit == 10_000 and not has_higher)):
            raise MoneyError(f"大写金额的个位不明确，缺少“零” (ambiguous last digit): {original!r}")
        total += digit
    return total
