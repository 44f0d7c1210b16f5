"""Every PDF embeds a subset of one CJK TrueType font from a Debian package (core/pdf.py)."""

from __future__ import annotations

import io

import pytest
from pdf_helpers import assert_readable, pdf_fonts


def test_a_pdf_embeds_a_subset_of_the_cjk_font(app_ctx):
    from reportlab.pdfgen import canvas

    from core.pdf import cjk_font

    out = io.BytesIO()
    c = canvas.Canvas(out, initialFontName=cjk_font())
    c.drawString(72, 720, "开标记录表 投标报价 1,234,567.89 元 壹佰贰拾叁万")
    c.save()
    pdf = out.getvalue()
    fonts = pdf_fonts(pdf)
    assert [(f["emb"], f["sub"], f["type"].split()[0]) for f in fonts] == [(True, True, "TrueType")]
    assert_readable(pdf, "开标记录表", "1,234,567.89", "壹佰贰拾叁万")
    assert len(pdf) < 200_000  # a subset, not the whole 5 MB font


def test_a_missing_font_says_which_package_to_install(app):
    from core.pdf import FontMissing, font_path

    before = app.config.get("PDF_FONT_PATH")
    with app.app_context():
        app.config["PDF_FONT_PATH"] = "/nonexistent/font.ttf"
        try:
            with pytest.raises(FontMissing, match="fonts-wqy-microhei"):
                font_path()
        finally:
            app.config["PDF_FONT_PATH"] = before
