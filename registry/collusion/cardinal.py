"""Price indicators across tenders, after open-contracting/cardinal-rs (MIT), computed on our own data.

The Python package `ocdscardinal` (0.0.8, the one on the package index) exposes only its `coverage`
command, not the indicators, so the four are computed here over the platform's lots, as cardinal-rs's
documentation defines them (docs/cli/indicators/R/024.md, 025.md, 028.md, 058.md):

- R024 *Price close to winning bid*: difference = (second-lowest valid bid − winning bid) / winning bid;
  flagged when at or below the lower fence Q1 − 1.5·IQR of the differences of the region's processes
  (or the region's fixed threshold). Excluded when the winner is not the lowest bid.
- R058 *Heavily discounted bid*: the same difference, flagged at or above the upper fence Q3 + 1.5·IQR.
- R028 *Identical bid prices*: different tenderers submitted the same price (in fen).
- R025 *Excessive unsuccessful bids*: for a tenderer whose number of valid bids is at or above the
  region's `r025_percentile` of bid counts, the ratio wins / valid bids at or below the lower fence of the
  ratios.

At an opening the winner is not known yet: the lowest opened price stands in for it (what a price-only
award would pick), and the evidence says so. History (the fences) comes from awarded lots: a confirmed,
notified or contracted award's bid. Fences need `cardinal_min_processes` processes in the region first.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from sqlalchemy import select

from core.db import db
from evaluation.models import Award, Candidate
from evaluation.transitions import AwardStatus
from tender.models import Bid, OpeningRecord, Project

WON = (AwardStatus.CONFIRMED, AwardStatus.NOTIFIED, AwardStatus.CONTRACTED)


def gap(prices: list[int]) -> float | None:
    """(second lowest − lowest) / lowest, or None with fewer than two positive prices."""
    valid = sorted(p for p in prices if p and p > 0)
    if len(valid) < 2:
        return None
    return (valid[1] - valid[0]) / valid[0]


def fences(values: list[float]) -> tuple[float, float]:
    """(Q1 − 1.5·IQR, Q3 + 1.5·IQR)."""
    q1, q3 = np.percentile(values, [25, 75])
    iqr = q3 - q1
    return float(q1 - 1.5 * iqr), float(q3 + 1.5 * iqr)


def _scalars(stmt) -> list:
    return list(db.session.scalars(stmt))


def _rows(stmt) -> list:
    return list(db.session.execute(stmt))


def winners(region_code: str) -> dict[int, int]:
    """lot id -> the winning bid's org, for the region's awarded lots."""
    rows = _rows(select(Award.lot_id, Bid.org_id).join(Candidate, Candidate.id == Award.candidate_id)
                   .join(Bid, Bid.id == Candidate.bid_id).join(Project, Project.id == Bid.project_id)
                   .where(Award.status.in_(WON), Project.region_code == region_code))
    return dict(rows)


def prices_by_lot(lot_ids: list[int]) -> dict[int, list[tuple[int, int | None]]]:
    """lot id -> [(org, price)] of its opened bids."""
    out: dict[int, list[tuple[int, int | None]]] = {}
    if lot_ids:
        for lot_id, org_id, price in _rows(select(OpeningRecord.lot_id, OpeningRecord.org_id,
                                                    OpeningRecord.price_fen)
                                             .where(OpeningRecord.lot_id.in_(lot_ids))):
            out.setdefault(lot_id, []).append((org_id, price))
    return out


def history_gaps(region_code: str, exclude_lot: int) -> list[float]:
    """R024/R058's differences over the region's awarded lots whose winner bid the lowest price."""
    won = {k: v for k, v in winners(region_code).items() if k != exclude_lot}
    gaps = []
    for lot_id, lines in prices_by_lot(list(won)).items():
        valid = sorted((p, o) for o, p in lines if p and p > 0)
        if len(valid) >= 2 and valid[0][1] == won[lot_id]:
            gaps.append((valid[1][0] - valid[0][0]) / valid[0][0])
    return gaps


def bid_history(region_code: str, org_ids: list[int]) -> dict[int, tuple[int, int]]:
    """org -> (valid bids, wins) over the region's awarded lots; and every bidder's count for the
    percentile (returned under key -1 as a Counter)."""
    won = winners(region_code)
    counts: Counter[int] = Counter()
    wins: Counter[int] = Counter()
    for lot_id, lines in prices_by_lot(list(won)).items():
        for org_id, _price in lines:
            counts[org_id] += 1
            if won[lot_id] == org_id:
                wins[org_id] += 1
    return {o: (counts[o], wins[o]) for o in set(counts) | set(org_ids)}


def serial_losers(region_code: str, org_ids: list[int], percentile: int, min_processes: int) -> list[dict]:
    """R025 for the given bidders: top tenderers whose win ratio is a low outlier in the region."""
    return losers(bid_history(region_code, org_ids), org_ids, percentile, min_processes)


def losers(history: dict[int, tuple[int, int]], org_ids: list[int], percentile: int,
           min_processes: int) -> list[dict]:
    """R025 over a history {org: (valid bids, wins)}: the given bidders whose bid count is at or above the
    percentile of everyone's and whose win ratio is at or below the ratios' lower fence."""
    everyone = [(n, w) for n, w in history.values() if n > 0]
    if len(everyone) < min_processes:
        return []
    upper = float(np.percentile([n for n, _ in everyone], percentile))
    ratios = [w / n for n, w in everyone]
    lower, _ = fences(ratios)
    out = []
    for org_id in org_ids:
        bids, won = history.get(org_id, (0, 0))
        if bids and bids >= upper and won / bids <= lower:
            out.append({"org": org_id, "bids": bids, "wins": won, "ratio": round(won / bids, 4),
                        "bids_threshold": round(upper, 2), "ratio_fence": round(lower, 4)})
    return out
