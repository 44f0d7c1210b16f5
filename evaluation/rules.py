"""The rule set of an evaluation, its defaults from the national rules, and shared arithmetic.

Pure Python, no Flask and no database: the keys a region may set are declared here in the
region-rule store (`EVALUATION_RULES`); the room's services build a `RuleSet` from the values in
force for the project's region (`rule_set_from_values`) and pass plain dataclasses to the functions
of `review`, `price_correction`, `low_price`, `scoring`, `consistency` and `opinions`.

Numbers: money is integer fen; an evaluated price after a percentage deduction is an exact
`Fraction` of fen (a 10 % deduction of 12,345 fen is 11,110.5 fen, and rounding it to fen
could break or create a tie); scores are `Decimal` with two places.

Rounding (national practice: 评审得分保留小数点后两位，第三位四舍五入): every score that
is shown — a price score, a bidder's final total — is rounded half up (`ROUND_HALF_UP`) to
`RuleSet.score_places` (2) once, from the exact value; a member's total is the exact sum of
his criterion scores (each already at two places) and the rounded price score, so the sum
shown in the report adds up; the bidder's total is the mean of the members' totals, rounded.
Ranking compares the rounded totals, since ties (并列) are declared on the published figures.

Sources of the defaults (cited where used):
- 政府采购货物和服务招标投标管理办法 (财政部令第87号, 2017), Art 55–57 (price score, ranking),
  Art 59 (price inconsistencies), Art 60 (abnormally low price), Art 64 (changes after the summary);
- 政府采购促进中小企业发展管理办法 (财库〔2020〕46号) Art 9, with the ranges raised by
  财库〔2022〕19号 (goods and services: small/micro 10 %–20 %, consortium or subcontract with
  ≥ 30 % small/micro share 4 %–6 %; works: 3 %–5 % and 1 %–2 %).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from region_rules.keys import RuleKey, RuleType, declare

__all__ = [
    "DEFAULT_RULES",
    "AverageBasis",
    "Category",
    "OutlierBasis",
    "PercentRange",
    "Ref",
    "RuleSet",
    "RulesError",
    "SmeRules",
    "as_fraction",
    "round_score",
    "rule_set_from_values",
]

Ref = int | str  # a bidder, member, requirement or criterion id: whatever the caller uses


class RulesError(ValueError):
    """Input the rules cannot evaluate; `code` is stable (clients and tests switch on it)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Category(enum.StrEnum):
    """Procurement category (same values as tender's `Category`)."""

    GOODS = "goods"
    SERVICES = "services"
    WORKS = "works"


class AverageBasis(enum.StrEnum):
    """Which bids make the average an abnormally low price is measured against."""

    ALL = "all"        # every compliant bid, the one under test included (the Ministry's wording)
    OTHERS = "others"  # the other compliant bids only (87号令 Art 60: "明显低于其他…投标人的报价")


class OutlierBasis(enum.StrEnum):
    """What a member's deviation from the others' mean is divided by to decide an outlier."""

    RANGE = "range"  # the criterion's maximum score: stable when the mean is near zero (default)
    MEAN = "mean"    # the others' mean itself (some regions word it "偏离平均分X%")


@dataclass(frozen=True)
class PercentRange:
    """An inclusive range of percentages a tender document may choose from, and its default."""

    low: Decimal
    high: Decimal
    default: Decimal

    def __post_init__(self) -> None:
        if not Decimal(0) <= self.low <= self.default <= self.high < Decimal(100):
            raise RulesError("rules.bad_percent_range",
                             f"价格扣除比例范围不正确 (bad percent range): {self.low}–{self.high}, "
                             f"{self.default}")

    def check(self, percent: Decimal) -> Decimal:
        """The percentage if the range allows it; a tender may not go outside the region's range."""
        if not self.low <= percent <= self.high:
            raise RulesError("rules.deduction_out_of_range",
                             f"价格扣除比例{percent}%不在规定范围{self.low}%–{self.high}%内")
        return percent


def _pr(low: str, high: str, default: str | None = None) -> PercentRange:
    return PercentRange(Decimal(low), Decimal(high), Decimal(default or low))


@dataclass(frozen=True)
class SmeRules:
    """SME price deductions (财库〔2020〕46号 Art 9 as raised by 财库〔2022〕19号).

    The deduction is applied to the price used in the evaluation only (benchmark and price
    score, or the lowest-price ranking); the contract price stays the bid price. Prison
    enterprises and welfare units for the disabled count as small/micro enterprises
    (财库〔2014〕68号, 财库〔2017〕141号); a consortium made only of small/micro enterprises
    counts as one. No deduction in a lot reserved for SMEs.
    """

    small_micro_goods_services: PercentRange = field(default_factory=lambda: _pr("10", "20"))
    small_micro_works: PercentRange = field(default_factory=lambda: _pr("3", "5"))
    consortium_goods_services: PercentRange = field(default_factory=lambda: _pr("4", "6"))
    consortium_works: PercentRange = field(default_factory=lambda: _pr("1", "2"))
    consortium_min_share_percent: Decimal = Decimal(30)  # small/micro share of the contract, ≥

    def small_micro(self, category: Category) -> PercentRange:
        return self.small_micro_works if category is Category.WORKS else self.small_micro_goods_services

    def consortium(self, category: Category) -> PercentRange:
        return self.consortium_works if category is Category.WORKS else self.consortium_goods_services


# 87号令 Art 55: the national floors of the price weight, percent of the total (the region rules'
# national defaults of `price_weight_min.<category>`).
PRICE_WEIGHT_FLOORS = {Category.GOODS: 30, Category.SERVICES: 10, Category.WORKS: 10}


@dataclass(frozen=True)
class RuleSet:
    """Everything a region may configure about an evaluation; the defaults are the national rules."""

    score_places: int = 2
    # 87号令 Art 55: the price weight is at least 30 % of the total (goods), 10 % (services); no cap
    # unless the region sets one. The tender's criteria are checked against the same region rules.
    price_weight_min: Mapping[Category, Decimal] = field(default_factory=lambda: {
        category: Decimal(percent) for category, percent in PRICE_WEIGHT_FLOORS.items()})
    price_weight_max: Mapping[Category, Decimal] = field(default_factory=lambda: {
        category: Decimal(100) for category in Category})
    total_points: Decimal = Decimal(100)
    sme: SmeRules = field(default_factory=SmeRules)
    # Ties: 87号令 Art 57 orders equal scores "按投标报价由低到高": the bid price, before policy
    # deductions. A region may choose the evaluated price instead; the report then says so.
    tie_break_on_evaluated_price: bool = False
    candidates: int = 3  # recommended candidates in order (the tender document may say otherwise)
    # 政府采购法 Art 36 (一): fewer than three suppliers meeting the requirements → the tender fails.
    min_valid_bids: int = 3
    # Abnormally low price (87号令 Art 60 leaves "明显低于" to the committee). The triggers
    # below follow the Ministry of Finance's 2024 guidance on reviewing abnormally low bids as
    # remembered here (below 50 % of the average of the compliant bids when there are at least
    # three; below 50 % of the next-lowest compliant bid; below 45 % of the price ceiling);
    # every one is configurable and None switches it off. Prices compared are corrected bid
    # prices before policy deductions: the question is whether the supplier can perform at
    # the price it will be paid.
    low_vs_average_percent: Decimal | None = Decimal(50)
    low_average_basis: AverageBasis = AverageBasis.ALL
    low_average_min_bids: int = 3
    low_vs_next_percent: Decimal | None = Decimal(50)
    low_vs_ceiling_percent: Decimal | None = Decimal(45)
    low_vs_budget_percent: Decimal | None = None
    explanation_deadline_minutes: int = 60  # "在评标现场合理的时间内提供书面说明"
    # Outliers (评分畸高畸低, 87号令 Art 64 (4)): the rules leave the threshold to the committee;
    # this platform flags a member whose score is more than `outlier_percent` away from the
    # mean of the other members' scores, measured on the criterion's range by default.
    outlier_percent: Decimal = Decimal(30)
    outlier_basis: OutlierBasis = OutlierBasis.RANGE
    outlier_min_members: int = 3  # with fewer members "the others" is one person: no outlier test
    # Price consistency (87号令 Art 59): how far a decimal point may be "obviously misplaced".
    max_decimal_shift: int = 4

    def __post_init__(self) -> None:
        if not 0 <= self.score_places <= 4:
            raise RulesError("rules.bad_places", f"得分小数位数不正确: {self.score_places}")
        if self.candidates < 1:
            raise RulesError("rules.bad_candidates", "中标候选人数量至少为1")
        if self.min_valid_bids < 1:
            raise RulesError("rules.bad_min_bids", "有效投标数量下限至少为1")

    @property
    def quantum(self) -> Decimal:
        return Decimal(1).scaleb(-self.score_places)


DEFAULT_RULES = RuleSet()


def as_fraction(value: Decimal | int | Fraction) -> Fraction:
    """Exact conversion (a Decimal is exact in base ten; Fraction keeps it exact)."""
    if isinstance(value, float):
        raise TypeError(f"binary floats are not accepted for money or scores: {value!r}")
    return Fraction(value)


def round_score(value: Fraction | Decimal | int, places: int = 2) -> Decimal:
    """Round an exact value half up (四舍五入) to `places` decimals, as scores are published."""
    exact = as_fraction(value)
    scaled = exact * 10**places
    whole, rest = divmod(abs(scaled.numerator), scaled.denominator)
    if 2 * rest >= scaled.denominator:
        whole += 1
    sign = -1 if exact < 0 else 1
    return Decimal(sign * whole).scaleb(-places).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


# The keys a region may set, declared in the region-rule store (percentages are whole percent;
# -1 switches a trigger off). Defaults are the RuleSet's own.
_I, _B, _C = RuleType.INT, RuleType.BOOL, RuleType.CHOICE
_A55, _A60, _A64 = "财政部令第87号第55条", "财政部令第87号第60条", "财政部令第87号第64条"


def _off(value: Decimal | None) -> int:
    return -1 if value is None else int(value)


_WEIGHT_LABELS = {Category.GOODS: "货物", Category.SERVICES: "服务", Category.WORKS: "工程"}


# SME price-deduction bands (财库〔2020〕46号 Art 9 as raised by 财库〔2022〕19号): the region may narrow
# them within the national band; the tender document chooses its rate inside (`Project.sme_percent`).
_SME = SmeRules()
_A46 = "财库〔2020〕46号第9条、财库〔2022〕19号"
SME_BANDS = {  # key stem -> (SmeRules field, Chinese name)
    "sme_small_micro": ("small_micro_goods_services", "货物和服务项目小微企业价格扣除比例"),
    "sme_small_micro_works": ("small_micro_works", "工程项目小微企业价格扣除比例"),
    "sme_consortium": ("consortium_goods_services", "货物和服务项目联合体、分包（小微企业占比达标）价格扣除比例"),
    "sme_consortium_works": ("consortium_works", "工程项目联合体、分包（小微企业占比达标）价格扣除比例"),
}


def _sme_band_keys() -> list[RuleKey]:
    keys = []
    for stem, (attr, name) in SME_BANDS.items():
        band: PercentRange = getattr(_SME, attr)
        low, high = int(band.low), int(band.high)
        keys += [RuleKey(f"evaluation.{stem}_low", _I, low, f"{name}下限（%）", _A46, low, high),
                 RuleKey(f"evaluation.{stem}_high", _I, high, f"{name}上限（%）", _A46, low, high)]
    return keys


def _sme_bands_ordered(values: Mapping[str, object]) -> str | None:
    for stem, (_attr, name) in SME_BANDS.items():
        if values[f"{stem}_low"] > values[f"{stem}_high"]:  # type: ignore[operator]
            return f"{name}的下限不能高于上限。"
    return None


def _weights_ordered(values: Mapping[str, object]) -> str | None:
    for category in Category:
        if values[f"price_weight_min.{category}"] > values[f"price_weight_max.{category}"]:  # type: ignore[operator]
            return "价格分值比重下限不能高于上限。"
    return None


EVALUATION_RULES = [
    *(RuleKey(f"price_weight_min.{c}", _I, PRICE_WEIGHT_FLOORS[c],
              f"{_WEIGHT_LABELS[c]}项目价格分值占总分值比重下限（%）", _A55, PRICE_WEIGHT_FLOORS[c], 100)
      for c in Category),
    *_sme_band_keys(),
    RuleKey("evaluation.sme_consortium_min_share", _I, int(_SME.consortium_min_share_percent),
            "联合体、分包中小微企业合同份额不低于此百分比方可扣除", _A46, 0, 100),
    *(RuleKey(f"price_weight_max.{c}", _I, 100, f"{_WEIGHT_LABELS[c]}项目价格分值比重上限（%，国家未设上限）",
              _A55, PRICE_WEIGHT_FLOORS[c], 100) for c in Category),
    RuleKey("evaluation.score_places", _I, DEFAULT_RULES.score_places, "评审得分保留小数位数",
            "评审得分四舍五入惯例", 0, 4),
    RuleKey("evaluation.candidates", _I, DEFAULT_RULES.candidates, "推荐中标候选人数量", "财政部令第87号第56条", 1, 10),
    RuleKey("evaluation.min_valid_bids", _I, DEFAULT_RULES.min_valid_bids, "有效投标不少于此数，否则废标",
            "政府采购法第36条", 3, 10),
    RuleKey("evaluation.tie_break_on_evaluated_price", _B, DEFAULT_RULES.tie_break_on_evaluated_price,
            "得分相同时按扣除后的评审价格排序（否则按投标报价）", "财政部令第87号第57条"),
    RuleKey("evaluation.low_vs_average_percent", _I, _off(DEFAULT_RULES.low_vs_average_percent),
            "报价低于有效投标平均价的此百分比时要求说明（-1 不适用）", _A60, -1, 100),
    RuleKey("evaluation.low_average_basis", _C, DEFAULT_RULES.low_average_basis.value,
            "平均价的计算范围（all 全部有效投标，others 其他投标人）", _A60, choices=tuple(AverageBasis)),
    RuleKey("evaluation.low_average_min_bids", _I, DEFAULT_RULES.low_average_min_bids,
            "有效投标不少于此数时才比较平均价", _A60, 2, 20),
    RuleKey("evaluation.low_vs_next_percent", _I, _off(DEFAULT_RULES.low_vs_next_percent),
            "报价低于次低报价的此百分比时要求说明（-1 不适用）", _A60, -1, 100),
    RuleKey("evaluation.low_vs_ceiling_percent", _I, _off(DEFAULT_RULES.low_vs_ceiling_percent),
            "报价低于最高限价的此百分比时要求说明（-1 不适用）", _A60, -1, 100),
    RuleKey("evaluation.low_vs_budget_percent", _I, _off(DEFAULT_RULES.low_vs_budget_percent),
            "报价低于预算的此百分比时要求说明（-1 不适用）", _A60, -1, 100),
    RuleKey("evaluation.explanation_deadline_minutes", _I, DEFAULT_RULES.explanation_deadline_minutes,
            "低价说明的时限（分钟）", _A60, 10, 1440),
    RuleKey("evaluation.outlier_percent", _I, int(DEFAULT_RULES.outlier_percent),
            "评分偏离其他成员平均分超过此百分比时提示畸高畸低", _A64, 1, 100),
    RuleKey("evaluation.outlier_basis", _C, DEFAULT_RULES.outlier_basis.value,
            "偏离的计算基数（range 该项分值，mean 平均分）", _A64, choices=tuple(OutlierBasis)),
    RuleKey("evaluation.outlier_min_members", _I, DEFAULT_RULES.outlier_min_members,
            "成员不少于此数时才提示畸高畸低", _A64, 3, 25),
    RuleKey("evaluation.max_decimal_shift", _I, DEFAULT_RULES.max_decimal_shift,
            "报价小数点明显错位的最大位数", "财政部令第87号第59条", 1, 6),
]
EVALUATION_RULES = declare("evaluation", "评审", EVALUATION_RULES, [_weights_ordered, _sme_bands_ordered])

_WEIGHT_KEYS = {spec.name for spec in EVALUATION_RULES if spec.name.startswith("price_weight_")}
_SME_KEYS = {spec.name for spec in EVALUATION_RULES if spec.name.startswith("sme_")}
_INT_KEYS = {spec.name for spec in EVALUATION_RULES if spec.type is _I and not spec.name.endswith("_percent")
             and spec.name not in _WEIGHT_KEYS | _SME_KEYS}
_PERCENT_KEYS = {spec.name for spec in EVALUATION_RULES if spec.name.endswith("_percent")}


def rule_set_from_values(values: Mapping[str, object], base: RuleSet = DEFAULT_RULES) -> RuleSet:
    """A rule set from stored region values (`evaluation.<field>` keys or bare field names).

    Unknown keys are refused rather than ignored: a misspelt rule must not silently fall back
    to the national default. A percentage stored as -1 switches that trigger off.
    """
    names = {f.name for f in fields(RuleSet)}
    changes: dict[str, object] = {}
    weights = {"price_weight_min": dict(base.price_weight_min), "price_weight_max": dict(base.price_weight_max)}
    sme: dict[str, Decimal] = {}
    for key, raw in values.items():
        name = key.removeprefix("evaluation.")
        if name in _SME_KEYS:
            sme[name] = Decimal(str(raw))
        elif name in _WEIGHT_KEYS:  # price_weight_min.goods → price_weight_min[Category.GOODS]
            bound, category = name.split(".")
            weights[bound][Category(category)] = Decimal(str(raw))
            changes[bound] = weights[bound]
        elif name in _INT_KEYS:
            changes[name] = int(raw)  # type: ignore[call-overload]
        elif name in _PERCENT_KEYS:
            changes[name] = None if raw is None or raw == -1 else Decimal(str(raw))
        elif name in {"low_average_basis", "outlier_basis", "tie_break_on_evaluated_price"} and name in names:
            kind = {"low_average_basis": AverageBasis, "outlier_basis": OutlierBasis}.get(name, bool)
            changes[name] = kind(raw)
        else:
            raise RulesError("rules.unknown_key", f"未知的评审规则项: {key!r}")
    if sme:
        changes["sme"] = _sme_rules(base.sme, sme)
    return replace(base, **changes)


def _sme_rules(base: SmeRules, values: Mapping[str, Decimal]) -> SmeRules:
    """The bands from stored `sme_<band>_low/_high` values (a tender may choose within; the default is the low end)."""
    bands: dict[str, object] = {}
    for stem, (attr, _name) in SME_BANDS.items():
        current: PercentRange = getattr(base, attr)
        low, high = values.get(f"{stem}_low", current.low), values.get(f"{stem}_high", current.high)
        bands[attr] = PercentRange(low, high, low)
    if "sme_consortium_min_share" in values:
        bands["consortium_min_share_percent"] = values["sme_consortium_min_share"]
    return replace(base, **bands)
