"""Evaluation (评标 / 评审): committee, reviews, scoring, report, award and contract.

The rules engine is pure Python (no Flask, no database) so it can be tested exhaustively and
rechecked by anyone: `rules` (the region's rule set), `review` (qualification and compliance
review), `price_correction` (87号令 Art 59), `low_price` (Art 60), `scoring` (SME deductions,
price score, totals, ranking, same brand, candidates), `consistency` (flags before the summary,
the Art 64 guard on later changes), `opinions` (minority opinions), `summary` (one lot through
all of them in order), `report_data` (the report's contents as canonical data), `deadlines`
(award, notice, challenge and contract periods in working days) and `visibility` (who sees or
does what at each stage). Nothing here may import Flask at module level.
`models` and `transitions` hold the tables and the status tables; the room (Socket.IO),
services, pages, PDF report, award and contract come next.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """So far only the tables: importing the models puts them in the metadata."""
    from evaluation import models  # noqa: F401
