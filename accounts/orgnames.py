"""Organisation names compared loosely, the same way everywhere (avoidance, declared relations): a space
of any width or a full-width bracket never makes two names of one organisation differ."""

from __future__ import annotations

from functools import lru_cache

# what `normalise_name` drops or folds; `normalised_sql` applies the same in SQL
NAME_FOLDS: tuple[tuple[str, str], ...] = ((" ", ""), ("\u3000", ""), ("\u00a0", ""), ("\t", ""),
                                           ("（", "("), ("）", ")"))


@lru_cache(maxsize=65536)  # a draw pool checks tens of thousands of experts, most sharing a few employer names
def normalise_name(name: str | None) -> str:
    """No spaces of any width, full-width brackets made half-width."""
    out = (name or "").strip()
    for old, new in NAME_FOLDS:
        out = out.replace(old, new)
    return out


def normalised_sql(column):
    """The same folding as `normalise_name`, as a SQL expression over a name column (SQLite and PostgreSQL
    both have replace())."""
    from sqlalchemy import func

    expr = column
    for old, new in NAME_FOLDS:
        expr = func.replace(expr, old, new)
    return expr
