"""The price breakdown of an opening summary (开标一览表 + 分项报价表), read at the opening.

A bid's opening summary (crypto/FORMAT.md §7) may carry, besides `price_fen`:
- `price_words`: the total in Chinese capital numerals (大写), as written on the 开标一览表;
- `body_price_fen`, `body_price_words`: the total as stated elsewhere in the bid (投标函), when the
  supplier enters it separately;
- `items`: the itemised price list, `[{ref, name, quantity, unit_price_fen, total_fen}, …]`, with
  `quantity` a decimal string ("2", "1.5") and the amounts integer fen;
- `small_micro_share_percent`: a consortium's (or subcontract's) small/micro share of the contract,
  as the bid declares it (财库〔2020〕46号 Art 9): an integer or a decimal string, 0–100.

The committee's price engine (`evaluation.price_correction`, 87号令 Art 59) corrects the price from
these. The opening never fails because of them: `read_price_detail` keeps what can be read and says
in plain Chinese what could not (the notes go into the record's remarks). What cannot be read is
not guessed at and not handed to the engine, so the figures stand; the committee sees the note and
clarifies with the bidder:
- an amount in words that cannot be read is kept verbatim under `*_unreadable`;
- an itemised list with any malformed line is dropped as a whole (summing the lines that remain
  would "correct" the total to a wrong sum), with the first problem named.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from core.money import MAX_UPPER_FEN, MoneyError, format_yuan, parse_chinese_upper, to_chinese_upper

__all__ = ["MAX_ITEMS", "PriceDetail", "items_for_display", "read_price_detail", "remarks_with_notes", "shown_words"]

MAX_ITEMS = 1000
MAX_WORDS = 100      # a 大写 amount up to 万亿 is under 50 characters
MAX_REF = 40
MAX_NAME = 200
_QUANTITY = re.compile(r"\d{1,12}(?:\.\d{1,6})?", re.ASCII)
_FIELDS = ("price_words", "body_price_fen", "body_price_words", "items", "small_micro_share_percent")
_SHARE = re.compile(r"\d{1,3}(?:\.\d{1,2})?", re.ASCII)
NOTE_PREFIX = "【开标记录注】"


@dataclass
class PriceDetail:
    """What `read_price_detail` found: the JSON kept on the opening record, and notes of what was not."""

    detail: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def stored(self) -> dict[str, Any] | None:
        """The value for `OpeningRecord.price_detail`: None when the summary had no breakdown at all."""
        if not self.detail and not self.notes:
            return None
        return {**self.detail, **({"notes": list(self.notes)} if self.notes else {})}


def _is_fen(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_UPPER_FEN


def _words(summary: dict, key: str, label: str, out: PriceDetail) -> None:
    value = summary.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return
    if not isinstance(value, str):
        out.notes.append(f"{label}不是文本，未记录")
        return
    text = value.strip()
    if len(text) > MAX_WORDS:
        out.notes.append(f"{label}过长（超过 {MAX_WORDS} 字），未记录")
        return
    try:
        parse_chinese_upper(text)
    except MoneyError:
        out.detail[f"{key}_unreadable"] = text
        out.notes.append(f"{label}“{text}”无法识别，未用于价格修正，请评标委员会向投标人澄清")
        return
    out.detail[key] = text


def _item(raw: Any, number: int) -> tuple[dict[str, Any] | None, str | None]:
    """One line of the itemised list, or the reason it cannot be read."""
    if not isinstance(raw, dict):
        return None, f"第 {number} 行不是对象"
    ref = raw.get("ref", number)
    if isinstance(ref, bool) or not isinstance(ref, str | int):
        return None, f"第 {number} 行序号无效"
    ref = str(ref).strip()
    if not ref or len(ref) > MAX_REF:
        return None, f"第 {number} 行序号无效"
    name = raw.get("name", "")
    if not isinstance(name, str) or len(name.strip()) > MAX_NAME:
        return None, f"第 {number} 行名称无效"
    quantity = raw.get("quantity")
    if isinstance(quantity, int) and not isinstance(quantity, bool):
        quantity = str(quantity)
    if not isinstance(quantity, str) or not _QUANTITY.fullmatch(quantity.strip()) or Decimal(quantity) <= 0:
        return None, f"第 {number} 行数量无效（应为正数，最多 6 位小数）"
    for key, label in (("unit_price_fen", "单价"), ("total_fen", "合价")):
        if not _is_fen(raw.get(key)):
            return None, f"第 {number} 行{label}无效（应为非负整数分）"
    return {"ref": ref, "name": name.strip(), "quantity": quantity.strip(),
            "unit_price_fen": raw["unit_price_fen"], "total_fen": raw["total_fen"]}, None


def _items(summary: dict, out: PriceDetail) -> None:
    raw = summary.get("items")
    if raw is None or raw == []:
        return
    problem = None
    items: list[dict[str, Any]] = []
    if not isinstance(raw, list):
        problem = "不是列表"
    elif len(raw) > MAX_ITEMS:
        problem = f"超过 {MAX_ITEMS} 行"
    else:
        seen: set[str] = set()
        for number, entry in enumerate(raw, start=1):
            item, problem = _item(entry, number)
            if item is not None and item["ref"] in seen:
                item, problem = None, f"第 {number} 行序号“{item['ref']}”重复"
            if item is None:
                break
            seen.add(item["ref"])
            items.append(item)
    if problem is not None:
        out.notes.append(f"分项报价表{problem}，分项报价未记录，未用于价格修正")
        return
    out.detail["items"] = items


def read_price_detail(summary: dict) -> PriceDetail:
    """Read the breakdown fields of an opened bid's summary; never raises on the summary's content."""
    out = PriceDetail()
    if not isinstance(summary, dict) or not any(k in summary for k in _FIELDS):
        return out
    _words(summary, "price_words", "开标一览表大写金额", out)
    body = summary.get("body_price_fen")
    if body is not None:
        if _is_fen(body):
            out.detail["body_price_fen"] = body
        else:
            out.notes.append("投标函报价（小写）无效（应为非负整数分），未记录")
    _words(summary, "body_price_words", "投标函大写金额", out)
    _items(summary, out)
    _share(summary, out)
    return out


def _share(summary: dict, out: PriceDetail) -> None:
    raw = summary.get("small_micro_share_percent")
    if raw is None:
        return
    text = str(raw) if isinstance(raw, int) and not isinstance(raw, bool) else raw if isinstance(raw, str) else ""
    if _SHARE.fullmatch(text.strip()) and Decimal(text) <= 100:
        out.detail["small_micro_share_percent"] = str(Decimal(text.strip()))
    else:
        out.notes.append("小微企业合同份额（small_micro_share_percent）无效（应为 0–100 的数），未记录")


def remarks_with_notes(remarks: str, notes: list[str], limit: int = 4000) -> str:
    """The supplier's remarks, then the opening's notes on the breakdown (kept within `limit`)."""
    if not notes:
        return remarks[:limit]
    note = NOTE_PREFIX + "；".join(notes) + "。"
    if not remarks:
        return note[:limit]
    return (remarks[:max(0, limit - len(note) - 1)] + "\n" + note)[:limit]


def shown_words(price_fen: int | None, detail: dict | None) -> str:
    """The 大写 amount the record shows: the bidder's own words when given, else the figures written out."""
    detail = detail or {}
    if detail.get("price_words"):
        return detail["price_words"]
    if detail.get("price_words_unreadable"):
        return detail["price_words_unreadable"]
    return to_chinese_upper(price_fen) if price_fen is not None else ""


def items_for_display(detail: dict | None) -> list[dict[str, str]]:
    """The itemised lines with amounts as yuan text, for the hall and the PDF."""
    return [{"ref": i["ref"], "name": i["name"], "quantity": i["quantity"],
             "unit_price": format_yuan(i["unit_price_fen"]), "total": format_yuan(i["total_fen"])}
            for i in (detail or {}).get("items", [])]
