"""What a reader of an English page sees that is still Chinese: the scanner of the English page tests
(tests/core/test_english_pages.py and each feature's own English test)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

HAN = re.compile(r"[\u4e00-\u9fff]")
# Chinese that English pages show on purpose, wherever it appears:
ALWAYS_ALLOWED = (
    "中文",  # the language switch names the other language in that language
)
# An amount in words (大写, e.g. 玖拾万元整) is the legal form of a Chinese price, shown as such.
AMOUNT_IN_WORDS = re.compile(r"（[零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整]+）")
# Attributes a reader sees (tooltips, placeholders, button values) or that carry page text for the JS.
VISIBLE_ATTRS = {"title", "placeholder", "aria-label", "alt", "value", "label"}


class TextParts(HTMLParser):
    """The text a reader sees: text nodes outside script/style/template, visible attributes, and the
    data-* attributes (page text handed to the JS; data-messages is JSON, its texts are read one by one)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if value and (name in VISIBLE_ATTRS or name.startswith("data-")):
                if name == "value" and tag in ("input", "textarea", "option") and not self._button(tag, attrs):
                    continue  # a form field's value is the user's data
                if name == "data-messages":  # JSON whose non-ASCII text is \u-escaped: read the texts
                    self.parts.extend(str(text) for text in json.loads(value).values())
                    continue
                self.parts.append(value)

    @staticmethod
    def _button(tag, attrs) -> bool:
        return tag == "input" and dict(attrs).get("type") in ("submit", "button")

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def chinese_snippets(html: str, allowed: tuple[str, ...] = ()) -> list[str]:
    parser = TextParts()
    parser.feed(html)
    found = []
    for part in parser.parts:
        for text in (*ALWAYS_ALLOWED, *allowed):
            part = part.replace(text, "")
        part = AMOUNT_IN_WORDS.sub("", part)
        if HAN.search(part):
            found.append(part[:160])
    return found
