"""Where contracts come from: each purchasing method registers one `ContractSource`.

The kit (`contracts.service`) drafts, signs, publishes and voids every contract the same way; what
only the method knows comes from its source: the object the contract rests on (an award, an order…),
who may draft it, when it may be drafted or signed, the facts fixed by the records (parties, amount,
items, the documents it rests on, the last day to sign), how to describe it on the page, the PDF and
the notice, what the method does once both parties signed, and the sources of this user still
waiting for a contract. A method registers at import time:

    ORDER = sources.register(ContractSource(kind="order", label=N_("电子卖场订单"), load=..., ...))

`kind` is a short slug: the draft page is /contracts/<kind>/<source id>/draft.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from core.errors import DomainError


@dataclass(frozen=True)
class Facts:
    """What the records fix: the contract may not change any of it (政府采购法第四十六条)."""

    number: str
    region_code: str
    purchaser_org_id: int
    supplier_org_id: int
    agency_org_id: int | None
    amount_fen: int
    due: date                        # the last day to sign (local date)
    fixed: dict[str, Any]            # the method's own sections of the document (subject, items, basis…)


def as_written(text: str, **values: object) -> str:
    """The `gettext` of documents: the notice and the PDF are in Chinese whatever the reader's language."""
    return text % values if values else text


@dataclass(frozen=True)
class Description:
    """How a contract's document reads on the page (in the reader's language: `describe` gets the page's
    `gettext`), in the PDF and in the notice (in Chinese: it gets `as_written`)."""

    title: str                               # "某项目（标项1）"
    subject: str                             # one line: what is bought
    subject_lines: list[str]                 # the subject's particulars, one per line
    basis: list[tuple[str, str]]             # (document, SHA-256) the contract rests on
    delivery: str = ""


@dataclass(frozen=True)
class ToDraft:
    """A source of this user's that waits for its contract to be drafted."""

    source_id: int
    title: str
    due: date


@dataclass(frozen=True)
class ContractSource:
    kind: str
    label: str
    load: Callable[[int, bool], Any]                    # (id, lock) → the object, or raises NotFound
    facts: Callable[[Any], Facts]
    may_draft: Callable[[Any, Any], bool]               # (user, object)
    refusal: Callable[[Any, str], DomainError | None]   # (object, "draft" | "sign"): why not now
    describe: Callable[[dict, Callable[..., str]], Description]  # (document, gettext) → its description
    notice_subject: Callable[[Any], tuple[Any, int | None]]  # (object) → (notice subject, lot id)
    concluded: Callable[[Any, Any], None]               # (contract, object): both parties signed
    to_draft: Callable[[Any], list[ToDraft]] = field(default=lambda user: [])


_SOURCES: dict[str, ContractSource] = {}


def register(source: ContractSource) -> ContractSource:
    if not source.kind.isidentifier():
        raise ValueError(f"contract source kind {source.kind!r} is not a slug")
    _SOURCES[source.kind] = source
    return source


def get(kind: str) -> ContractSource:
    return _SOURCES[kind]


def known(kind: str) -> bool:
    return kind in _SOURCES


def all_sources() -> list[ContractSource]:
    return list(_SOURCES.values())
