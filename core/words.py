"""Chinese words for search: jieba segmentation shared by every token index (products, notices).

Chinese has no spaces between words, so a text is segmented with jieba in its search mode (every word and
the shorter words inside it: 计算机 also gives 计算, 算机) into the tokens a row is found by, and a query
in its precise mode into the tokens it asks for (each must be present). One segmenter and one cleaning rule
for every index, so a word found in a product is found the same way in a notice. The dictionary is loaded
once per process (about a second), on first use.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable

MAX_TOKEN = 32
MAX_QUERY_TOKENS = 8
WORD_RE = re.compile(r"\w", re.UNICODE)
# a query's particles, not what it asks for
STOP_WORDS = frozenset(["的", "了", "和", "与", "及", "或", "等", "之", "其", "为", "用", "带", "含"])
_ready = threading.Lock()
_jieba = None


def segmenter():
    """jieba, its dictionary loaded once per process."""
    global _jieba
    if _jieba is None:
        with _ready:
            if _jieba is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _jieba = jieba
    return _jieba


def clean(words: Iterable[str]) -> list[str]:
    """Lower-cased words with a letter or digit in them, at most MAX_TOKEN long, particles left out."""
    out = []
    for word in words:
        word = word.strip().lower()
        if word and WORD_RE.search(word) and len(word) <= MAX_TOKEN and word not in STOP_WORDS:
            out.append(word)
    return out


def index_tokens(*texts: str) -> set[str]:
    """The tokens a row is found by: search-mode segmentation of its texts."""
    jieba = segmenter()
    tokens: set[str] = set()
    for text in texts:
        tokens.update(clean(jieba.cut_for_search(text or "")))
    return tokens


def query_tokens(text: str) -> list[str]:
    """The tokens a query asks for (each must be present): the precise segmentation of the query, in order,
    at most MAX_QUERY_TOKENS."""
    jieba = segmenter()
    seen: list[str] = []
    for token in clean(jieba.cut(text or "")):
        if token not in seen:
            seen.append(token)
    return seen[:MAX_QUERY_TOKENS]
