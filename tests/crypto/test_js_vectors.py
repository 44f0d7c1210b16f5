"""Runs the browser crypto modules' Node tests (static/js/crypto/test/) under pytest.

They check the JavaScript implementation against the shared vectors crypto/vectors/v1.json,
RFC 9180 A.3.1, every tampering code and round trips, so `make test` covers both languages.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NODE = shutil.which("node")


def _node_major() -> int:
    out = subprocess.run([NODE, "--version"], capture_output=True, text=True, check=True).stdout
    return int(out.strip().lstrip("v").split(".")[0])


@pytest.mark.skipif(NODE is None, reason="node is not installed: the JavaScript crypto tests need Node >= 20")
def test_js_crypto_vectors() -> None:
    if _node_major() < 20:
        pytest.skip("Node >= 20 is needed (globalThis.crypto.subtle, Blob)")
    result = subprocess.run(
        [NODE, "--test", "static/js/crypto/test/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, f"node --test failed:\n{report[-6000:]}"
    assert "# fail 0" in report, report[-3000:]
    assert "# pass " in report and "# pass 0\n" not in report, report[-3000:]
