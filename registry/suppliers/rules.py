"""The supplier library's region rules: how long the central agency has to review an application, and how
far ahead a qualification's expiry is announced to the supplier.

Neither period is set by a national rule: the defaults are the platform's, each region sets its own on
/supervision/rules. Registration is never a gate to bidding (财库〔2019〕38号 forbids making a library
entry a condition of taking part), so a short review period is the default.
"""

from __future__ import annotations

from region_rules import store
from region_rules.keys import RuleKey, RuleType, declare

REVIEW_WORKDAYS = "registry.supplier_review_workdays"
REMIND_DAYS = "registry.supplier_qualification_remind_days"
ACTIVATION_DAYS = "registry.supplier_activation_valid_days"

SUPPLIER_RULES = declare("registry_suppliers", "供应商库", [
    RuleKey(REVIEW_WORKDAYS, RuleType.INT, 5, "集中采购机构审核供应商注册申请的期限（工作日）",
            "无全国统一期限，平台默认值（财库〔2019〕38号：入库不得作为参与政府采购的条件）", 1, 30),
    RuleKey(REMIND_DAYS, RuleType.INT, 30, "供应商资质证书到期前提醒的天数", "无全国统一规定，平台默认值", 1, 180),
    RuleKey(ACTIVATION_DAYS, RuleType.INT, 14, "导入供应商账户激活链接的有效期（日）", "本平台安全要求", 1, 90),
])


def review_workdays(region_code: str) -> int:
    return int(store.value(region_code, REVIEW_WORKDAYS))


def remind_days(region_code: str) -> int:
    return int(store.value(region_code, REMIND_DAYS))


def activation_days(region_code: str) -> int:
    return int(store.value(region_code, ACTIVATION_DAYS))


def version(region_code: str) -> int:
    return store.version(region_code)
