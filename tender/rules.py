"""Region rules: legal values a finance bureau may set per region (table `tender_region_rule`).

A value is looked up for the project's region, then its city and province, then the
national row (region NULL). `DEFAULT_RULES` seeds the national rows (`seed_default_rules`)
and answers for a key nobody has stored yet, so a fresh install behaves lawfully.
"""

from __future__ import annotations

from sqlalchemy import select

from accounts.models import Region
from core.db import db
from tender.models import RegionRule

# key -> (value, note). `*_days` are calendar days, `*_workdays` working days; weights are percent.
DEFAULT_RULES: dict[str, tuple[int, str]] = {
    "price_weight_min.goods": (30, "货物项目价格分值占总分值比重不得低于30%"),
    "price_weight_min.services": (10, "服务项目价格分值占总分值比重不得低于10%"),
    "price_weight_min.works": (10, "工程项目价格分值比重下限"),
    # 87号令 Art 55 sets floors only; 100 = no cap. A region that adds a cap stores its own row.
    "price_weight_max.goods": (100, "货物项目价格分值比重上限（国家规定未设上限，区划可设）"),
    "price_weight_max.services": (100, "服务项目价格分值比重上限（国家规定未设上限，区划可设）"),
    "price_weight_max.works": (100, "工程项目价格分值比重上限（国家规定未设上限，区划可设）"),
    # Periods counted as the Civil Code counts them (Art 201, 203): the first day not counted, a period
    # ending on a rest day ends on the next working day. Tenders from the first issue of the documents.
    "min_notice_days.public_tender": (20, "公开招标自招标文件开始发出之日起至投标截止不得少于20日（政府采购法第35条）"),
    "min_notice_days.invited_tender": (20, "邀请招标自招标文件开始发出之日起至投标截止不得少于20日"),
    "min_notice_days.competitive_consultation": (10, "竞争性磋商自磋商文件开始发出之日起不少于10日"
                                                     "（财库〔2014〕214号第10条）"),
    "min_notice_workdays.competitive_negotiation": (3, "竞争性谈判自谈判文件发出之日起不少于3个工作日（74号令第29条）"),
    "min_notice_workdays.inquiry": (3, "询价自询价通知书发出之日起不少于3个工作日（74号令第45条）"),
    "min_notice_workdays.single_source": (5, "单一来源公示期不少于5个工作日（74号令第38条）"),
    "min_doc_workdays": (5, "招标文件提供期限自开始发出之日起不得少于5个工作日（87号令第24条）"),
    "clarification_min_days": (15, "澄清或修改距投标截止不足15日的，应顺延投标截止时间"),
    "min_bids.public_tender": (3, "投标人不足3家的，不得开标"),
    "min_bids.invited_tender": (3, "投标人不足3家的，不得开标"),
    "min_bids.competitive_consultation": (3, "供应商不足3家"),
    "min_bids.competitive_negotiation": (3, "供应商不足3家"),
    "min_bids.inquiry": (3, "供应商不足3家"),
    "min_bids.single_source": (1, "单一来源"),
    "opening_window_minutes": (120, "开标后密钥份额/解密的时限（分钟）"),
    "custody_require_timelock": (0, "本地区每个项目的密钥托管须包含公共时间锁保管人（1 = 要求，0 = 不要求）"),
    # A replaced bid is kept (its digest was receipted), so a supplier replacing a 2 GiB bid in a loop would
    # fill the disk: each supplier may replace its bid for a lot this many times (withdrawals count too).
    "replaced_bids_kept_max": (5, "每家供应商在每个标项最多保留的被替换（或撤回）投标文件份数，超过后不再接受递交"),
    "expert_activation_valid_days": (14, "专家账户激活链接的有效期（日）"),
    "superseded_files_removed_after_opening": (1, "开标后删除被替换、撤回的投标文件内容（摘要与审计记录保留；"
                                                  "1 = 删除，0 = 保留）"),
}


TENDER_METHODS = ("public_tender", "invited_tender")


def notice_period(region_code: str | None, method: str) -> tuple[int, bool]:
    """The method's minimum period from the documents' issue to the deadline: (length, in working days?)."""
    if f"min_notice_workdays.{method}" in DEFAULT_RULES:
        return rule(region_code, f"min_notice_workdays.{method}"), True
    return rule(region_code, f"min_notice_days.{method}"), False


def rule(region_code: str | None, key: str) -> int:
    """The value of `key` for a region: nearest region row, else the national row, else the default."""
    codes: list[str] = []
    region = db.session.get(Region, region_code) if region_code else None
    if region is not None:
        codes = [r.code for r in region.lineage()]
    rows = {row.region_code: row.value for row in db.session.scalars(
        select(RegionRule).where(RegionRule.key == key))}
    for code in [*codes, None]:
        if code in rows:
            return rows[code]
    if key not in DEFAULT_RULES:
        raise KeyError(f"unknown region rule {key!r}")
    return DEFAULT_RULES[key][0]


def set_rule(region_code: str | None, key: str, value: int, note: str = "") -> RegionRule:
    if key not in DEFAULT_RULES:
        raise KeyError(f"unknown region rule {key!r}")
    row = db.session.scalar(select(RegionRule).where(RegionRule.key == key, RegionRule.region_code.is_(None)
                                                     if region_code is None else
                                                     RegionRule.region_code == region_code))
    if row is None:
        row = RegionRule(region_code=region_code, key=key, value=value, note=note)
        db.session.add(row)
    else:
        row.value = value
    db.session.flush()
    return row


def seed_default_rules() -> None:
    """Write the national rows, so the finance bureau sees and edits them as data."""
    for key, (value, note) in DEFAULT_RULES.items():
        if db.session.scalar(select(RegionRule.id).where(RegionRule.key == key,
                                                         RegionRule.region_code.is_(None))) is None:
            db.session.add(RegionRule(region_code=None, key=key, value=value, note=note))
    db.session.flush()
