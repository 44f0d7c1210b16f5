"""The e-mall's region rules: every period, percentage and cap the online supermarket and the designated
services apply, declared once with the national default and where it comes from. A finance bureau changes
them on /supervision/rules; the listing rules read the store's region, the order rules the purchaser's.

Sources of the defaults: 政府采购框架协议采购方式管理暂行办法（财政部令第110号）; 保障中小企业款项支付条例第八条
(pay within 30 days of acceptance); 中央国家机关电子卖场管理办法 (an order more than 20 % above the median live
quote is blocked; listings above the reference price are frozen); 浙江省政府采购网上超市管理办法 (listing price
≤ the maker's official price and the large platforms' self-operated price; a listing cap per store);
中央和国家机关会议费管理办法 / 培训费管理办法 (per-day caps).
"""

from __future__ import annotations

from region_rules import store
from region_rules.keys import RuleKey, RuleType, declare

INT, BOOL = RuleType.INT, RuleType.BOOL
ZJ = "浙江省政府采购网上超市管理办法"
CENTRAL = "中央国家机关政府采购电子卖场管理办法"
PAY = "保障中小企业款项支付条例第八条"
MEETING = "中央和国家机关会议费管理办法第十条"
TRAINING = "中央和国家机关培训费管理办法第九条"
ORDER110 = "政府采购框架协议采购方式管理暂行办法（财政部令第110号）"

MALL_RULES = declare("mall", "电子卖场", [
    RuleKey("mall.store_listing_cap", INT, 500, "每家网上超市店铺在售商品数上限", ZJ, 1, 100000),
    RuleKey("mall.bait_below_median_pct", INT, 50, "挂牌价低于同商品在售报价中位数此百分比的，视为引流低价，不予挂牌",
            ZJ, 10, 90),
    RuleKey("mall.freeze_above_reference_pct", INT, 5, "挂牌价高于参考价此百分比的，自动冻结", CENTRAL, 0, 100),
    RuleKey("mall.order_above_median_pct", INT, 20, "下单单价高于同商品在售报价中位数此百分比的，不得下单", CENTRAL,
            0, 100),
    RuleKey("mall.stats_window_days", INT, 7, "成交价统计（四分位数）的滚动天数", CENTRAL, 1, 90),
    RuleKey("mall.price_check_hour", INT, 2, "每晚价格复核的开始时刻（北京时间，时）", CENTRAL, 0, 23),
    RuleKey("mall.order_confirm_hours", INT, 48, "供应商确认订单的最长小时数，逾期订单自动取消", CENTRAL, 1, 240),
    RuleKey("mall.return_days", INT, 7, "收货后可以退货的天数", ZJ, 0, 30),
    RuleKey("mall.max_exchanges", INT, 2, "一张订单最多换货次数", ZJ, 0, 5),
    RuleKey("mall.pay_within_days", INT, 30, "验收后支付货款的最长天数", PAY, 1, 30),
    RuleKey("mall.contract_sign_days", INT, 7, "供应商确认订单后签订电子合同的天数", CENTRAL, 1, 30),
    RuleKey("mall.require_budget_confirmation", BOOL, False, "下单须占用预算确认书", ORDER110),
    RuleKey("mall.bill_deviation_pct", INT, 0, "定点服务账单单价高于备案价此百分比的，不予确认支付", ORDER110, 0, 50),
    RuleKey("mall.cap.meeting_day_fen", INT, 55_000, "会议每人每天综合定额（分）", MEETING, 1, 10**8),
    RuleKey("mall.cap.training_day_fen", INT, 55_000, "培训每人每天综合定额（分）", TRAINING, 1, 10**8),
    RuleKey("mall.cap.vehicle_year_fen", INT, 1_500_000, "每辆公务用车每年维修费用上限（分）",
            "党政机关公务用车管理办法", 1, 10**9),
])


def value(region_code: str, key: str) -> int:
    """A mall rule in force for the region, as an int (a BOOL comes back as 0/1)."""
    return int(store.value(region_code, key))


def version(region_code: str) -> int:
    return store.version(region_code)
