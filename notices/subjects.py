"""The subjects notices are about, as each publishing package describes them to the notice centre.

The notice kit depends on no method package: a package whose model is a notice's subject (tender's
`tender_project`, later mall/ orders, plan/ intentions) registers a `SubjectKind` at import time saying
- `facts(subject)`: what the centre filters by (the method's code, the catalogue code), copied onto the
  notice when it is published;
- `sections(notice, subject)`: the notice's page in the sections of 财办库〔2020〕50号 (项目概况, 采购需求 with
  the main items, 资格要求, 获取文件, 响应文件提交, 开启, 公告期限, 联系方式 …): what the subject knows, each
  section a list of label/value rows and an optional table;
- `actions(notice, subject, user)`: the buttons that fit the subject's stage now (报名 while documents are
  on offer; nothing to sign up for on a closed project's result notice);
- `methods`: the method codes it uses with their Chinese names, for the centre's filter.

A subject type nobody registered shows its notice's text alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Facts:
    """What the notice centre filters a subject's notices by."""

    method: str | None = None
    catalogue_code: str | None = None


@dataclass(frozen=True)
class Section:
    """One section of a notice page (财办库〔2020〕50号): a heading, label/value rows, an optional table
    (headers and rows of plain strings) and an optional closing text."""

    title: str
    rows: Sequence[tuple[str, str]] = ()
    table_headers: Sequence[str] = ()
    table_rows: Sequence[Sequence[str]] = ()
    text: str = ""


@dataclass(frozen=True)
class Action:
    """A button under a notice: its label, where it goes, and whether it is the page's main action."""

    label: str
    url: str
    primary: bool = False


@dataclass(frozen=True)
class SubjectKind:
    subject_type: str
    load: Callable[[int], object | None]
    facts: Callable[[object], Facts]
    sections: Callable[[object, object], list[Section]]
    actions: Callable[[object, object, object], list[Action]]
    methods: dict[str, str] = field(default_factory=dict)


_KINDS: dict[str, SubjectKind] = {}


def register(kind: SubjectKind) -> SubjectKind:
    """Register (or re-register, at a reload) the subject type's description."""
    _KINDS[kind.subject_type] = kind
    return kind


def get(subject_type: str) -> SubjectKind | None:
    return _KINDS.get(subject_type)


def facts_of(subject: object) -> Facts:
    """The facts of a stored subject, by its table (none for a type nobody registered)."""
    kind = _KINDS.get(getattr(subject, "__tablename__", ""))
    return kind.facts(subject) if kind is not None else Facts()


def method_labels() -> dict[str, str]:
    """Every registered method code with its Chinese name (N_-marked: translate where shown)."""
    labels: dict[str, str] = {}
    for kind in _KINDS.values():
        labels.update(kind.methods)
    return labels
