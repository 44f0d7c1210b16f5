"""What an expert proves and what changes after admission: uploaded evidence (ID document, title and
qualification certificates, proof of a new employment) and the employer change review.

Finance admits an expert on evidence, not on typed claims, so registration takes the documents and
the reviewer opens them. An admitted expert who moves to another employer must not stay on file
under the old one (a bidder could then draw its own employee): the new employer is avoided from the
moment it is declared, finance reviews it, and on approval the old one becomes a past employer, which
the avoidance rules keep covering for the region's years.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import BinaryIO

from sqlalchemy import select

from accounts.models import Org, User
from audit.service import record
from core import clock, files
from core.db import db
from core.errors import Conflict, NotFound, PayloadTooLarge, ValidationError
from core.filestore import Area, UploadTooLarge
from registry.experts.models import (
    ChangeStatus,
    DocumentKind,
    EmployerChange,
    Expert,
    ExpertDocument,
    ExpertRelation,
    ExpertStatus,
    RelationKind,
)
from registry.experts.service import known_org, lock_expert, require_reviewer

AREA = Area("registry")
MiB = 1024 * 1024
MAX_DOCUMENT_BYTES = 10 * MiB  # a scan or a photo of a certificate
# What the reviewer's browser can show: checked by the file's first bytes, not its name.
SIGNATURES = {b"%PDF-": ".pdf", b"\xff\xd8\xff": ".jpg", b"\x89PNG\r\n\x1a\n": ".png"}
KIND_LABELS = {
    DocumentKind.ID_CARD: "身份证件",
    DocumentKind.TITLE: "职称证书",
    DocumentKind.QUALIFICATION: "执业资格证书",
    DocumentKind.EMPLOYMENT: "在职证明",
}


def _suffix(path) -> str:
    with open(path, "rb") as handle:
        head = handle.read(8)
    for magic, suffix in SIGNATURES.items():
        if head.startswith(magic):
            return suffix
    raise ValidationError("证明材料须为 PDF、JPG 或 PNG 文件。", code="document_type_invalid")


def add_document(expert: Expert, kind: DocumentKind | str, name: str, stream: BinaryIO,
                 change: EmployerChange | None = None) -> ExpertDocument:
    """Store one piece of evidence. The caller removes the file if its transaction rolls back
    (`discard_files`)."""
    try:
        kind = DocumentKind(kind)
    except ValueError:
        raise ValidationError("请选择材料类型。", code="document_kind_invalid") from None
    name = files.upload_name(name, what="证明材料")
    if not name:
        raise ValidationError("请选择要上传的文件。", code="document_missing")
    try:
        with AREA.temp_upload(stream, max_bytes=MAX_DOCUMENT_BYTES) as upload:
            if upload.size == 0:
                raise ValidationError("上传的文件是空的。", code="document_empty")
            path = AREA.keep(upload, f"experts/{expert.id}", _suffix(upload.path))
    except UploadTooLarge:
        raise PayloadTooLarge(f"每份证明材料不能超过 {files.size_text(MAX_DOCUMENT_BYTES)}。",
                              code="document_too_large", details={"max_bytes": MAX_DOCUMENT_BYTES}) from None
    doc = ExpertDocument(expert_id=expert.id, kind=kind, name=name, path=path, size=upload.size,
                         sha256=upload.sha256, uploaded_at=clock.now(), change_id=change.id if change else None)
    db.session.add(doc)
    db.session.flush()
    record("registry.expert_document_added", expert, {"document": doc.id, "kind": kind.value,
                                                      "sha256": upload.sha256})
    return doc


def discard_files(docs: list[ExpertDocument]) -> None:
    """After a rollback: the files of documents that were never committed."""
    for doc in docs:
        AREA.remove(doc.path)


def document_of(expert: Expert, doc_id: int) -> ExpertDocument:
    doc = db.session.get(ExpertDocument, doc_id)
    if doc is None or doc.expert_id != expert.id:
        raise NotFound("材料不存在。", code="document_not_found")
    return doc


def missing_kinds(expert: Expert) -> list[DocumentKind]:
    """What a registration still lacks for review: the ID document always, a certificate of the title
    or the qualification the expert states."""
    have = {d.kind for d in expert.documents}
    needed = [DocumentKind.ID_CARD]
    if expert.title and DocumentKind.TITLE not in have and DocumentKind.QUALIFICATION not in have:
        needed.append(DocumentKind.TITLE)
    return [k for k in needed if k not in have]


# ---------------------------------------------------------------- employer change


def pending_change(expert: Expert) -> EmployerChange | None:
    return db.session.scalar(select(EmployerChange).where(EmployerChange.expert_id == expert.id,
                                                          EmployerChange.status == ChangeStatus.PENDING))


def request_employer_change(expert: Expert, new_name: str, starts_on: date,
                            new_org_id: int | None = None) -> EmployerChange:
    """The expert declares a new employer. Avoidance covers it at once (as a pending-employer
    relation), before finance has looked at the evidence."""
    expert = lock_expert(expert)
    if expert.status not in (ExpertStatus.ACTIVE, ExpertStatus.SUSPENDED):
        raise Conflict("入库前的资料请直接修改入库申请。", code="expert_not_admitted")
    if pending_change(expert) is not None:
        raise Conflict("已有一项单位变更在审核中，请等待审核结果。", code="change_pending")
    if not new_name.strip():
        raise ValidationError("请填写新的工作单位。", code="employer_required")
    if new_org_id is not None and db.session.get(Org, new_org_id) is None:
        raise ValidationError("工作单位不存在。", code="employer_invalid")
    if starts_on > clock.to_local(clock.now()).date():
        raise ValidationError("入职日期不能晚于今天；入职后再申报。", code="start_in_future")
    new_org_id = new_org_id if new_org_id is not None else known_org(new_name)
    change = EmployerChange(expert_id=expert.id, old_employer_name=expert.employer_name,
                            old_employer_org_id=expert.employer_org_id, new_employer_name=new_name.strip(),
                            new_employer_org_id=new_org_id, starts_on=starts_on, submitted_at=clock.now())
    db.session.add(change)
    db.session.add(ExpertRelation(expert_id=expert.id, kind=RelationKind.PENDING_EMPLOYER,
                                  org_name=new_name.strip(), org_id=new_org_id, start_on=starts_on,
                                  note="单位变更申请审核中"))
    db.session.flush()
    record("registry.expert_employer_change_requested", expert,
           {"change": change.id, "old": change.old_employer_name, "new": change.new_employer_name})
    return change


def _pending_relation(expert: Expert) -> ExpertRelation | None:
    return next((r for r in expert.relations if r.kind == RelationKind.PENDING_EMPLOYER), None)


def review_employer_change(reviewer: User, change_id: int, approve: bool, note: str = "") -> EmployerChange:
    """Finance approves (the new employer becomes current, the old one a past employer that ended the
    day before the new one began) or rejects with a reason (nothing on file changes)."""
    require_reviewer(reviewer)
    change = db.session.scalar(select(EmployerChange).where(EmployerChange.id == change_id).with_for_update())
    if change is None:
        raise NotFound("变更申请不存在。", code="change_not_found")
    if change.status != ChangeStatus.PENDING:
        raise Conflict("该变更申请已审核。", code="change_reviewed")
    if not approve and not note.strip():
        raise ValidationError("请填写不予变更的理由。", code="reason_required")
    expert = lock_expert(change.expert)
    relation = _pending_relation(expert)
    if relation is not None:
        expert.relations.remove(relation)
    if approve:
        ended = change.starts_on - timedelta(days=1)
        expert.relations.append(ExpertRelation(kind=RelationKind.PAST_EMPLOYER, org_name=expert.employer_name,
                                               org_id=expert.employer_org_id, end_on=ended,
                                               note="单位变更前的工作单位"))
        expert.employer_name = change.new_employer_name
        expert.employer_org_id = change.new_employer_org_id
    change.status = ChangeStatus.APPROVED if approve else ChangeStatus.REJECTED
    change.reviewed_by_id, change.reviewed_at, change.review_note = reviewer.id, clock.now(), note.strip()
    db.session.flush()
    record("registry.expert_employer_change_reviewed", expert,
           {"change": change.id, "approved": approve, "note": change.review_note})
    return change


def pending_changes() -> list[EmployerChange]:
    return list(db.session.scalars(select(EmployerChange).where(EmployerChange.status == ChangeStatus.PENDING)
                                   .order_by(EmployerChange.submitted_at)))
