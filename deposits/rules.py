"""The deposits' region rules: who is exempt, the caps, the refund periods (in working days).

Declared in the one region-rule store; a finance bureau changes them on /supervision/rules. The lot's
setting records the rule-set version it was made under (`LotDeposit.rules_version`).
"""

from __future__ import annotations

from typing import Any

from region_rules import store
from region_rules.keys import RuleKey, RuleType, declare

A33, A48, A87_38 = "政府采购法实施条例第33条", "政府采购法实施条例第48条", "财政部令第87号第38条"
WAIVERS = ("none", "sme", "all")

DEPOSIT_RULES = declare("deposits", "投标保证金与履约保证金", [
    RuleKey("deposits.waiver", RuleType.CHOICE, "none",
            "免收投标保证金的范围（none 不免收，sme 中小企业免收，all 一律免收）",
            "财库〔2019〕38号；各地优化营商环境规定", choices=WAIVERS),
    RuleKey("deposits.max_percent", RuleType.INT, 2, "投标保证金不得超过标项预算金额的百分比", A33, 0, 2),
    RuleKey("deposits.refund_losers_workdays", RuleType.INT, 5, "中标通知书发出后退还未中标供应商保证金的工作日",
            A33, 1, 5),
    RuleKey("deposits.refund_winner_workdays", RuleType.INT, 5, "合同签订后退还中标供应商保证金的工作日", A33, 1, 5),
    RuleKey("deposits.refund_other_workdays", RuleType.INT, 5,
            "未投标、撤回投标、废标或终止后退还保证金的工作日", A87_38, 1, 5),
    RuleKey("deposits.performance_max_percent", RuleType.INT, 10, "履约保证金不得超过合同金额的百分比", A48, 0, 10),
    RuleKey("deposits.performance_release_workdays", RuleType.INT, 5, "履约验收合格后退还履约保证金的工作日",
            "财库〔2016〕205号；合同约定", 1, 30),
])


def rule(region_code: str | None, key: str) -> Any:
    """The value in force for a region now."""
    return store.value(region_code, f"deposits.{key}")


def version(region_code: str | None) -> int:
    return store.version(region_code)
