"""The registry of notice kinds (公告类型): which announcements exist, what each is called, who may read it.

A kind is registered once, at import time, by the package that publishes it: the kit registers the kinds
every procurement method shares (更正, 澄清, 中止, 终止, 结果, 废标, 合同, 验收, the sections of
财办库〔2020〕50号); a method package registers its own procurement notice (tender: `tender`, 采购公告),
plan/ the intentions, mall/ its framework and e-mall results. The code is what the `notice.kind` column
stores and what the audit event names, so it never changes once published; the label is the Chinese name
shown on pages (marked with `N_`, translated where shown).
"""

from __future__ import annotations

from core.i18n import N_


class Kind(str):
    """A registered notice kind: a `str` (its code) that also carries its label and whether it is public.

    Being a `str`, a kind compares equal to its code (`notice.kind == "result"`) and binds as its code in
    queries; `.value` is the code too, as for the enums used elsewhere."""

    label: str
    public: bool

    def __new__(cls, code: str, label: str, *, public: bool = True) -> Kind:
        kind = super().__new__(cls, code)
        kind.label, kind.public = label, public
        return kind

    @property
    def value(self) -> str:
        return str(self)

    def __reduce__(self):
        return (Kind, (str(self), self.label), {"public": self.public})


_KINDS: dict[str, Kind] = {}


def register(code: str, label: str, *, public: bool = True) -> Kind:
    """Register a kind (idempotent for the same label and visibility; a clash is a programming error)."""
    if not code or len(code) > 40 or not code.replace("_", "").isalnum() or not code.isascii():
        raise ValueError(f"a notice kind code is 1-40 ASCII letters, digits or _: {code!r}")
    existing = _KINDS.get(code)
    if existing is not None:
        if (existing.label, existing.public) != (label, public):
            raise ValueError(f"notice kind {code!r} is already registered as {existing.label!r}")
        return existing
    kind = _KINDS[code] = Kind(code, label, public=public)
    return kind


def get(code: str) -> Kind:
    """The registered kind of this code; KeyError if no package registered it."""
    return _KINDS[str(code)]


def of_stored(code: str) -> Kind:
    """The kind of a stored row: its registered kind, or (a package since removed) a public kind named by
    its code, so an old notice still shows."""
    return _KINDS.get(code) or Kind(code, code)


def all_kinds() -> list[Kind]:
    return list(_KINDS.values())


def public_codes() -> list[str]:
    return [code for code, kind in _KINDS.items() if kind.public]


# The kinds every method shares (财办库〔2020〕50号). A clarification is published like a correction, on the
# public list where the procurement notice appeared (87号令 Art 27), without naming who asked.
CORRECTION = register("correction", N_("更正公告"))
CLARIFICATION = register("clarification", N_("澄清公告"))
SUSPENSION = register("suspension", N_("中止公告"))
TERMINATION = register("termination", N_("终止公告"))
FAILURE = register("failure", N_("废标/终止公告"))
RESULT = register("result", N_("结果公告"))
CONTRACT = register("contract", N_("合同公告"))
ACCEPTANCE = register("acceptance", N_("验收公告"))
