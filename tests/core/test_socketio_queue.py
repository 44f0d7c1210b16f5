"""The embedded Socket.IO message queue: what one process publishes, every listener receives."""

import contextlib
import queue
import threading

from core import socketio_queue


def test_folder_queue_fans_out_to_every_listener(tmp_path):
    config = {"SOCKETIO_MESSAGE_QUEUE": socketio_queue.EMBEDDED_URL, "SOCKETIO_QUEUE_FOLDER": str(tmp_path / "q")}
    received: list[queue.Queue] = []
    listeners = []
    for _ in range(2):  # two web processes
        inbox: queue.Queue = queue.Queue()
        manager = socketio_queue.client_manager(config)
        listen = manager._listen()

        def pump(listen=listen, inbox=inbox):
            inbox.put(next(listen))

        thread = threading.Thread(target=pump, daemon=True)
        thread.start()
        listeners.append(thread)
        received.append(inbox)
    worker = socketio_queue.client_manager(config, write_only=True)
    # Listeners bind their queues when they start; publish until both have one message.
    got = [None, None]
    for _ in range(50):
        worker._publish({"method": "emit", "event": "notice", "data": {"n": 1}})
        for i, inbox in enumerate(received):
            if got[i] is None:
                with contextlib.suppress(queue.Empty):
                    got[i] = inbox.get(timeout=0.2)
        if all(got):
            break
    assert all(got), got
    assert all(b'"notice"' in (g if isinstance(g, bytes) else str(g).encode()) for g in got)


def test_no_manager_without_embedded_queue():
    assert socketio_queue.client_manager({"SOCKETIO_MESSAGE_QUEUE": "redis://x"}) is None
    assert socketio_queue.client_manager({"SOCKETIO_MESSAGE_QUEUE": ""}) is None


def test_listeners_starting_together_all_bind(tmp_path):
    """kombu creates the fan-out table on the first bind without a lock: eight listeners binding at once
    on a fresh folder each wrote a table of one and all but one went deaf. The table exists first now."""
    import json

    config = {"SOCKETIO_MESSAGE_QUEUE": socketio_queue.EMBEDDED_URL, "SOCKETIO_QUEUE_FOLDER": str(tmp_path / "q")}
    managers = [socketio_queue.client_manager(config) for _ in range(8)]
    start = threading.Barrier(len(managers))

    def bind(manager):
        start.wait()
        with manager._connection() as connection:
            manager._queue().bind(connection).declare()

    threads = [threading.Thread(target=bind, args=(m,)) for m in managers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    table = json.loads((tmp_path / "q" / "control" / f"{socketio_queue.CHANNEL}.exchange").read_text())
    assert len(table) == len(managers)
