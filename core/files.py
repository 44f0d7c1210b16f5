"""Files that several processes may create at once (keys, the embedded queue's table).

Two workers starting together on a fresh instance folder must end up with the same key and never read a
half-written file: the content is written aside (mode 0600), flushed to disk, then hard-linked into place,
which fails if another process got there first; the loser keeps the winner's file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


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
