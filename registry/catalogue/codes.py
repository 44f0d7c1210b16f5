"""The shape of a catalogue code, pure (no database): checking, normalising, parent and level.

The official file (政府采购品目分类目录, 财库〔2022〕31号) writes codes in prefix form: a letter and
two digits per level (A02 → A0201 → A020101 → A02010104, a few fifth-level codes of eleven
characters). Some systems pad every code to nine characters with zeros (A02010000 for A0201);
a level is never numbered 00, so the padding can be taken off without doubt.
"""

from __future__ import annotations

import re

PREFIX_RE = re.compile(r"^[ABC](?:\d{2}){1,5}$")
CATEGORY_NAMES = {"A": "货物", "B": "工程", "C": "服务"}


def normalise(raw: str) -> str:
    """The prefix form of a code as written in a file or a form (upper case, padding removed)."""
    code = re.sub(r"\s+", "", str(raw or "")).upper()
    if len(code) == 9 and code[0] in CATEGORY_NAMES and code[1:].isdigit():
        while len(code) > 3 and code.endswith("00"):
            code = code[:-2]
    return code


def is_valid(code: str) -> bool:
    """A letter A/B/C and one to five levels of two digits, none of them 00."""
    if not PREFIX_RE.match(code):
        return False
    return all(code[i:i + 2] != "00" for i in range(1, len(code), 2))


def parent_of(code: str) -> str | None:
    """The code one level up; None for a level-one code, whose parent is its letter."""
    return code[:-2] if len(code) > 3 else None


def level_of(code: str) -> int:
    return (len(code) - 1) // 2


def padded(code: str) -> str:
    """The nine-character form (levels one to four), as some systems print it."""
    return code.ljust(9, "0") if len(code) <= 9 else code
