"""Credit's region rules: which records bar, how long a record without an end counts, the score model
(start, deductions, thresholds), the sanction ladder's periods and its repeat-offence escalation, and the
supplier's time to answer a warning card.

National defaults and their sources: 财库〔2016〕125号 (the three lists bar participation; checked at
qualification review), 政府采购法第77条 (a serious violation bans 1–3 years), 最高人民法院关于公布失信被执行人
名单信息的若干规定第2条 (a listing lasts two years), 重大税收违法失信主体信息公布管理办法 (published three years),
and a public e-mall credit scheme (100 points each year; under 90 / 80 / 60 a warning, a restriction, a ban;
a second suspension within 180 days doubles). A finance bureau changes them on /supervision/rules.
"""

from __future__ import annotations

from collections.abc import Mapping

from region_rules import store
from region_rules.keys import RuleKey, RuleType, RuleValue, declare
from registry.credit.models import RecordKind, SanctionLevel

INT, BOOL = RuleType.INT, RuleType.BOOL
N125 = "财库〔2016〕125号"
LAW77 = "政府采购法第七十七条"
SCHEME = "公开的电子卖场供应商诚信评价办法（示例）"


def _thresholds_ordered(values: Mapping[str, RuleValue]) -> str | None:
    start = values.get("credit.score_start", 100)
    warn, restrict, ban = (values.get(f"credit.{k}_below", 0) for k in ("warn", "restrict", "ban"))
    if not (int(ban) <= int(restrict) <= int(warn) <= int(start)):  # type: ignore[arg-type]
        return "诚信分阈值须满足：禁止 ≤ 限制 ≤ 警示 ≤ 初始分。"
    return None


CREDIT_RULES = declare("credit", "诚信预警与信用惩戒", [
    RuleKey("credit.bars.dishonest_debtor", BOOL, True, "失信被执行人不得确定为中标（成交）供应商", N125),
    RuleKey("credit.bars.tax_violation", BOOL, True, "重大税收违法失信主体不得确定为中标（成交）供应商", N125),
    RuleKey("credit.bars.procurement_violation", BOOL, True,
            "政府采购严重违法失信行为记录名单内的供应商不得确定为中标（成交）供应商", N125),
    RuleKey("credit.validity_months.dishonest_debtor", INT, 24, "失信被执行人记录未写截止日期时的有效月数",
            "最高人民法院关于公布失信被执行人名单信息的若干规定第二条", 1, 120),
    RuleKey("credit.validity_months.tax_violation", INT, 36, "重大税收违法失信主体记录未写截止日期时的有效月数",
            "重大税收违法失信主体信息公布管理办法", 1, 120),
    RuleKey("credit.validity_months.procurement_violation", INT, 36,
            "政府采购严重违法失信记录未写截止日期时的有效月数", LAW77, 12, 36),
    RuleKey("credit.score_start", INT, 100, "诚信分每年初始分", SCHEME, 1, 1000),
    RuleKey("credit.deduct.dishonest_debtor", INT, 20, "每条有效的失信被执行人记录扣分", SCHEME, 0, 1000),
    RuleKey("credit.deduct.tax_violation", INT, 20, "每条有效的重大税收违法记录扣分", SCHEME, 0, 1000),
    RuleKey("credit.deduct.procurement_violation", INT, 50, "每条有效的政府采购严重违法失信记录扣分", SCHEME, 0,
            1000),
    RuleKey("credit.deduct.sanction", INT, 10, "每项本年内的信用惩戒扣分", SCHEME, 0, 1000),
    # 财库〔2016〕205号: the acceptance's result is part of the supplier's record; a contract rated 2 or lower
    # (late, rejected items, terminated for breach) counts against it for a year
    RuleKey("credit.deduct.poor_performance", INT, 5, "近一年内每份履约评价不超过 2 分的合同扣分",
            "财库〔2016〕205号第八条", 0, 1000),
    RuleKey("credit.warn_below", INT, 90, "诚信分低于此值发出警示卡（建议警示）", SCHEME, 0, 1000),
    RuleKey("credit.restrict_below", INT, 80, "诚信分低于此值建议限制交易", SCHEME, 0, 1000),
    RuleKey("credit.ban_below", INT, 60, "诚信分低于此值建议禁止参加政府采购活动", SCHEME, 0, 1000),
    RuleKey("credit.restricted_months", INT, 3, "限制交易的月数", SCHEME, 1, 12),
    RuleKey("credit.banned_months", INT, 12, "禁止参加政府采购活动的月数", LAW77, 12, 36),
    RuleKey("credit.repeat_window_days", INT, 180, "此天数内再次受到惩戒的，升一级并加重期限", SCHEME, 1, 1095),
    RuleKey("credit.repeat_factor_percent", INT, 200, "再次惩戒的期限为上次期限的百分比", SCHEME, 100, 400),
    RuleKey("credit.response_workdays", INT, 5, "供应商对警示卡作出陈述的期限（工作日）", SCHEME, 1, 30),
], checks=[_thresholds_ordered])

# The longest each timed level may last, whatever the escalation: Art 77's three years for a ban.
MAX_MONTHS = {SanctionLevel.RESTRICTED: 12, SanctionLevel.BANNED: 36}


def rule(region_code: str | None, key: str) -> RuleValue:
    """The value of `key` in force for a region now."""
    return store.value(region_code, key)


def bars(region_code: str | None, kind: RecordKind) -> bool:
    return bool(rule(region_code, f"credit.bars.{kind.value}"))


def deduction(region_code: str | None, kind: RecordKind) -> int:
    return int(rule(region_code, f"credit.deduct.{kind.value}"))


def validity_months(region_code: str | None, kind: RecordKind) -> int:
    return int(rule(region_code, f"credit.validity_months.{kind.value}"))


def base_months(region_code: str | None, level: SanctionLevel) -> int:
    """How long a first sanction of this level lasts (0: a warning has no period)."""
    if level is SanctionLevel.WARNING:
        return 0
    return int(rule(region_code, f"credit.{level.value}_months"))
