"""The product library's region rules: how long an accepted product stays listed without its supplier
re-confirming it (yearly by default), read for the supplier's region."""

from __future__ import annotations

from region_rules import store
from region_rules.keys import RuleKey, RuleType, declare

PRODUCT_RULES = declare("products", "商品库", [
    RuleKey("product_reconfirm_days", RuleType.INT, 365, "商品信息须定期确认：自上次确认起超过此天数未确认的商品下架",
            "本平台规则（商品库年度确认）", 30, 730),
    RuleKey("product_reconfirm_remind_days", RuleType.INT, 30, "商品确认期限前提醒供应商的天数",
            "本平台规则（商品库年度确认）", 1, 180),
])


def remind_days(region_code: str) -> int:
    """Days ahead of a product's confirmation due time that its supplier's dashboard lists it."""
    return int(store.value(region_code, "product_reconfirm_remind_days"))


def reconfirm_days(region_code: str) -> int:
    """Days from a product's acceptance or last confirmation until it is hidden unless confirmed again."""
    return int(store.value(region_code, "product_reconfirm_days"))
