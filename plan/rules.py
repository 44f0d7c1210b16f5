"""The plans' region rules: the intention notice, the thresholds of the year, the SME set-aside bands,
the split-purchase warning line, the reviewers' clock, and the region's lists (fund natures, types).

Thresholds change by year: a finance bureau sets next year's 分散采购限额 or 公开招标数额标准 with an
effective date of 1 January, and every check reads the value in force on the day it is about
(`store.value(region, key, at)`), so a plan of this year and one of next year each meet their own.
"""

from __future__ import annotations

from datetime import date

from core import clock
from core.i18n import N_
from region_rules import store
from region_rules.keys import RuleKey, RuleType, declare

INT, BOOL, TEXT = RuleType.INT, RuleType.BOOL, RuleType.TEXT
CATEGORIES = ("goods", "services", "works")
CATEGORY_OF_LETTER = {"A": "goods", "B": "works", "C": "services"}
MAX_FEN = 100_000_000_000  # 10 亿元: the range's top, not a rule

# Keys the other packages (mall/) read by name.
DECENTRALISED_LIMIT = "plan.decentralised_limit_fen.{category}"  # 分散采购限额
PUBLIC_TENDER_THRESHOLD = "plan.public_tender_threshold_fen.{category}"  # 公开招标数额标准

FUND_NATURES = "一般公共预算,政府性基金,国有资本经营,财政专户,单位资金"
PLAN_TYPES = "goods:货物,services:服务,works:工程"


def _list_check(text: str) -> str | None:
    items = [x.strip() for x in text.split(",")]
    if not items or any(not x or len(x) > 40 for x in items) or len(set(items)) != len(items):
        return "请以英文逗号分隔各项，每项不超过 40 字且不重复。"
    return None


PLAN_RULES = declare("plan", N_("采购意向、计划与确认书"), [
    RuleKey("plan.intention_required", BOOL, True, N_("采购项目须先公开采购意向"), "财库〔2020〕10号第一条"),
    RuleKey("plan.intention_min_days", INT, 30, N_("采购意向公开至采购活动开始最少天数"),
            "财库〔2020〕10号第三条", 30, 180),
    RuleKey("plan.decentralised_limit_fen.goods", INT, 100_000_000, N_("分散采购限额：货物（分）"),
            "国办发〔2019〕55号（地方由省级人民政府规定）", 0, MAX_FEN),
    RuleKey("plan.decentralised_limit_fen.services", INT, 100_000_000, N_("分散采购限额：服务（分）"),
            "国办发〔2019〕55号（地方由省级人民政府规定）", 0, MAX_FEN),
    RuleKey("plan.decentralised_limit_fen.works", INT, 100_000_000, N_("分散采购限额：工程（分）"),
            "国办发〔2019〕55号（地方由省级人民政府规定）", 0, MAX_FEN),
    RuleKey("plan.public_tender_threshold_fen.goods", INT, 400_000_000, N_("公开招标数额标准：货物（分）"),
            "国办发〔2019〕55号", 0, MAX_FEN),
    RuleKey("plan.public_tender_threshold_fen.services", INT, 400_000_000, N_("公开招标数额标准：服务（分）"),
            "国办发〔2019〕55号", 0, MAX_FEN),
    RuleKey("plan.public_tender_threshold_fen.works", INT, 400_000_000, N_("公开招标数额标准：工程（分）"),
            "招标投标法实施条例第七条、国家发展改革委令第16号", 0, MAX_FEN),
    RuleKey("plan.sme_whole_reserve_fen.goods_services", INT, 200_000_000,
            N_("货物、服务预算在此数额（分）以下的，原则上全部预留给中小企业"), "财库〔2022〕19号第二条", 0, MAX_FEN),
    RuleKey("plan.sme_whole_reserve_fen.works", INT, 400_000_000,
            N_("工程预算在此数额（分）以下的，原则上全部预留给中小企业"), "财库〔2022〕19号第二条", 0, MAX_FEN),
    RuleKey("plan.sme_reserve_percent", INT, 40, N_("超过上述数额的项目预留给中小企业的最低比例（%）"),
            "财库〔2022〕19号第二条", 30, 100),
    RuleKey("plan.sme_small_micro_percent", INT, 60, N_("预留份额中小微企业的最低比例（%）"),
            "财库〔2022〕19号第二条", 50, 100),
    RuleKey("plan.split_warn_percent", INT, 80,
            N_("单位同一品目年度累计达到公开招标数额标准的此比例时提示化整为零风险（%）"),
            "政府采购法实施条例第二十八条", 50, 99),
    RuleKey("plan.step_due_workdays", INT, 3, N_("审批环节的办理期限（工作日），逾期提醒审核人"), "本地区管理要求",
            1, 30),
    RuleKey("plan.step_escalate_workdays", INT, 2, N_("逾期后再过此工作日仍未办理的，提醒监管人员"),
            "本地区管理要求", 1, 30),
    RuleKey("plan.tender_without_confirmation", BOOL, True,
            N_("允许不经确认书直接填表创建采购项目（过渡期）"), "本地区管理要求"),
    RuleKey("plan.fund_natures", TEXT, FUND_NATURES, N_("资金性质（逗号分隔）"), "财政部预算管理规定",
            check=_list_check),
    RuleKey("plan.procurement_types", TEXT, PLAN_TYPES, N_("采购类型（代码:名称，逗号分隔）"),
            "政府采购品目分类目录（2022）", check=_list_check),
])


def category_of(catalogue_code: str) -> str:
    """goods / works / services from the catalogue code's letter (A, B, C)."""
    return CATEGORY_OF_LETTER.get((catalogue_code or "X")[:1].upper(), "goods")


def at_day(on_day: date):
    """The moment a day's rules are read at: the end of that local day (a day of next year meets the
    threshold already announced for next year; a past day the one in force then)."""
    return clock.end_of_local_day(on_day)


def rule(region_code: str, key: str, on_day: date | None = None):
    """A plan rule in force for the region on a day (today by default)."""
    return store.value(region_code, key, at_day(on_day) if on_day else None)


def decentralised_limit(region_code: str, category: str, on_day: date | None = None) -> int:
    return int(rule(region_code, DECENTRALISED_LIMIT.format(category=category), on_day))


def public_tender_threshold(region_code: str, category: str, on_day: date | None = None) -> int:
    return int(rule(region_code, PUBLIC_TENDER_THRESHOLD.format(category=category), on_day))


def fund_natures(region_code: str) -> list[str]:
    return [x.strip() for x in str(rule(region_code, "plan.fund_natures")).split(",")]


def plan_types(region_code: str) -> dict[str, str]:
    """code -> name of the region's procurement types (goods, services, works unless it narrowed them)."""
    out = {}
    for part in str(rule(region_code, "plan.procurement_types")).split(","):
        code, _, name = part.partition(":")
        out[code.strip()] = (name or code).strip()
    return out
