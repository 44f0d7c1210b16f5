"""The one escape for user-supplied text in every PDF the platform makes (opening record, evaluation
report, contract, award and result letters).

ReportLab's `Paragraph` reads its text as a little XML: an unescaped `<b>` from a bidder breaks an official
record for everyone, `<a href=…>` puts a link into it and `<img src=/etc/passwd>` makes the server open a local
file. So every string a person typed (names, titles, notes, a sealed summary's `delivery`, reasons) goes
through `escape` before it is placed inside markup; only the platform's own fixed markup (`<br/>`, `<b>`)
stays live. Keep this the only such function so a new PDF cannot forget a case.
"""

from __future__ import annotations

import re

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
