"""The unified social credit code (统一社会信用代码, GB 32100-2015) checked as the standard defines it.

Eighteen characters from the 31-character set (digits and capital letters without I, O, Z, S, V):
1 the registering authority (9 = market regulation…), 2 the organisation category, 3–8 the
registering authority's administrative division code (six digits), 9–17 the subject identifier,
which is the organisation's nine-character code of GB 11714-1997 (eight characters and their own
check character), and 18 the check character of the first seventeen.

A code whose 18th character is wrong is refused. A code whose only fault is the embedded GB 11714
check (codes issued before the unified system sometimes carry one) is accepted with a warning that
the reviewer confirms, on the record, before admitting the supplier. Pure: no Flask, no database.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.service import USCC_CHARS, uscc_check_char

__all__ = ["USCC_CHARS", "UsccCheck", "check_uscc", "org_code_check_char", "uscc_check_char"]

# GB 11714-1997 §5: weights of the eight body characters; a letter counts as 10 (A) … 35 (Z).
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def _org_value(char: str) -> int:
    return int(char) if char.isdigit() else ord(char) - ord("A") + 10


def org_code_check_char(body8: str) -> str:
    """The ninth character of a GB 11714 organisation code: C9 = 11 − (Σ Ci·Wi mod 11); 10 is 'X', 11 is '0'."""
    remainder = 11 - sum(_org_value(c) * w for c, w in zip(body8, ORG_CODE_WEIGHTS, strict=True)) % 11
    return {10: "X", 11: "0"}.get(remainder, str(remainder))


@dataclass(frozen=True)
class UsccCheck:
    """The outcome: `error` (a Chinese sentence, the code is refused) or `warning` (accepted, to confirm)."""

    code: str
    error: str = ""
    warning: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


def check_uscc(raw: str | None) -> UsccCheck:
    """Check a code as typed (spaces dropped, letters made capital)."""
    code = (raw or "").strip().replace(" ", "").upper()
    if not code:
        return UsccCheck(code, error="请填写统一社会信用代码。")
    if len(code) != 18:
        return UsccCheck(code, error=f"统一社会信用代码应为 18 位，现为 {len(code)} 位。")
    bad = sorted({c for c in code if c not in USCC_CHARS})
    if bad:
        return UsccCheck(code, error=f"统一社会信用代码含有不允许的字符：{'、'.join(bad)}（不使用 I、O、Z、S、V）。")
    if not code[2:8].isdigit():
        return UsccCheck(code, error="统一社会信用代码第 3–8 位应为登记管理机关的行政区划码（6 位数字）。")
    if uscc_check_char(code[:17]) != code[17]:
        return UsccCheck(code, error="统一社会信用代码校验位不符，请核对营业执照。")
    if org_code_check_char(code[8:16]) != code[16]:
        return UsccCheck(code, warning="统一社会信用代码中的组织机构代码（第 9–17 位）校验位不符 GB 11714，"
                                       "请审核人员核对营业执照原件。")
    return UsccCheck(code)
