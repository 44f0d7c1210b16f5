"""The collusion signals' region rules: the thresholds each flag is measured against.

Declared in the one region-rule store, so a finance bureau tunes them for its region and each computed
run records the rule-set version it used (the evidence names the threshold in force). The articles:
财政部令第87号第37条 (what is deemed collusion) and 政府采购法实施条例第74条 (malicious collusion); the
cross-tender price indicators are open-contracting/cardinal-rs's R024, R025, R028 and R058.
"""

from __future__ import annotations

from region_rules import store
from region_rules.keys import RuleKey, RuleType, declare

INT = RuleType.INT
A87_37 = "财政部令第87号第37条"
CARDINAL = "open-contracting/cardinal-rs 红旗指标"

COLLUSION_RULES = declare("collusion", "串通投标预警", [
    RuleKey("collusion.text_similarity_percent", INT, 60,
            "两份投标文件文本相似度（Jaccard 估计值）达到此百分比即提示“文件异常一致”", A87_37 + "（四）", 30, 100),
    RuleKey("collusion.common_text_percent", INT, 50,
            "文本比对时略去超过此百分比（且至少三家）投标文件共有的文字（招标文件要求、公共格式）", A87_37 + "（四）",
            0, 100),
    RuleKey("collusion.shingle_chars", INT, 5, "文本比对的连续字符片段长度（字）", A87_37 + "（四）", 3, 12),
    RuleKey("collusion.progression_min_bids", INT, 3, "报价呈规律性差异：至少此数量的报价构成等差或等比数列",
            A87_37 + "（四）", 3, 20),
    RuleKey("collusion.progression_tolerance_permille", INT, 0,
            "报价呈规律性差异：相邻差额（或比值）之间允许的相对偏差（千分比）", A87_37 + "（四）", 0, 100),
    RuleKey("collusion.cardinal_min_processes", INT, 8,
            "跨项目价格指标（R024/R058/R025）所需的本地区已定标标项最少数量", CARDINAL, 4, 10000),
    RuleKey("collusion.r024_threshold_permille", INT, 0,
            "次低价贴近最低价（R024）：差额比例不超过此千分比即提示；0 表示按本地区四分位下界计算", CARDINAL + " R024",
            0, 1000),
    RuleKey("collusion.r058_threshold_permille", INT, 0,
            "最低价大幅低于次低价（R058）：差额比例不低于此千分比即提示；0 表示按本地区四分位上界计算",
            CARDINAL + " R058", 0, 100000),
    RuleKey("collusion.r025_percentile", INT, 75,
            "屡投不中（R025）：投标次数达到本地区供应商此百分位以上才计算中标率", CARDINAL + " R025", 50, 99),
])


def rule(region_code: str, key: str) -> int:
    """The value in force for a region (its own, else its parents', else the national default)."""
    return int(store.value(region_code, f"collusion.{key}"))
