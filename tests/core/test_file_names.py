"""core.files: what an uploaded name may hold, and the one download header (RFC 6266 / RFC 8187)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core import files

ROOT = Path(__file__).resolve().parents[2]


def test_control_characters_are_exactly_unicode_category_cc():
    controls = {chr(c) for c in range(0x110000) if files.is_control(chr(c))}
    assert controls == {chr(c) for c in (*range(0x20), *range(0x7F, 0xA0))}
    assert files.is_control("\x85") and files.is_control("\x7f") and files.is_control("\x00")
    assert not files.is_control("\u200b") and not files.is_control("\u202e")  # Cf, not Cc


@pytest.mark.parametrize("name", [".", "..", "...", " .. ", "a\x00", "a\r\nb", "\x85", "x\x7f"])
def test_refused_names(app_ctx, name):
    from core.errors import ValidationError

    with pytest.raises(ValidationError) as refused:
        files.upload_name(name)
    assert refused.value.code == "file_name_invalid"


@pytest.mark.parametrize(("given", "kept"), [(" 文件.pdf ", "文件.pdf"), ("a/b.pdf", "a_b.pdf"),
                                             ("C:\\fakepath\\x.pdf", "C:_fakepath_x.pdf"), ("../x", ".._x"),
                                             ("", ""), (None, ""), ("a" * 300, "a" * 255)])
def test_kept_names(app_ctx, given, kept):
    assert files.upload_name(given) == kept


def test_the_header_always_has_both_names():
    assert files.content_disposition("plain.pdf") == "attachment; filename=\"plain.pdf\"; filename*=UTF-8''plain.pdf"
    assert files.content_disposition("报告.pdf", inline=True) == (
        "inline; filename=\"__.pdf\"; filename*=UTF-8''%E6%8A%A5%E5%91%8A.pdf")
    assert files.content_disposition('a"b\\c%d;e.pdf') == (
        "attachment; filename=\"a_b_c_d;e.pdf\"; filename*=UTF-8''a%22b%5Cc%25d%3Be.pdf")
    assert files.content_disposition("x\x00\n.pdf") == "attachment; filename=\"x__.pdf\"; filename*=UTF-8''x__.pdf"


def test_no_download_builds_its_own_header():
    """Every download goes through core.files (content_disposition / send_download)."""
    offenders = []
    for path in ROOT.glob("*/**/*.py"):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in {".venv", "node_modules", "tests", "migrations"} or rel == Path("core/files.py"):
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"send_file\(|[\"']Content-Disposition[\"']\s*[:\]]\s*=?\s*f?[\"']", text):
            offenders.append(str(rel))
    assert offenders == []
