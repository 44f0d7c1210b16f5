"""The Socket.IO message queue: Redis at scale, a folder on the embedded default.

Flask-SocketIO relays emits between processes through a message queue. kombu's filesystem
transport supports the fan-out this needs, so a single-machine install gets the same
behaviour as a Redis one with nothing more to run.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import socketio as python_socketio

from core.files import create_once

EMBEDDED_URL = "filesystem://"
CHANNEL = "flask-socketio"


def is_embedded(config: Mapping[str, Any]) -> bool:
    return config.get("SOCKETIO_MESSAGE_QUEUE") == EMBEDDED_URL


def connection_options(config: Mapping[str, Any]) -> dict:
    folder = Path(config["SOCKETIO_QUEUE_FOLDER"])
    for sub in ("data", "control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    _create_exchange_table(folder / "control" / f"{CHANNEL}.exchange")
    return {"transport_options": {"data_folder_in": str(folder / "data"), "data_folder_out": str(folder / "data"),
                                  "control_folder": str(folder / "control"), "polling_interval": 0.2}}


def _create_exchange_table(path: Path) -> None:
    """Create the fan-out exchange's (empty) binding table before any listener binds. kombu's filesystem
    transport creates it on the first bind without a lock held across "does it exist?" and "write", so
    two listeners starting together on a fresh folder could each write a table of one and lose the
    other's binding (that listener then never heard anything). With the file there, every bind takes
    kombu's locked read-modify-write path. Made atomically: written aside, then linked into place."""
    if path.exists():
        return
    create_once(path, b"[]")  # another process may make it first: the same empty table


def client_manager(config: Mapping[str, Any], write_only: bool = False) -> python_socketio.KombuManager | None:
    """The embedded queue's manager; None lets Flask-SocketIO pick its own (Redis, or none)."""
    if not is_embedded(config):
        return None
    return python_socketio.KombuManager(EMBEDDED_URL, channel=CHANNEL, write_only=write_only,
                                        connection_options=connection_options(config))


def reset_embedded_queue(config: Mapping[str, Any]) -> None:
    """Forget the queues of web processes that are gone (their messages would pile up unread)."""
    if is_embedded(config):
        shutil.rmtree(config["SOCKETIO_QUEUE_FOLDER"], ignore_errors=True)
        connection_options(config)  # recreate the empty folders
