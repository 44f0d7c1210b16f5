"""The text of a PDF as a reader sees it: Debian's `pdftotext` (poppler-utils, installed by .ci/run) reads
the embedded font's ToUnicode map, so a PDF whose font is missing or not embedded fails here as it would
in a viewer without the Adobe Asian font pack."""

from __future__ import annotations

import re
import shutil
import subprocess


def pdf_fonts(pdf: bytes) -> list[dict]:
    """`pdffonts` rows: name, type, emb (embedded), sub (subset) of every font the PDF uses."""
    out = subprocess.run([shutil.which("pdffonts") or "pdffonts", "-"], input=pdf, capture_output=True,
                         check=True).stdout.decode()
    rows = []
    for line in out.splitlines()[2:]:
        cols = line.split()
        if len(cols) >= 7:
            rows.append({"name": cols[0], "type": " ".join(cols[1:-5]), "emb": cols[-5] == "yes",
                         "sub": cols[-4] == "yes"})
    return rows


def pdf_text(pdf: bytes) -> str:
    """Every line of every page joined without the line breaks, so a wrapped phrase is still found."""
    assert pdf.startswith(b"%PDF") and pdf.rstrip().endswith(b"%%EOF")
    out = subprocess.run([shutil.which("pdftotext") or "pdftotext", "-raw", "-enc", "UTF-8", "-", "-"],
                         input=pdf, capture_output=True, check=True).stdout.decode()
    return re.sub(r"[\n\f]+", "", out)


def assert_readable(pdf: bytes, *phrases: str) -> str:
    """Every font embedded (a subset), and each phrase (Chinese text, figures) found by pdftotext."""
    fonts = pdf_fonts(pdf)
    assert fonts and all(f["emb"] for f in fonts), fonts
    text = pdf_text(pdf)
    for phrase in phrases:
        assert phrase in text, (phrase, text[:2000])
    return text
