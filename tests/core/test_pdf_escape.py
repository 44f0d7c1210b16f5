"""core.pdf.escape: the one escape for user text in every PDF (issue 11)."""

from __future__ import annotations

import pytest

from core.pdf import escape

HOSTILE = '<b>交货<img src="/etc/passwd"/> <a href="http://evil.example/">点此</a> & \'quoted\' "x"</para>'


def test_hostile_text_reads_back_as_typed():
    pytest.importorskip("reportlab")
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph

    para = Paragraph(escape(HOSTILE), getSampleStyleSheet()["Normal"])
    assert para.getPlainText() == HOSTILE
    assert not any(getattr(frag, "img", None) or getattr(frag, "link", None) for frag in para.frags)


def test_control_characters_go_and_line_breaks_stay():
    assert escape("a\x00b\x07c\x7f\x85d\u2028") == "abcd"
    assert escape("一\r\n二\r三\n四\t五") == "一<br/>二<br/>三<br/>四 五"
    assert escape(None) == "" and escape(12) == "12"
