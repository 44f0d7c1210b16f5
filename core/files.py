"""Files: created once by racing processes, named by uploaders, sent back as downloads.

Files that several processes may create at once (keys, the embedded queue's table): two workers starting
together on a fresh instance folder must end up with the same key and never read a half-written file: the
content is written aside (mode 0600), flushed to disk, then hard-linked into place, which fails if another
process got there first; the loser keeps the winner's file.

Names given by uploaders (tender documents, evidence) pass `upload_name` before anything is stored, and every
download leaves through `content_disposition` / `send_download`, one header for all (RFC 6266 `filename*`).
"""

from __future__ import annotations

import os
import tempfile
import unicodedata
from pathlib import Path
from urllib.parse import quote


def create_once(path: Path, data: bytes) -> bool:
    """Create `path` holding `data` unless it exists; True if this call created it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mkstemp's mode is 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(tmp, path)
        return True
    except FileExistsError:
        return False
    finally:
        os.unlink(tmp)


# ---- names of uploaded files, and the header that sends them back ----------------------------------------

MAX_NAME_CHARS = 255


def is_control(char: str) -> bool:
    """A control character: Unicode general category Cc, i.e. U+0000–U+001F and U+007F–U+009F (NUL, tab,
    newline, DEL, U+0085 NEXT LINE included). Format characters (Cf) are not control characters here."""
    return unicodedata.category(char) == "Cc"


def upload_name(name: str | None, *, what: str = "文件") -> str:
    """The name an uploaded file is stored and offered under, or ValidationError(`file_name_invalid`).

    Refused: any control character (`is_control`) and a name made only of dots (`.`, `..`, `...`): such a
    name could break a download header or mean a folder on the reader's machine. A path separator (`/`,
    `\\`) becomes `_` (an old browser sends `C:\\fakepath\\x.pdf`), so no stored name holds one. Surrounding
    spaces are dropped; an empty name is returned empty for the caller to refuse with its own message (no
    file chosen); longer names are cut to 255 characters."""
    from core.errors import ValidationError

    name = name or ""
    if any(is_control(c) for c in name):  # before the strip, which would drop a trailing newline or U+0085
        raise ValidationError(f"{what}名不能包含控制字符（如换行、制表符、NUL）。", code="file_name_invalid",
                              details={"reason": "control_character"})
    name = name.strip()
    if name and set(name) == {"."}:
        raise ValidationError(f"{what}名不能只由点组成（如 . 或 ..）。", code="file_name_invalid",
                              details={"reason": "dot_name"})
    return name.replace("/", "_").replace("\\", "_")[:MAX_NAME_CHARS]


def size_text(size: int) -> str:
    """A limit as people read it: `200 MiB`, `256 KiB`, or bytes."""
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size} B"


def without_controls(name: str) -> str:
    return "".join("_" if is_control(c) else c for c in name)


def content_disposition(name: str, *, inline: bool = False) -> str:
    """The `Content-Disposition` value for sending a file called `name` (RFC 6266): an ASCII `filename`
    for old clients and the exact name as `filename*` (RFC 8187, UTF-8, percent-encoded), always both.
    Control characters (a name stored before they were refused) become `_`, so none reaches the header."""
    safe = without_controls(name or "download")
    fallback = "".join(c if " " <= c <= "~" and c not in '"\\%' else "_" for c in safe)
    return (f"{'inline' if inline else 'attachment'}; filename=\"{fallback}\"; "
            f"filename*=UTF-8''{quote(safe, safe='')}")


def send_download(path: Path | str, name: str, *, mimetype: str | None = None, inline: bool = False):
    """Flask's send_file, with the one Content-Disposition of every download (`content_disposition`)."""
    from flask import send_file

    safe = without_controls(name or "download")  # send_file refuses a newline in its own header
    response = send_file(path, mimetype=mimetype, as_attachment=not inline, download_name=safe)
    response.headers["Content-Disposition"] = content_disposition(name, inline=inline)
    return response
