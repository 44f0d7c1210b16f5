"""What an opened bid's files show: each file's SHA-256, its document metadata, and its text.

Read from the store's opened area (`opened/<project>/<bid>/`, tender.opening). DOCX (and XLSX, PPTX)
core and app properties come from the zip's `docProps/core.xml` and `docProps/app.xml`; a PDF's document
information dictionary (Author, Creator, Producer) is read from its uncompressed literal or hex strings,
since no PDF library is a dependency (a PDF whose Info sits in a compressed object stream shows none);
text is read from plain-text files and from a DOCX's `word/document.xml`. A PDF's body text is not read
(noted in the run's notes), so near-duplicate text compares text and Word documents only.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

TEXT_SUFFIXES = {".txt", ".md", ".csv", ".htm", ".html", ".xml", ".json"}
OFFICE_SUFFIXES = {".docx", ".xlsx", ".pptx", ".docm", ".dotx"}
MAX_TEXT_BYTES = 64 << 20  # one file's text read at most (a bid of several GB is mostly scans and drawings)
CORE_FIELDS = {"creator": "author", "lastModifiedBy": "last_modified_by", "title": "title"}
APP_FIELDS = {"Application": "tool", "AppVersion": "tool_version", "Template": "template", "Company": "company"}
PDF_FIELDS = {b"Author": "author", b"Creator": "tool", b"Producer": "producer"}
DEFAULT_TEMPLATES = {"normal.dotm", "normal.dot", "normal", "normal.wpt"}  # Word's and WPS's blank templates


@dataclass
class OpenedFile:
    name: str
    sha256: str
    size: int
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass
class OpenedBid:
    """What was read of one opened bid's files."""

    files: list[OpenedFile] = field(default_factory=list)
    text: str = ""
    unread: list[str] = field(default_factory=list)  # files whose text could not be compared (PDF…)


def read_opened(folder: Path) -> OpenedBid:
    """Hash every file under an opened bid's folder, read its metadata and its text."""
    bid = OpenedBid()
    if not folder.is_dir():
        return bid
    texts = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = str(path.relative_to(folder))
        data_hash, size = _sha256(path)
        item = OpenedFile(name, data_hash, size)
        suffix = path.suffix.lower()
        if suffix in OFFICE_SUFFIXES:
            item.metadata, text = office_properties(path)
            texts.append(text)
        elif suffix == ".pdf":
            item.metadata = pdf_info(path)
            bid.unread.append(name)
        elif suffix in TEXT_SUFFIXES:
            texts.append(decode(path.read_bytes()[:MAX_TEXT_BYTES]))
        bid.files.append(item)
    bid.text = "\n".join(t for t in texts if t)
    return bid


def _sha256(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 (older Chinese tools), never failing."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def office_properties(path: Path) -> tuple[dict[str, str], str]:
    """An Office Open XML file's core/app properties and (DOCX) body text; ({}, "") if it is not one."""
    meta: dict[str, str] = {}
    text = ""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            for part, fields in (("docProps/core.xml", CORE_FIELDS), ("docProps/app.xml", APP_FIELDS)):
                if part in names:
                    for element in ElementTree.fromstring(archive.read(part)):
                        key = fields.get(_local(element.tag))
                        if key and (element.text or "").strip():
                            meta[key] = element.text.strip()[:200]
            if "word/document.xml" in names:
                text = docx_text(archive.read("word/document.xml")[:MAX_TEXT_BYTES])
    except (zipfile.BadZipFile, ElementTree.ParseError, KeyError, OSError):
        return meta, text
    return meta, text


PARAGRAPH = re.compile(rb"</w:p>")
TAG = re.compile(rb"<[^>]+>")


def docx_text(xml: bytes) -> str:
    """The text runs of a DOCX body, one line per paragraph (tags dropped, entities kept as read)."""
    body = PARAGRAPH.sub(b"\n", xml)
    return decode(TAG.sub(b"", body)).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


PDF_STRING = re.compile(rb"/(Author|Creator|Producer)\s*(\((?:\\.|[^\\)])*\)|<[0-9A-Fa-f\s]*>)")


def pdf_info(path: Path) -> dict[str, str]:
    """A PDF's Author, Creator (the authoring tool) and Producer, from uncompressed literal or hex strings."""
    with open(path, "rb") as handle:
        data = handle.read(MAX_TEXT_BYTES)
    meta: dict[str, str] = {}
    for match in PDF_STRING.finditer(data):
        key = PDF_FIELDS[match.group(1)]
        value = _pdf_string(match.group(2)).strip()
        if value:
            meta[key] = value[:200]  # the last one wins: an incremental update appends a newer Info
    return meta


def _pdf_string(raw: bytes) -> str:
    if raw.startswith(b"<"):
        digits = re.sub(rb"\s", b"", raw[1:-1]).decode()
        body = bytes.fromhex(digits + "0" * (len(digits) % 2))
    else:
        body = re.sub(rb"\\([()\\])", rb"\1", raw[1:-1])
    if body.startswith(b"\xfe\xff"):
        return body[2:].decode("utf-16-be", errors="replace")
    return decode(body)
