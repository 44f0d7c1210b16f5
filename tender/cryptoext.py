"""What tender/ needs from crypto/ beyond its public API (asked of the crypto owner).

Bidder mode: the supplier unwraps the file key from its own stanza in its browser and hands
the server the key, not its private key. crypto's public API opens only with shares or with
the supplier's private key; `crypto.opening.open_with_file_key` does exactly the remaining
case, so this thin wrapper calls it until crypto exports it.
"""

from __future__ import annotations

import os
from typing import Any, BinaryIO

import crypto
from crypto.opening import open_with_file_key as _open_with_file_key


def open_with_file_key(source: BinaryIO, file_key: bytes, out_dir: str | os.PathLike[str],
                       policy: dict[str, Any] | None = None) -> crypto.OpenResult:
    """Open a container with its file key (checked against the key commitment first)."""
    header = crypto.read_header(source)
    return _open_with_file_key(source, header, file_key, crypto.DirectorySink(out_dir), policy)
