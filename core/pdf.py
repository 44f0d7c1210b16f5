"""The one escape for user-supplied text in every PDF the platform makes (opening record, evaluation
report, contract, award and result letters).

ReportLab's `Paragraph` reads its text as a little XML: an unescaped `<b>` from a bidder breaks an official
record for everyone, `<a href=…>` puts a link into it and `<img src=/etc/passwd>` makes the server open a local
file. So every string a person typed (names, titles, notes, a sealed summary's `delivery`, reasons) goes
through `escape` before it is placed inside markup; only the platform's own fixed markup (`<br/>`, `<b>`)
stays live. Keep this the only such function so a new PDF cannot forget a case.

The same module holds the one CJK font of every PDF. ReportLab's built-in CID font (STSong-Light) is
never embedded: a viewer without the Adobe Asian font pack shows blank pages, prices included. So every
PDF embeds a subset of a TrueType CJK font that a Debian package installs (`fonts-wqy-microhei`, installed
by .ci/run; `fonts-wqy-zenhei` or `fonts-droid-fallback` also do). ReportLab
subsets a registered `TTFont` by itself: only the glyphs a document uses are written, so a one-page record
stays a few tens of kilobytes. Nothing is pasted into the repository; `PDF_FONT_PATH` (env
`BIAOYUN_PDF_FONT_PATH`) points at another TrueType file.
"""

from __future__ import annotations

import re
from pathlib import Path

# C0 and C1 control characters, DEL, and the Unicode line/paragraph separators: ReportLab either renders them
# as boxes or chokes on them; a newline is kept (it becomes a line break), a tab becomes a space.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def escape(value: object) -> str:
    """`value` as plain text safe inside a ReportLab Paragraph: `& < > " '` become entities, control characters
    are dropped, a tab becomes a space and a line break becomes `<br/>`. `None` is the empty string."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = _CONTROL.sub("", text)
    text = (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;"))
    return text.replace("\n", "<br/>")


FONT = "BiaoyunCJK"
CANDIDATES: tuple[str, ...] = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)


class FontMissing(RuntimeError):
    """No CJK TrueType font on this machine: an install step is missing (say which one)."""


def font_path() -> Path:
    """The TrueType file to embed: the configured one, else the first Debian font package found."""
    configured = None
    try:
        from flask import current_app, has_app_context

        if has_app_context():
            configured = current_app.config.get("PDF_FONT_PATH")
    except ImportError:  # the crypto CLI and benchmarks may render without Flask
        pass
    for candidate in ([configured] if configured else list(CANDIDATES)):
        if Path(candidate).is_file():
            return Path(candidate)
    raise FontMissing("PDF 需要中文字体：请安装 Debian 软件包 fonts-wqy-microhei"
                      f"（或设置 BIAOYUN_PDF_FONT_PATH），已查找：{configured or ', '.join(CANDIDATES)}")


def cjk_font() -> str:
    """Register the embedded CJK font with ReportLab once and return its name for styles and tables."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        path = font_path()
        # A .ttc holds several faces; the first is the proportional one in every candidate.
        pdfmetrics.registerFont(TTFont(FONT, str(path), subfontIndex=0))
    return FONT


def styles() -> dict:
    """The paragraph styles every PDF of the platform shares (report, contract, letters), in the embedded font."""
    from reportlab.lib.styles import ParagraphStyle

    font = cjk_font()
    return {"title": ParagraphStyle("title", fontName=font, fontSize=16, leading=22, alignment=1),
            "h2": ParagraphStyle("h2", fontName=font, fontSize=11.5, leading=16, spaceBefore=6, spaceAfter=3),
            "body": ParagraphStyle("body", fontName=font, fontSize=9.5, leading=14),
            "cell": ParagraphStyle("cell", fontName=font, fontSize=8.5, leading=11)}


def table(rows, widths):
    """A gridded table with a shaded header row; text cells wrap (widths in millimetres). String cells are
    plain text (escaped here); a cell with markup is passed as a Paragraph."""
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Table, TableStyle

    cell = styles()["cell"]
    font = cjk_font()
    t = Table([[Paragraph(escape(c), cell) if isinstance(c, str) else c for c in row] for row in rows],
              colWidths=[w * mm for w in widths], repeatRows=1)
    t.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), font, 8.5), ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                           ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e9edf3")),
                           ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    return t
