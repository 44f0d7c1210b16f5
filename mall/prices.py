"""Price monitoring: reference prices with their evidence, the rolling statistics of real order prices,
the automatic freeze of a listing above its reference, the order block above the median live quote, and
the nightly re-check with its report.

**Reference price** of a product: the lowest of the latest price of each source (the maker's official
price, each large platform's self-operated price, a market survey) entered or imported by the
price-monitoring body (the central procurement agency) with its evidence. A listing above
reference × (1 + r) (r = `mall.freeze_above_reference_pct`, the store's region) is frozen and its supplier
told why; the listing rules refuse a new price above the official or the platform price outright.

**Order statistics**: the quartiles of the unit prices of the real order lines of a product over the last
`mall.stats_window_days` days (orders that ended without a purchase are left out), one value per unit
bought (a line of 10 counts ten times). The quantile method is fixed: Hyndman & Fan type 7, linear
interpolation between the closest ranks, h = (n − 1)·p, Q(p) = x⌊h⌋ + (h − ⌊h⌋)(x⌊h⌋+1 − x⌊h⌋) — numpy's
and Excel QUARTILE.INC's default, the same as Python's `statistics.quantiles(method="inclusive")`.
Prices are whole fen; a quartile is rounded half up to a fen.

**Median live quote** of a product (the order block): the median of the live listings' base prices (type 7
again, p = 0.5), delivering to the buyer's region when one is given.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, exists, func, select

from accounts.models import Region, User
from audit.service import record
from core import clock
from core.after_commit import after_commit
from core.db import db
from core.errors import Forbidden, ValidationError
from core.transitions import move
from mall import rules
from mall.models import (
    Listing,
    ListingPrice,
    ListingRegion,
    OrderLine,
    PriceCheckReport,
    PriceWatch,
    ReferencePrice,
)
from mall.transitions import ListingStatus

SOURCE_KINDS = ("official", "platform", "market")
BATCH = 5000
REPORT_IDS = 1000


# ---------------------------------------------------------------- the quantile method


def quantile(sorted_values: list[int], p: float) -> float:
    """Hyndman & Fan type 7 on values sorted ascending (see the module's docstring)."""
    if not sorted_values:
        raise ValueError("no values")
    h = (len(sorted_values) - 1) * p
    low = math.floor(h)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (h - low) * (sorted_values[high] - sorted_values[low])


def to_fen(value: float) -> int:
    return math.floor(value + 0.5)


def weighted_quantile(pairs: list[tuple[int, int]], p: float) -> float:
    """Type 7 over (price, count) pairs sorted by price, without expanding them (a line of 1,000 units)."""
    n = sum(c for _, c in pairs)
    if n == 0:
        raise ValueError("no values")
    h = (n - 1) * p
    low = math.floor(h)

    def at(rank: int) -> int:
        seen = 0
        for price, count in pairs:
            seen += count
            if rank < seen:
                return price
        return pairs[-1][0]

    return at(low) + (h - low) * (at(min(low + 1, n - 1)) - at(low))


@dataclass
class Quartiles:
    product_id: int
    unit: str
    count: int  # units bought in the window
    q1_fen: int
    median_fen: int
    q3_fen: int
    since: datetime


def order_quartiles(product_id: int, *, at: datetime | None = None, region_code: str | None = None) -> list[Quartiles]:
    """The rolling quartiles of a product's real order prices, one row per unit of sale."""
    now = at or clock.now()
    days = rules.value(region_code, "mall.stats_window_days")
    since = now - timedelta(days=days)
    rows = db.session.execute(
        select(OrderLine.unit, OrderLine.unit_price_fen, func.sum(OrderLine.quantity))
        .where(OrderLine.product_id == product_id, OrderLine.counted.is_(True), OrderLine.at > since,
               OrderLine.at <= now)
        .group_by(OrderLine.unit, OrderLine.unit_price_fen).order_by(OrderLine.unit, OrderLine.unit_price_fen)).all()
    by_unit: dict[str, list[tuple[int, int]]] = {}
    for unit, price, count in rows:
        by_unit.setdefault(unit, []).append((price, int(count)))
    return [Quartiles(product_id, unit, sum(c for _, c in pairs), to_fen(weighted_quantile(pairs, 0.25)),
                      to_fen(weighted_quantile(pairs, 0.5)), to_fen(weighted_quantile(pairs, 0.75)), since)
            for unit, pairs in by_unit.items()]


def region_chain(region_code: str) -> list[str]:
    region = db.session.get(Region, region_code)
    return [r.code for r in region.lineage()] if region else [region_code]


def delivers_to(region_code: str):
    """A listing delivering to the region, its city or its province."""
    return exists(select(ListingRegion.listing_id).where(ListingRegion.listing_id == Listing.id,
                                                         ListingRegion.region_code.in_(region_chain(region_code))))


def live_quotes(product_id: int, region_code: str | None = None, but: int | None = None) -> list[int]:
    query = select(Listing.price_fen).where(Listing.product_id == product_id, Listing.status == ListingStatus.LIVE)
    if region_code:
        query = query.where(delivers_to(region_code))
    if but is not None:
        query = query.where(Listing.id != but)
    return sorted(db.session.scalars(query))


def median_live_quote(product_id: int, region_code: str | None = None) -> int | None:
    quotes = live_quotes(product_id, region_code)
    return to_fen(quantile(quotes, 0.5)) if quotes else None


# ---------------------------------------------------------------- reference prices


def require_monitor(user: User) -> None:
    from registry.products.service import is_reviewer

    if not is_reviewer(user):
        raise Forbidden("只有价格监测机构（集中采购机构）或平台管理员可以录入参考价。", code="not_price_monitor")


def enter_reference_price(user: User | None, product_id: int, source_kind: str, source: str, price_fen: int,
                          captured_at: datetime, evidence: str, *, imported: bool = False) -> ReferencePrice:
    """The monitoring body records a reference price with its evidence; listings above it are frozen now."""
    from registry.products.service import get_product

    if user is not None:
        require_monitor(user)
    product = get_product(product_id)
    errors: dict[str, str] = {}
    if source_kind not in SOURCE_KINDS:
        errors["source_kind"] = "请选择参考价来源类型。"
    source, evidence = (source or "").strip(), (evidence or "").strip()
    if not source or len(source) > 120:
        errors["source"] = "请填写参考价来源（120 字以内）。"
    if not evidence:
        errors["evidence"] = "请填写取证依据（网址、截图摘要或文件）。"
    if isinstance(price_fen, bool) or not isinstance(price_fen, int) or price_fen <= 0:
        errors["price_fen"] = "参考价须为大于零的整数（分）。"
    if not isinstance(captured_at, datetime) or captured_at > clock.now():
        errors["captured_at"] = "采集时间不能晚于现在。"
    if errors:
        raise ValidationError("参考价有误：" + "；".join(errors.values()), code="reference_price_invalid",
                              details={"fields": errors})
    row = ReferencePrice(product_id=product.id, source_kind=source_kind, source=source, captured_at=captured_at,
                         price_fen=price_fen, evidence=evidence, imported=imported,
                         entered_by_id=user.id if user else None, entered_at=clock.now())
    db.session.add(row)
    db.session.flush()
    record("mall.reference_price_entered", row, {"product_id": product.id, "source_kind": source_kind,
                                                 "source": source, "price_fen": price_fen,
                                                 "captured_at": captured_at.isoformat(), "imported": imported})
    for listing in db.session.scalars(select(Listing).where(Listing.product_id == product.id,
                                                            Listing.status == ListingStatus.LIVE)):
        freeze_if_above_reference(listing)
    return row


def latest_references(product_id: int) -> list[ReferencePrice]:
    """The latest reference price of each source of the product."""
    rows = db.session.scalars(select(ReferencePrice).where(ReferencePrice.product_id == product_id)
                              .order_by(ReferencePrice.captured_at.desc(), ReferencePrice.id.desc()))
    seen: dict[tuple[str, str], ReferencePrice] = {}
    for row in rows:
        seen.setdefault((row.source_kind, row.source), row)
    return list(seen.values())


def reference_of(product_id: int) -> ReferencePrice | None:
    """The product's reference price: the lowest of each source's latest."""
    latest = latest_references(product_id)
    return min(latest, key=lambda r: (r.price_fen, r.id)) if latest else None


def caps_of(product_id: int) -> dict[str, ReferencePrice]:
    """The listing rules' ceilings: the latest official price, the lowest latest platform price."""
    out: dict[str, ReferencePrice] = {}
    for row in latest_references(product_id):
        if row.source_kind in ("official", "platform") and (
                row.source_kind not in out or row.price_fen < out[row.source_kind].price_fen):
            out[row.source_kind] = row
    return out


def freeze_limit(reference_fen: int, region_code: str) -> int:
    """The highest price not frozen: reference × (1 + r), in whole fen (rounded down)."""
    return reference_fen * (100 + rules.value(region_code, "mall.freeze_above_reference_pct")) // 100


def freeze_if_above_reference(listing: Listing) -> bool:
    """Freeze a live listing above its reference × (1 + r), telling its supplier why."""
    reference = reference_of(listing.product_id)
    if listing.status is not ListingStatus.LIVE or reference is None:
        return False
    limit = freeze_limit(reference.price_fen, listing.region_code)
    if listing.price_fen <= limit:
        return False
    freeze_listing(listing, reference, limit)
    return True


def freeze_listing(listing: Listing, reference: ReferencePrice, limit: int) -> None:
    from core import money
    from core.tasks import send_message

    reason = (f"挂牌价 {money.format_yuan(listing.price_fen)} 元高于参考价 {money.format_yuan(reference.price_fen)} 元"
              f"（{reference.source}，{clock.format_local(reference.captured_at, '%Y-%m-%d')}采集）的允许上限 "
              f"{money.format_yuan(limit)} 元")
    listing.frozen_reason = reason[:300]
    move(listing, ListingStatus.FROZEN, payload={"reference": reference.id, "limit_fen": limit,
                                                 "price_fen": listing.price_fen, "reason": listing.frozen_reason})
    after_commit(send_message.delay, {"title": "商品已冻结", "level": "warning", "url": f"/mall/listings/{listing.id}",
                                      "body": f"{listing.title}：{reason}。请调整价格后提交审核。"},
                 org_ids=[listing.supplier_org_id])


def unfreeze_if_within(listing: Listing) -> bool:
    """A frozen listing whose price is back within the limit is live again."""
    if listing.status is not ListingStatus.FROZEN:
        return False
    reference = reference_of(listing.product_id)
    if reference is not None and listing.price_fen > freeze_limit(reference.price_fen, listing.region_code):
        return False
    listing.frozen_reason = ""
    move(listing, ListingStatus.LIVE, payload={"price_fen": listing.price_fen})
    return True


# ---------------------------------------------------------------- the nightly check


def next_run_after(at: datetime, region_code: str | None = None) -> datetime:
    """The next price-check time: the region rule's hour, Beijing time, after `at`."""
    local = clock.to_local(at)
    hour = rules.value(region_code, "mall.price_check_hour")
    run = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if run <= local:
        run += timedelta(days=1)
    return run.astimezone(UTC)


def ensure_watch() -> PriceWatch:
    watch = db.session.scalar(select(PriceWatch).order_by(PriceWatch.id).limit(1))
    if watch is None:
        watch = PriceWatch(due_at=next_run_after(clock.now()))
        db.session.add(watch)
        db.session.flush()
    return watch


def _reference_floor():
    """Per product, the lowest of each source's latest reference price (one SQL subquery)."""
    latest = (select(ReferencePrice.product_id, ReferencePrice.source_kind, ReferencePrice.source,
                     func.max(ReferencePrice.captured_at).label("at"))
              .group_by(ReferencePrice.product_id, ReferencePrice.source_kind, ReferencePrice.source).subquery())
    return (select(ReferencePrice.product_id, func.min(ReferencePrice.price_fen).label("ref"))
            .join(latest, and_(latest.c.product_id == ReferencePrice.product_id,
                               latest.c.source_kind == ReferencePrice.source_kind,
                               latest.c.source == ReferencePrice.source,
                               latest.c.at == ReferencePrice.captured_at))
            .group_by(ReferencePrice.product_id).subquery())


def reference_floors() -> dict[int, int]:
    """Every referenced product's reference price (one grouped query; a few ints per referenced product)."""
    return dict(db.session.execute(select(_reference_floor())).all())


def check_prices(watch: PriceWatch | None = None) -> PriceCheckReport:
    """Re-check every live listing against its reference (freezing those above it) and flag the listings
    whose last price change cut the base price while raising a fee; write the report. The references are
    read once; the listings are walked in id batches along the primary key (id, product, price only), so
    memory stays flat however many listings there are and each batch is one index range on either database."""
    started = clock.now()
    floors = reference_floors()
    pcts: dict[str, int] = {}
    frozen_ids: list[int] = []
    checked = 0
    last = 0
    while True:
        batch = db.session.execute(
            select(Listing.id, Listing.product_id, Listing.price_fen, Listing.region_code)
            .where(Listing.status == ListingStatus.LIVE, Listing.id > last).order_by(Listing.id).limit(BATCH)).all()
        if not batch:
            break
        checked += len(batch)
        last = batch[-1][0]
        for listing_id, product_id, price, region_code in batch:
            ref = floors.get(product_id)
            if ref is None:
                continue
            if region_code not in pcts:
                pcts[region_code] = rules.value(region_code, "mall.freeze_above_reference_pct")
            if price * 100 > ref * (100 + pcts[region_code]) and freeze_if_above_reference(
                    db.session.get(Listing, listing_id)):
                frozen_ids.append(listing_id)
    shifts = list(db.session.scalars(select(ListingPrice.listing_id).where(
        ListingPrice.fee_shift.is_(True), ListingPrice.at > started - timedelta(days=1)).distinct()
        .order_by(ListingPrice.listing_id).limit(REPORT_IDS)))
    report = PriceCheckReport(started_at=started, finished_at=clock.now(), checked=checked, frozen=len(frozen_ids),
                              fee_shifts=len(shifts),
                              details={"frozen": frozen_ids[:REPORT_IDS], "fee_shifts": shifts, "rules": pcts})
    db.session.add(report)
    if watch is not None:
        watch.due_at = next_run_after(clock.now())
    db.session.flush()
    record("mall.price_check_run", report, {"checked": checked, "frozen": len(frozen_ids), "fee_shifts": len(shifts)},
           actor="system:mall-price-check")
    return report


def latest_report() -> PriceCheckReport | None:
    return db.session.scalar(select(PriceCheckReport).order_by(PriceCheckReport.id.desc()).limit(1))


def recent_references(limit: int = 50) -> list[ReferencePrice]:
    return list(db.session.scalars(select(ReferencePrice).order_by(ReferencePrice.entered_at.desc(),
                                                                   ReferencePrice.id.desc()).limit(limit)))


IMPORT_COLUMNS = {"product_id": "商品编号", "source_kind": "来源类型", "source": "来源", "price": "参考价（元）",
                  "captured_at": "采集时间", "evidence": "取证依据"}
KIND_NAMES = {"official": "official", "platform": "platform", "market": "market", "厂商官方指导价": "official",
              "电商平台自营价": "platform", "市场调查价": "market"}


def import_reference_prices(user: User, data: bytes, filename: str):
    """The monitoring body's file of reference prices (CSV or XLSX, the columns of `IMPORT_COLUMNS`): every
    row checked first, then all written (each freezing the listings above it) or none, with the report."""
    from core import money
    from registry.products.models import Product
    from registry.tabular import ImportProblem, ImportReport, UnreadableFile, body_rows, file_rows, header_map

    require_monitor(user)
    try:
        rows = file_rows(data, filename)
    except UnreadableFile as exc:
        return ImportReport(problems=[ImportProblem(1, "", str(exc))])
    if not rows:
        return ImportReport(problems=[ImportProblem(1, "", "文件是空的")])
    index, problems = header_map(rows[0], IMPORT_COLUMNS, IMPORT_COLUMNS)
    report = ImportReport(problems=problems)
    if problems:
        return report
    clean = []
    for line, row in body_rows(rows, index):
        report.rows += 1
        bad = len(report.problems)
        pid = int(row["product_id"]) if row["product_id"].isdigit() else None
        if pid is None or db.session.get(Product, pid) is None:
            report.problems.append(ImportProblem(line, IMPORT_COLUMNS["product_id"], "商品不存在"))
        kind = KIND_NAMES.get(row["source_kind"])
        if kind is None:
            report.problems.append(ImportProblem(line, IMPORT_COLUMNS["source_kind"],
                                                 "来源类型应为厂商官方指导价、电商平台自营价或市场调查价"))
        try:
            price = money.parse_yuan(row["price"])
            if price <= 0:
                raise money.MoneyError("zero")
        except money.MoneyError:
            price = 0
            report.problems.append(ImportProblem(line, IMPORT_COLUMNS["price"],
                                                 "参考价须为大于零的金额（元），最多两位小数"))
        try:
            captured = clock.parse_local(row["captured_at"])
            if captured > clock.now():
                raise ValueError("future")
        except ValueError:
            captured = None
            report.problems.append(ImportProblem(line, IMPORT_COLUMNS["captured_at"], "采集时间格式不正确或晚于现在"))
        for key in ("source", "evidence"):
            if not row[key]:
                report.problems.append(ImportProblem(line, IMPORT_COLUMNS[key], "不能为空"))
        if len(report.problems) == bad:
            clean.append((pid, kind, row["source"], price, captured, row["evidence"]))
    if report.problems:
        return report
    for pid, kind, source, price, captured, evidence in clean:
        enter_reference_price(user, pid, kind, source, price, captured, evidence, imported=True)
        report.created += 1
    return report
