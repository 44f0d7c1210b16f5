"""The declarations: every region rule a package owns, with its type, range, default and source.

Pure Python (no Flask, no database), so that pure rule libraries (`evaluation.rules`) can declare
their keys where their defaults live. A package declares its keys once at import
(`declare(group, [...])`); the store refuses a key nobody declared, so a misspelt rule can never
silently fall back to the national default.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

RuleValue = int | bool | str


class RuleType(enum.StrEnum):
    INT = "int"        # whole numbers: days, minutes, percent, fen
    BOOL = "bool"      # on / off
    TEXT = "text"      # free text checked by the key's own `check` (method lists, weightings)
    CHOICE = "choice"  # one of `choices`


class RuleInvalid(ValueError):
    """A value the key's declaration refuses; `message` is Chinese, for the supervisor."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message


@dataclass(frozen=True)
class RuleKey:
    """One rule: what it means (label, article), what it may be (type, range) and the national default."""

    key: str
    type: RuleType
    default: RuleValue
    label: str    # Chinese, shown on the supervisor's page (marked for translation by the declarer)
    article: str  # the national rule the default comes from
    low: int | None = None
    high: int | None = None
    choices: tuple[str, ...] = ()
    check: Callable[[Any], str | None] | None = None  # a further check: returns the Chinese error or None
    group: str = ""

    @property
    def name(self) -> str:
        """The key without its group's prefix: the field name on the page."""
        return self.key.removeprefix(f"{self.group}.")

    def range_text(self) -> str:
        if self.type is RuleType.CHOICE:
            return " / ".join(self.choices)
        if self.type is RuleType.INT and (self.low is not None or self.high is not None):
            return f"{'' if self.low is None else self.low}–{'' if self.high is None else self.high}"
        return ""

    def coerce(self, raw: Any, *, checked: bool = True) -> RuleValue:
        """An entered value as this key's type, checked against its range and its own check.

        `checked=False` reads a stored value: a value set before the range was narrowed still
        applies as it was set (only new changes are held to the declaration)."""
        value: RuleValue
        if self.type is RuleType.BOOL:
            if isinstance(raw, str):
                text = raw.strip().lower()
                if text not in ("1", "0", "true", "false", "on", "off", "是", "否"):
                    raise RuleInvalid(self.key, f"“{self.label}”应为“是”或“否”。")
                value = text in ("1", "true", "on", "是")
            elif isinstance(raw, bool | int) and raw in (0, 1):
                value = bool(raw)
            else:
                raise RuleInvalid(self.key, f"“{self.label}”应为“是”或“否”。")
        elif self.type is RuleType.INT:
            try:
                if isinstance(raw, bool | float):
                    raise ValueError
                value = int(raw.strip()) if isinstance(raw, str) else int(raw)
            except (TypeError, ValueError):
                raise RuleInvalid(self.key, f"“{self.label}”须为整数。") from None
            below = self.low is not None and value < self.low
            if checked and (below or (self.high is not None and value > self.high)):
                raise RuleInvalid(self.key, f"“{self.label}”须在 {self.range_text()} 之间，现为 {value}。")
        else:
            if not isinstance(raw, str):
                raise RuleInvalid(self.key, f"“{self.label}”应为文字。")
            value = raw.strip()
            if checked and self.type is RuleType.CHOICE and value not in self.choices:
                raise RuleInvalid(self.key, f"“{self.label}”只能是 {self.range_text()} 之一。")
        if checked and self.check is not None:
            problem = self.check(value)
            if problem:
                raise RuleInvalid(self.key, problem)
        return value


GroupCheck = Callable[[Mapping[str, RuleValue]], str | None]

KEYS: dict[str, RuleKey] = {}
GROUPS: dict[str, str] = {}  # group -> Chinese title, in declaration order
GROUP_CHECKS: dict[str, list[GroupCheck]] = {}


def declare(group: str, title: str, keys: Iterable[RuleKey], checks: Iterable[GroupCheck] = ()) -> list[RuleKey]:
    """Declare a package's rules (returned with their group). Declaring a key twice is a programming error."""
    GROUPS.setdefault(group, title)
    declared = []
    for spec in keys:
        if spec.key in KEYS:
            raise ValueError(f"region rule {spec.key!r} declared twice")
        spec = replace(spec, group=group)
        spec.coerce(spec.default)  # a default outside its own range is a programming error
        KEYS[spec.key] = spec
        declared.append(spec)
    GROUP_CHECKS.setdefault(group, []).extend(checks)
    return declared


def key_of(key: str) -> RuleKey:
    try:
        return KEYS[key]
    except KeyError:
        raise KeyError(f"unknown region rule {key!r}") from None


def keys_of(group: str) -> list[RuleKey]:
    return [spec for spec in KEYS.values() if spec.group == group]


def defaults() -> dict[str, RuleValue]:
    return {key: spec.default for key, spec in KEYS.items()}


def check_group(group: str, values: Mapping[str, RuleValue]) -> str | None:
    """The first cross-key problem of a group's values in force (e.g. a floor above its cap)."""
    for check in GROUP_CHECKS.get(group, []):
        problem = check(values)
        if problem:
            return problem
    return None
