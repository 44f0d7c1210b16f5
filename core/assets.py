"""Serve front-end packages installed by npm (package.json) under /vendor/.

Only the listed distribution folders are exposed, never the whole node_modules tree.
"""

from pathlib import Path

from flask import Flask, abort, send_from_directory

from core.config import ROOT

VENDOR_DIRS = {
    "bootstrap": ROOT / "node_modules" / "bootstrap" / "dist",
    "socket.io": ROOT / "node_modules" / "socket.io-client" / "dist",
}


def register(app: Flask) -> None:
    @app.get("/vendor/<package>/<path:filename>")
    def vendor(package: str, filename: str):
        folder = VENDOR_DIRS.get(package)
        if folder is None or not Path(folder).is_dir():
            abort(404)
        return send_from_directory(folder, filename, max_age=86400)
