"""The agency registry's region rules: the staff a complete registration declares, the working days an
agency has to update changed particulars, and the rating period after a project (财库〔2018〕2号)."""

from __future__ import annotations

from region_rules.keys import RuleKey, RuleType, declare
from region_rules.store import value

A2018_2 = "财库〔2018〕2号"

AGENCY_RULES = declare("agencies", "代理机构库", [
    RuleKey("agency_min_staff", RuleType.INT, 5, "名录登记须填报的专职人员最少人数", f"{A2018_2}（各地通行做法）",
            1, 50),
    RuleKey("agency_update_workdays", RuleType.INT, 10, "登记信息变更后更新的期限（工作日）", A2018_2, 1, 30),
    RuleKey("agency_rating_workdays", RuleType.INT, 5, "项目结束后评价代理机构的期限（工作日）", A2018_2, 1, 30),
])


def rule(region_code: str, key: str) -> int:
    """The value in force for the region (its own, else its city's or province's, else national)."""
    return int(value(region_code, key))
