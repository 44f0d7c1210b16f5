"""The file store (FILE_STORE), one folder per package area: uploads stream in bounded memory.

Uploads go to the area's `tmp/` first, hashed while they stream in, and are renamed into place
only once accepted; a refused or broken upload deletes its temp file, so nothing is left behind.
A package takes its own area (`Area("tender")`, `Area("registry")`) and stores paths relative
to it, so no package writes into another's folder.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import current_app

CHUNK = 1024 * 1024


class UploadTooLarge(ValueError):
    """The stream went past `max_bytes`; nothing of it is kept."""


@dataclass
class Upload:
    path: Path
    size: int
    sha256: str


@dataclass(frozen=True)
class Area:
    """One package's folder of the file store."""

    name: str

    def root(self) -> Path:
        return Path(current_app.config["FILE_STORE"]) / self.name

    def absolute(self, relative: str) -> Path:
        root = self.root().resolve()
        path = (root / relative).resolve()
        if root not in path.parents:
            raise ValueError("path escapes the file store")
        return path

    @contextmanager
    def temp_upload(self, stream: BinaryIO, max_bytes: int | None = None) -> Iterator[Upload]:
        """Copy `stream` to a temp file while hashing; the file is removed on exit unless the caller
        moved it away with `keep`."""
        tmp_dir = self.root() / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix="upload-", suffix=".part", dir=tmp_dir)
        path = Path(name)
        try:
            hasher, size = hashlib.sha256(), 0
            with os.fdopen(fd, "wb") as out:
                while True:
                    chunk = stream.read(CHUNK)
                    if not chunk:
                        break
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise UploadTooLarge(f"upload larger than {max_bytes} bytes")
                    hasher.update(chunk)
                    out.write(chunk)
            yield Upload(path, size, hasher.hexdigest())
        finally:
            path.unlink(missing_ok=True)

    def keep(self, upload: Upload, folder: str, suffix: str = "") -> str:
        """Move an accepted upload into `folder` under a fresh name; returns its relative path."""
        relative = f"{folder}/{uuid.uuid4().hex}{suffix}"
        target = self.absolute(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(upload.path, target)
        return relative

    def remove(self, relative: str | None) -> None:
        if relative:
            self.absolute(relative).unlink(missing_ok=True)

    def remove_tree(self, relative: str) -> None:
        shutil.rmtree(self.absolute(relative), ignore_errors=True)

    def sha256_of(self, relative: str) -> str:
        hasher = hashlib.sha256()
        with open(self.absolute(relative), "rb") as handle:
            while chunk := handle.read(CHUNK):
                hasher.update(chunk)
        return hasher.hexdigest()
