"""Serve front-end packages installed by npm (package.json) under /vendor/.

Only the listed distribution folders are exposed, never the whole node_modules tree.

The noble packages (@noble/curves, @noble/hashes, @noble/ciphers: the BLS12-381 pairing, SHA-256 and
ChaCha20-Poly1305 of the browser's time-lock sealing, static/js/crypto/tlock.js) are ES modules that import
each other by bare specifier (``'@noble/hashes/utils'``). A browser resolves those only through an import
map, which the strict CSP (no inline script) rules out, so their .js files are served with each
``@noble/<pkg>/<path>`` specifier rewritten to ``/vendor/noble-<pkg>/<path>.js``: the code is npm's, byte
for byte, except those strings.
"""

import re
from functools import lru_cache
from pathlib import Path

from flask import Flask, Response, abort, send_from_directory
from werkzeug.security import safe_join

from core.config import ROOT

NODE_MODULES = ROOT / "node_modules"
VENDOR_DIRS = {
    "bootstrap": NODE_MODULES / "bootstrap" / "dist",
    "socket.io": NODE_MODULES / "socket.io-client" / "dist",
    "echarts": NODE_MODULES / "echarts" / "dist",  # the statistics page's charts (echarts.esm.min.js, one file)
    "noble-curves": NODE_MODULES / "@noble" / "curves" / "esm",
    "noble-hashes": NODE_MODULES / "@noble" / "hashes" / "esm",
    "noble-ciphers": NODE_MODULES / "@noble" / "ciphers" / "esm",
}
REWRITTEN = {"noble-curves", "noble-hashes", "noble-ciphers"}
_BARE = re.compile(r"""(['"])@noble/(curves|hashes|ciphers)/([A-Za-z0-9_./-]+?)(?:\.js)?\1""")


@lru_cache(maxsize=512)
def _rewritten(path: str, mtime: float) -> bytes:
    text = Path(path).read_text(encoding="utf-8")
    return _BARE.sub(lambda m: f"{m[1]}/vendor/noble-{m[2]}/{m[3]}.js{m[1]}", text).encode("utf-8")


def register(app: Flask) -> None:
    @app.get("/vendor/<package>/<path:filename>")
    def vendor(package: str, filename: str):
        folder = VENDOR_DIRS.get(package)
        if folder is None or not Path(folder).is_dir():
            abort(404)
        if package in REWRITTEN and filename.endswith(".js"):
            path = safe_join(str(folder), filename)
            if path is None or not Path(path).is_file():
                abort(404)
            response = Response(_rewritten(path, Path(path).stat().st_mtime), mimetype="text/javascript")
            response.cache_control.max_age = 86400
            return response
        return send_from_directory(folder, filename, max_age=86400)
