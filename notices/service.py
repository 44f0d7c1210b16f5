"""Publishing, withdrawing and reading notices. The caller owns the transaction: nothing here commits."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from audit.service import record
from core import clock
from core.db import db
from core.errors import Conflict
from notices import search, subjects
from notices.kinds import Kind, get, public_codes
from notices.models import Notice, NoticeAttachment
from region_rules.store import version as rules_version

LIST_LIMIT = 100


@dataclass(frozen=True)
class Attachment:
    """A file to publish with a notice, already stored under FILE_STORE by the caller."""

    name: str
    path: str
    size: int
    sha256: str


def subject_key(subject: object) -> tuple[str, int]:
    """(subject_type, subject_id) of a model instance: its table name and id, as the audit log names it."""
    subject_type = getattr(subject, "__tablename__", None)
    subject_id = getattr(subject, "id", None)
    if not subject_type or subject_id is None:
        raise TypeError(f"a notice's subject is a stored model instance, not {subject!r}")
    return subject_type, subject_id


def body_digest(body: str) -> str:
    """SHA-256 of the body's UTF-8 text: what the audit event holds, so anyone can check a notice's text."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def publish_notice(subject: object, kind: Kind | str, title: str, body: str, lot_id: int | None = None, *,
                   region_code: str | None = None, attachments: Sequence[Attachment] = (),
                   rule_version: int | None = None, facts: subjects.Facts | None = None) -> Notice:
    """Publish a notice about `subject` now, with its `notice.published` audit event, in the caller's
    transaction (flushed, so the caller's own event can name it; the caller commits).

    `subject` is the model instance of the procurement process (a tender `Project`…); its `region_code` is
    the notice's region unless `region_code` is given. `kind` must be registered (`notices.kinds`).
    `rule_version` is the region's rule-set version the notice was published under: by default the one in
    force now (`region_rules.store.version`); a process that ran under another passes its own. The
    event holds the kind, subject, title, the body's SHA-256 and each attachment's: its inclusion proof
    (`proof_of`) shows the text was published then and has not changed since.

    The notice centre's filters (method, catalogue) come from the subject's registered `notices.subjects`
    facts unless `facts` is given; its words go into the search index (`notices.search`) here too."""
    kind = get(kind)
    facts = facts if facts is not None else subjects.facts_of(subject)
    subject_type, subject_id = subject_key(subject)
    region_code = region_code or getattr(subject, "region_code", None)
    if not region_code:
        raise ValueError("a notice needs the region it is published in")
    if rule_version is None:
        rule_version = rules_version(region_code)
    notice = Notice(kind=kind, region_code=region_code, subject_type=subject_type, subject_id=subject_id,
                    lot_id=lot_id, title=title[:200], body=body, published_at=clock.now(),
                    rule_version=rule_version, method=facts.method, catalogue_code=facts.catalogue_code,
                    attachments=[NoticeAttachment(name=a.name, path=a.path, size=a.size, sha256=a.sha256)
                                 for a in attachments])
    db.session.add(notice)
    db.session.flush()
    event = record("notice.published", notice, {
        "kind": kind.value, "subject": f"{subject_type}:{subject_id}", "lot_id": lot_id, "region": region_code,
        "title": notice.title, "body_sha256": body_digest(body), "rule_version": rule_version,
        "attachments": [{"name": a.name, "sha256": a.sha256} for a in notice.attachments]})
    notice.audit_seq = event.seq
    db.session.flush()
    search.index_notice(notice)
    return notice


def withdraw_notice(notice: Notice, title: str, body: str) -> Notice:
    """Withdraw a published notice with a correction notice (更正公告) that says why: the old notice stays
    readable, marked as withdrawn and pointing to the correction, and leaves the public lists. Audited
    (`notice.withdrawn`); the caller records why in its own event. Returns the correction notice."""
    from notices.kinds import CORRECTION

    if notice.withdrawn_at is not None:
        raise Conflict("该公告已撤销。", code="notice_withdrawn")
    correction = publish_notice(_Subject(notice.subject_type, notice.subject_id), CORRECTION, title, body,
                                notice.lot_id, region_code=notice.region_code, rule_version=notice.rule_version,
                                facts=subjects.Facts(notice.method, notice.catalogue_code))
    notice.withdrawn_at, notice.withdrawn_by_id = clock.now(), correction.id
    db.session.flush()
    search.unindex_notice(notice)  # off the public lists, off the search too
    record("notice.withdrawn", notice, {"correction": correction.id})
    return correction


@dataclass(frozen=True)
class _Subject:
    """A subject known only by its key (a correction names the subject of the notice it corrects)."""

    __tablename__: str
    id: int


def get_notice(notice_id: int) -> Notice | None:
    return db.session.get(Notice, notice_id)


def notices_of(subject: object, kind: Kind | str | None = None, lot_id: int | None = None) -> list[Notice]:
    """Every notice of a subject, oldest first, withdrawn ones included (the subject's own page shows all);
    optionally of one kind and of one lot (or the whole subject)."""
    subject_type, subject_id = subject_key(subject)
    query = select(Notice).where(Notice.subject_type == subject_type, Notice.subject_id == subject_id)
    if kind is not None:
        query = query.where(Notice.kind == str(kind))
    if lot_id is not None:
        query = query.where((Notice.lot_id == lot_id) | Notice.lot_id.is_(None))
    return list(db.session.scalars(query.order_by(Notice.published_at, Notice.id)))


def public_notices(kinds: Sequence[str] | None = None, limit: int = LIST_LIMIT) -> list[Notice]:
    """The public list, newest first: notices of public kinds (of `kinds` if given), withdrawn ones left off."""
    codes = [k for k in (kinds if kinds is not None else public_codes()) if k in public_codes()]
    return list(db.session.scalars(select(Notice).where(Notice.kind.in_(codes), Notice.withdrawn_at.is_(None))
                                   .order_by(Notice.published_at.desc(), Notice.id.desc()).limit(limit)))


def first_published_at(subject_type: str, subject_id: int, kind: Kind | str, lot_id: int | None = None):
    """When the first notice of this kind about the subject (and lot, or the whole subject) came out, or None."""
    from sqlalchemy import func

    query = select(func.min(Notice.published_at)).where(
        Notice.subject_type == subject_type, Notice.subject_id == subject_id, Notice.kind == str(kind))
    if lot_id is not None:
        query = query.where((Notice.lot_id == lot_id) | Notice.lot_id.is_(None))
    return db.session.scalar(query)


def is_public(notice: Notice) -> bool:
    return notice.kind.public


def proof_of(notice: Notice) -> dict | None:
    """The inclusion proof of the notice's `notice.published` event against a signed checkpoint (signed now
    if none covers it yet: the caller commits), or None for a notice published before the kit audited."""
    if notice.audit_seq is None:
        return None
    from audit.service import prove, verifier_key_fingerprint

    return {**prove(notice.audit_seq), "verifier_key_fingerprint": verifier_key_fingerprint(),
            "notice_id": notice.id, "body_sha256": body_digest(notice.body)}


@dataclass(frozen=True)
class Described:
    """What a notice's page shows beyond its text: the subject's sections and the buttons of its stage."""

    sections: list[subjects.Section]
    actions: list[subjects.Action]


def describe(notice: Notice, user: object) -> Described:
    """The notice in the sections of 财办库〔2020〕50号 and the actions its subject allows now, as the subject's
    package registered them (`notices.subjects`); a subject nobody registered, or gone, shows its text alone."""
    kind = subjects.get(notice.subject_type)
    subject = kind.load(notice.subject_id) if kind is not None else None
    if kind is None or subject is None:
        return Described([], [])
    return Described(kind.sections(notice, subject), kind.actions(notice, subject, user))


def region_names() -> dict[str, str]:
    from accounts.models import Region

    return dict(db.session.execute(select(Region.code, Region.name)).all())


def region_choices() -> list[tuple[str, str, int]]:
    """The region tree as (code, name, depth), each region followed by those under it: the filter's choices."""
    from accounts.models import Region

    rows = db.session.execute(select(Region.code, Region.name, Region.parent_code).order_by(Region.code)).all()
    children: dict[str | None, list[tuple[str, str]]] = {}
    for code, name, parent in rows:
        children.setdefault(parent, []).append((code, name))
    out: list[tuple[str, str, int]] = []

    def walk(parent: str | None, depth: int) -> None:
        for code, name in children.get(parent, ()):
            out.append((code, name, depth))
            walk(code, depth + 1)

    walk(None, 0)
    return out


def root_region() -> str | None:
    """The top of the region tree (the province the platform serves), for the default feed."""
    choices = region_choices()
    return choices[0][0] if choices else None


def region_path(code: str) -> list[str]:
    """A region's names from the province down (浙江省 › 温州市 › 泰顺县)."""
    from accounts.models import Region

    region = db.session.get(Region, code)
    return [r.name for r in reversed(region.lineage())] if region else [code]
