"""The local beacon's HTTP server: drand's public API (``/{chainhash}/info``, ``/{chainhash}/public/{round}``,
``/{chainhash}/public/latest``, and the same without the chain hash for the default chain)."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from beacon.local import LocalBeacon

_PATH = re.compile(r"^(?:/(?P<chain>[0-9a-f]{64}))?/(?:(?P<info>info)|public/(?P<round>latest|[0-9]{1,19}))/?$")


def make_server(directory: Path, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """A server bound to (host, port) that serves the local chain (``port=0`` picks a free one)."""
    beacon = LocalBeacon(directory)

    class Handler(BaseHTTPRequestHandler):
        server_version = "biaoyun-local-beacon"

        def log_message(self, *args) -> None:
            pass

        def _send(self, status: int, body: dict, cache: str = "no-store") -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", cache)
            self.send_header("Access-Control-Allow-Origin", "*")
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            match = _PATH.match(self.path.split("?", 1)[0])
            if match is None or (match["chain"] and match["chain"] != beacon.chain_hash):
                self._send(404, {"error": "unknown chain or path"})
                return
            if match["info"]:
                self._send(200, beacon.drand_info(), "public, max-age=3600")
                return
            wanted = beacon.latest_round() if match["round"] == "latest" else int(match["round"])
            body = beacon.beacon_json(wanted)
            if body is None:
                self._send(425, {"error": f"round {wanted} is not signed yet"})
            else:
                self._send(200, body, "public, max-age=31536000, immutable")

    return ThreadingHTTPServer((host, port), Handler)


def serve_in_thread(directory: Path, host: str = "127.0.0.1", port: int = 0) -> tuple[ThreadingHTTPServer, str]:
    """Start the server on a daemon thread (tests); returns it and its base URL."""
    server = make_server(directory, host, port)
    threading.Thread(target=server.serve_forever, daemon=True, name="local-beacon").start()
    return server, f"http://{host}:{server.server_address[1]}"
