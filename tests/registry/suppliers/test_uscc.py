"""The USCC check against the standards' own definitions: GB 32100-2015 (31 characters, weights 3^i mod 31,
check = 31 − Σ mod 31) and GB 11714-1997 (weights 2^(9−i) mod 11, check = 11 − Σ mod 11, 10 → X, 11 → 0).
The expected check characters are computed here from those definitions, not from the code under test."""

import pytest

from registry.suppliers.uscc import check_uscc, org_code_check_char, uscc_check_char

# GB 32100-2015 Table 2: the code characters and their values, in order (no I, O, Z, S, V)
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS_32100 = [pow(3, i, 31) for i in range(17)]
WEIGHTS_11714 = [pow(2, 8 - i, 11) for i in range(8)]  # 3 7 9 10 5 8 4 2


def check_32100(first17: str) -> str:
    total = sum(CHARSET.index(c) * w for c, w in zip(first17, WEIGHTS_32100, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def check_11714(body8: str) -> str:
    value = {c: i for i, c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")}
    c9 = 11 - sum(value[c] * w for c, w in zip(body8, WEIGHTS_11714, strict=True)) % 11
    return "X" if c9 == 10 else "0" if c9 == 11 else str(c9)


def make_code(region: str, body8: str, org_ok: bool = True) -> str:
    """9 1 <division> <organisation code> <check>, with the organisation code's check right or wrong."""
    c9 = check_11714(body8)
    if not org_ok:
        c9 = next(c for c in "0123456789" if c != c9)
    first17 = f"91{region}{body8}{c9}"
    return first17 + check_32100(first17)


def test_the_weights_are_the_standards():
    assert WEIGHTS_32100 == [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    assert WEIGHTS_11714 == [3, 7, 9, 10, 5, 8, 4, 2]


# Published on each company's business licence and in the national enterprise credit system.
PUBLISHED = [
    "914403001922038216",  # 华为技术有限公司
    "9144030071526726XG",  # 腾讯科技（深圳）有限公司
    "91330100799655058B",  # 阿里巴巴（中国）有限公司
]


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_pass_both_checks(code):
    result = check_uscc(code)
    assert result.ok and not result.warning
    assert check_uscc(code.lower()).ok  # typed in lower case


@pytest.mark.parametrize("body8", ["MA28XXXX".replace("X", "0"), "MA2KQ7L3", "71526726", "12345678", "MA2H0B1Y"])
def test_codes_built_from_the_definition_pass(body8):
    code = make_code("330000", body8)
    assert uscc_check_char(code[:17]) == check_32100(code[:17])
    assert org_code_check_char(body8) == check_11714(body8)
    assert check_uscc(code).ok and not check_uscc(code).warning


def test_a_wrong_check_character_is_refused():
    code = PUBLISHED[0]
    wrong = code[:17] + next(c for c in CHARSET if c != code[17])
    assert "校验位" in check_uscc(wrong).error


@pytest.mark.parametrize(("code", "word"), [
    ("", "请填写"),
    ("91440300192203821", "18 位"),
    ("9144030019220382166", "18 位"),
    ("91440300I92203821O", "不允许的字符"),
    ("9144A3001922038216", "行政区划码"),
])
def test_malformed_codes_are_refused(code, word):
    assert word in check_uscc(code).error


def test_only_the_older_check_failing_is_a_warning():
    code = make_code("330329", "MA2KQ7L3", org_ok=False)
    result = check_uscc(code)
    assert result.ok and "GB 11714" in result.warning
