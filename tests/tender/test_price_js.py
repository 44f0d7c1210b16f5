"""The sealing page's price module (static/js/tender/price.js) under Node: it writes 大写 exactly as
core/money.py does, computes line totals as the Art 59 engine does, and the summary it builds from
the form is one the opening reads without a note. No browser needed."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from core.money import to_chinese_upper

ROOT = Path(__file__).resolve().parents[2]
NODE = shutil.which("node")


@pytest.mark.skipif(NODE is None, reason="node is not installed: the JavaScript tests need Node >= 20")
def test_price_js_agrees_with_python(tmp_path):
    from crypto.encoding import canonical_json
    from evaluation.price_correction import line_total
    from tender.price_detail import read_price_detail

    rng = random.Random(59)
    amounts = [0, 1, 10, 100, 105, 1000, 10_000, 100_001, 1_000_000_00, 1_000_100_00, 10**15 - 1, 10**12 + 5]
    amounts += [rng.randrange(10 ** rng.randrange(1, 16)) for _ in range(3000)]
    quantities = ["1", "0.5", "3", "2.25", "0.333333", "1000", "12.5"]
    lines = [(unit, q, line_total(unit, Decimal(q))) for unit in (1, 333, 99_999, 123_456_78) for q in quantities]
    vectors = tmp_path / "vectors.json"
    vectors.write_text(json.dumps({"upper": [[a, to_chinese_upper(a)] for a in amounts], "line_total": lines}))
    form_out = tmp_path / "summary.json"
    done = subprocess.run([NODE, "--test", "static/js/tender/test/"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=dict(os.environ, PRICE_VECTORS=str(vectors), PRICE_FORM_OUT=str(form_out)))
    report = done.stdout + done.stderr
    assert done.returncode == 0 and "# fail 0" in report and "# skipped 0" in report, report[-4000:]

    summary = json.loads(form_out.read_text())
    canonical_json(summary)  # sealable: no floats anywhere
    found = read_price_detail(summary)
    assert found.notes == [] and found.detail["price_words"] == "玖万壹仟元整"
    assert [i["unit_price_fen"] for i in found.detail["items"]] == [8_500_00, 650_00]
