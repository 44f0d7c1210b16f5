"""Tender's region rules: periods, bid counts, the opening, custody, replaced bids.

Declared in the one region-rule store (`region_rules`): each key with its type, allowed range,
national default, the article it comes from and its Chinese label. `rule(region, key)` reads the
value in force for a project's region (its own, else its city's or province's, else national).
The price weight bounds the criteria are checked against are the evaluation's (`evaluation.rules`,
87号令 Art 55), read here under the same keys.
"""

from __future__ import annotations

from typing import Any

from region_rules import store
from region_rules.keys import RuleKey, RuleType, RuleValue, declare

INT, BOOL = RuleType.INT, RuleType.BOOL
A87_24 = "财政部令第87号第24条"
LAW_35, A74 = "政府采购法第35条", "财政部令第74号"

TENDER_RULES = [
    # Periods counted as the Civil Code counts them (Art 201, 203): the first day not counted, a period
    # ending on a rest day ends on the next working day. Tenders from the first issue of the documents.
    RuleKey("min_notice_days.public_tender", INT, 20, "公开招标：招标文件发出至投标截止最少天数", LAW_35, 20, 180),
    RuleKey("min_notice_days.invited_tender", INT, 20, "邀请招标：招标文件发出至投标截止最少天数", LAW_35, 20, 180),
    RuleKey("min_notice_days.competitive_consultation", INT, 10, "竞争性磋商：磋商文件发出至响应截止最少天数",
            "财库〔2014〕214号第10条", 10, 180),
    RuleKey("min_notice_workdays.competitive_negotiation", INT, 3, "竞争性谈判：谈判文件发出至响应截止最少工作日",
            "财政部令第74号第29条", 3, 60),
    RuleKey("min_notice_workdays.inquiry", INT, 3, "询价：询价通知书发出至响应截止最少工作日", "财政部令第74号第45条",
            3, 60),
    RuleKey("min_notice_workdays.single_source", INT, 5, "单一来源：公示期最少工作日", "财政部令第74号第38条", 5, 60),
    RuleKey("min_doc_workdays", INT, 5, "招标文件提供期限最少工作日", A87_24, 5, 60),
    RuleKey("procurement_notice_workdays", INT, 5, "采购公告（招标公告）的公告期限（工作日）", "财政部令第87号第16条",
            5, 30),
    RuleKey("clarification_min_days", INT, 15, "澄清或修改距投标截止不足此天数的，顺延截止时间",
            "财政部令第87号第27条", 15, 60),
    RuleKey("min_bids.public_tender", INT, 3, "公开招标：开标所需最少投标人", "政府采购法第36条", 3, 20),
    RuleKey("min_bids.invited_tender", INT, 3, "邀请招标：开标所需最少投标人", "政府采购法第36条", 3, 20),
    RuleKey("min_bids.competitive_consultation", INT, 3, "竞争性磋商：最少供应商", "财库〔2014〕214号", 2, 20),
    RuleKey("min_bids.competitive_negotiation", INT, 3, "竞争性谈判：最少供应商", A74, 2, 20),
    RuleKey("min_bids.inquiry", INT, 3, "询价：最少供应商", A74, 3, 20),
    RuleKey("min_bids.single_source", INT, 1, "单一来源：供应商数", A74, 1, 1),
    RuleKey("opening_window_minutes", INT, 120, "开标后提交密钥份额、解密的时限（分钟）", "电子招标投标办法第31条",
            10, 1440),
    RuleKey("custody_require_timelock", BOOL, False, "每个项目的密钥托管须包含公共时间锁保管人", "本平台安全要求"),
    # A replaced bid is kept (its digest was receipted), so a supplier replacing a 2 GiB bid in a loop would
    # fill the disk: each supplier may replace its bid for a lot this many times (withdrawals count too).
    RuleKey("replaced_bids_kept_max", INT, 5, "每家供应商每个标项最多保留的被替换或撤回的投标文件份数",
            "本平台存储限制", 1, 50),
    RuleKey("superseded_files_removed_after_opening", BOOL, True,
            "开标后删除被替换、撤回的投标文件内容（摘要与审计记录保留）", "本平台存储限制"),
]


TENDER_RULES = declare("tender", "招标、投标与开标", TENDER_RULES)

# key -> (national default, label): read-only view of the declarations above.
DEFAULT_RULES: dict[str, tuple[RuleValue, str]] = {spec.key: (spec.default, spec.label) for spec in TENDER_RULES}

TENDER_METHODS = ("public_tender", "invited_tender")


def notice_period(region_code: str | None, method: str) -> tuple[int, bool]:
    """The method's minimum period from the documents' issue to the deadline: (length, in working days?)."""
    if f"min_notice_workdays.{method}" in DEFAULT_RULES:
        return rule(region_code, f"min_notice_workdays.{method}"), True
    return rule(region_code, f"min_notice_days.{method}"), False


def rule(region_code: str | None, key: str) -> Any:
    """The value of `key` in force for a region now (see `region_rules.store.value`)."""
    return store.value(region_code, key)


def set_rule(region_code: str | None, key: str, value: RuleValue, note: str = "") -> None:
    """Set one rule from now on, by the platform (tests, data carried over): people use the page."""
    store.set_values(None, region_code, {key: value}, reason=note, notes={key: note})
