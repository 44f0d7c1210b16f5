"""Evidence files of challenges and complaints (质疑、投诉的证明材料).

Every file is first received whole into a temp file of the tender file store (hashed while it streams,
size-limited); only once the filing has passed every check are the files moved into place, each with an
`EvidenceFile` row. A refused filing therefore leaves no file; a transaction that rolls back (or fails to
commit) removes the files it had kept (declared with `core.after_commit.on_rollback`). Who may read them:
`can_read`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import BinaryIO

from accounts.models import Role, User
from core import clock, files
from core.after_commit import on_rollback
from core.db import db
from core.errors import NotFound, ValidationError
from evaluation.models import Award, Challenge, Complaint, EvidenceFile

MAX_FILES = 10
MAX_FILE_BYTES = 20 * 1024 * 1024

Incoming = tuple[str, BinaryIO]  # (file name as uploaded, stream)


@contextmanager
def received(incoming: Sequence[Incoming]) -> Iterator[list]:
    """Receive every upload into a temp file (nameless parts, i.e. empty file inputs, are skipped);
    refuse too many, empty or too large files. The temp files are removed on exit unless `keep` moved
    them."""
    from tender import filestore

    cleaned = [(files.upload_name(name, what="证明材料文件"), stream) for name, stream in incoming]
    named = [(name, stream) for name, stream in cleaned if name]
    if len(named) > MAX_FILES:
        raise ValidationError(f"证明材料最多 {MAX_FILES} 个文件。", code="too_many_evidence_files")
    with ExitStack() as stack:
        out = []
        for name, stream in named:
            try:
                upload = stack.enter_context(filestore.temp_upload(stream, max_bytes=MAX_FILE_BYTES))
            except ValueError:
                raise ValidationError(f"证明材料“{name}”超过 {MAX_FILE_BYTES // 1024 // 1024} MB。",
                                      code="evidence_too_large") from None
            if upload.size == 0:
                raise ValidationError(f"证明材料“{name}”是空文件。", code="evidence_empty")
            out.append((name, upload))
        yield out


def listing(uploads: list) -> list[dict]:
    """What the audit event records of each file: name, size and SHA-256."""
    return [{"name": name, "size": upload.size, "sha256": upload.sha256} for name, upload in uploads]


def keep(uploads: list, owner: Challenge | Complaint, project_id: int, user: User) -> list[EvidenceFile]:
    """Move the received files into the store, one row each (the last step of a filing)."""
    from tender import filestore

    owner_key = "challenge_id" if isinstance(owner, Challenge) else "complaint_id"
    rows = []
    for name, upload in uploads:
        path = filestore.keep(upload, f"evidence/{project_id}", ".bin")
        on_rollback(filestore.remove, path)  # a filing that is not committed leaves no file
        rows.append(EvidenceFile(**{owner_key: owner.id}, name=name, size=upload.size, sha256=upload.sha256,
                                 path=path, uploaded_by_id=user.id, uploaded_at=clock.now()))
    db.session.add_all(rows)
    db.session.flush()
    return rows


def commit() -> None:
    """Commit the request; if the commit fails it is rolled back, and the files it kept go with it."""
    try:
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def rollback() -> None:
    """Roll back, removing the files this transaction kept."""
    db.session.rollback()


def _award_of(item: EvidenceFile) -> tuple[Award, int]:
    owner = db.session.get(Challenge, item.challenge_id) if item.challenge_id else db.session.get(
        Complaint, item.complaint_id)
    return db.session.get(Award, owner.award_id), owner.org_id


def can_read(user: User, item: EvidenceFile) -> bool:
    """The filer's own organisation, the project's agency and purchaser, and the region's supervisors;
    never another bidder."""
    from evaluation import service

    if user is None or not user.is_authenticated:
        return False
    award, org_id = _award_of(item)
    committee = service.committee_for_lot(award.lot_id)
    return ((user.has_role(Role.SUPPLIER) and user.org_id == org_id) or service.is_agency(user, committee)
            or service.is_purchaser(user, committee) or service.is_supervisor(user, committee))


def file_for(user: User, file_id: int) -> EvidenceFile:
    """The file row, for someone allowed to read it (otherwise: not found, so nobody learns it exists)."""
    item = db.session.get(EvidenceFile, file_id)
    if item is None or not can_read(user, item):
        raise NotFound("证明材料不存在。", code="evidence_not_found")
    return item


def absolute(item: EvidenceFile):
    from tender import filestore

    return filestore.absolute(item.path)
