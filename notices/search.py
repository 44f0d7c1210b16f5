"""The notice centre's query: filters, paging and Chinese full-text search, the same on SQLite and PostgreSQL.

Each public notice's title and body are segmented with `core.words` (jieba's search mode, the segmenter the
product search uses) into `notice_token` (primary key (token, notice_id)) when it is published; a withdrawn
notice's tokens are removed with it from the lists. A query is segmented in jieba's precise mode and a notice
matches when it has every token: the rarest token's rows are walked newest notice first along the primary
key and each kept if it has the other tokens too (primary-key look-ups) and passes the filters, so a page
costs about the rows it shows, however many notices share a common word. Within a county (a small share of
all notices) and for a word that is not rare, the county's newest notices are walked along the region index
instead, each checked for every word.

Filters: a region and everything under it (province → city → county, from the region tree), kinds, the
method, a catalogue code and everything under it (an indexed range: codes are a letter and digits), a
range of publication dates (Beijing dates). Pages are numbered (`?page=3`, stable URLs) and each fetches
one row more than it shows to know whether a next page exists, so no page counts the whole table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, and_, delete, exists, false, func, insert, select

from core import clock, words
from core.db import db
from notices.kinds import public_codes
from notices.models import Notice, NoticeToken

PAGE_SIZE = 20
MAX_PAGE = 500  # beyond 10,000 notices back a visitor narrows the filters (as the provincial portal does)
FEW = 200  # a token on this few notices is walked whatever else narrows the query


@dataclass(frozen=True)
class Filters:
    """What a visitor asks the centre for; every field optional."""

    q: str = ""
    region: str = ""
    kinds: Sequence[str] = ()
    method: str = ""
    catalogue: str = ""
    date_from: date | None = None
    date_to: date | None = None


@dataclass
class Page:
    notices: list[Notice]
    number: int
    has_next: bool
    tokens: list[str] = field(default_factory=list)

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def index_notice(notice: Notice) -> None:
    """Put a public notice's words into the index (in the caller's transaction)."""
    if not notice.kind.public:
        return
    tokens = sorted(words.index_tokens(notice.title, notice.body))
    if tokens:
        db.session.execute(insert(NoticeToken), [{"token": t, "notice_id": notice.id} for t in tokens])


def unindex_notice(notice: Notice) -> None:
    db.session.execute(delete(NoticeToken).where(NoticeToken.notice_id == notice.id))


def region_tree():
    """The statement that reads the region tree (small: a province's cities and counties)."""
    from accounts.models import Region

    return select(Region.code, Region.parent_code)


def region_subtree(code: str) -> list[str]:
    """The region and every region under it (a province's cities and counties), from the region tree: a list
    of codes, which both databases match along the notice's region index (a recursive query in the same
    statement kept SQLite off that index)."""
    rows = db.session.execute(region_tree()).all()
    children: dict[str | None, list[str]] = {}
    for child, parent in rows:
        children.setdefault(parent, []).append(child)
    if code not in {c for c, _ in rows}:
        return []
    out, stack = [], [code]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(children.get(node, ()))
    return out


def catalogue_range(code: str):
    """Catalogue code under `code` (A02 finds A0201…): an indexed range, the same on both databases."""
    normal = code.strip().upper()
    return and_(Notice.catalogue_code >= normal, Notice.catalogue_code < normal + ":")


def local_day_start(day: date) -> datetime:
    """Midnight of a Beijing date, in UTC (how `published_at` is stored)."""
    return datetime.combine(day, time.min, tzinfo=clock.LOCAL_TZ).astimezone(UTC)


def conditions(filters: Filters) -> list:
    """The filters as SQL conditions on `notice` (public kinds only, withdrawn notices left off)."""
    codes = public_codes()
    if filters.kinds:
        codes = [k for k in filters.kinds if k in codes]
    where = [Notice.kind.in_(codes), Notice.withdrawn_at.is_(None)]
    if filters.region:
        where.append(Notice.region_code.in_(region_subtree(filters.region) or [filters.region]))
    if filters.method:
        where.append(Notice.method == filters.method)
    if filters.catalogue.strip():
        where.append(catalogue_range(filters.catalogue))
    if filters.date_from:
        where.append(Notice.published_at >= local_day_start(filters.date_from))
    if filters.date_to:
        where.append(Notice.published_at < local_day_start(filters.date_to + timedelta(days=1)))
    return where


def _has(token: str, notice_id):
    """The notice (by its id column) has the token: a primary-key look-up."""
    alias = NoticeToken.__table__.alias()
    return exists(select(alias.c.notice_id).where(alias.c.token == token, alias.c.notice_id == notice_id))


def children_count(region: str):
    """How many regions are directly under `region` (none: a county)."""
    from accounts.models import Region

    return select(func.count()).select_from(Region).where(Region.parent_code == region)


def _is_leaf(region: str) -> bool:
    return bool(region) and db.session.scalar(children_count(region)) == 0


def token_count(token: str, cap: int = 5000):
    """How many notices have the token, counted along the index up to `cap` (which token is rarest)."""
    inner = select(NoticeToken.notice_id).where(NoticeToken.token == token).limit(cap).subquery()
    return select(func.count()).select_from(inner)


def _bounded_count(token: str) -> int:
    return db.session.scalar(token_count(token)) or 0


def statement(filters: Filters, page: int = 1, size: int = PAGE_SIZE) -> tuple[Select | None, list[str]]:
    """The query of one page (one row more than `size`, to know whether a next page exists) and the search
    tokens; None when the words ask for nothing findable (only particles)."""
    tokens = words.query_tokens(filters.q) if filters.q.strip() else []
    if filters.q.strip() and not tokens:
        return None, []
    where = conditions(filters)
    if tokens:
        counts = {t: _bounded_count(t) for t in tokens} if len(tokens) > 1 or filters.region else {}
        ordered = sorted(tokens, key=counts.get) if counts else tokens
        if counts and counts[ordered[0]] == 0:  # a word no notice has: nothing can have them all
            return select(Notice).where(false()).limit(size + 1), tokens
        if counts and counts[ordered[0]] > FEW and _is_leaf(filters.region):
            # a county holds a small share of the notices: walk its newest notices along the region index and
            # keep those having every word, rather than walk a common word's notices looking for the county
            query = select(Notice).where(*where, *[_has(token, Notice.id) for token in ordered])
            query = query.order_by(Notice.published_at.desc(), Notice.id.desc())
        else:
            main = NoticeToken.__table__.alias("t0")
            query = (select(Notice).join(main, main.c.notice_id == Notice.id)
                     .where(main.c.token == ordered[0], *where, *[_has(token, main.c.notice_id)
                                                                   for token in ordered[1:]]))
            query = query.order_by(main.c.notice_id.desc())
    else:
        query = select(Notice).where(*where).order_by(Notice.published_at.desc(), Notice.id.desc())
    return query.limit(size + 1).offset((page - 1) * size), tokens


def find_notices(filters: Filters, page: int = 1, size: int = PAGE_SIZE) -> Page:
    """One page of the public notices matching `filters`, newest first."""
    page = max(1, min(int(page), MAX_PAGE))
    size = max(1, min(int(size), 100))
    query, tokens = statement(filters, page, size)
    if query is None:
        return Page([], page, False, [])
    rows = list(db.session.scalars(query))
    return Page(rows[:size], page, len(rows) > size, tokens)


def latest(filters: Filters, limit: int = 50) -> list[Notice]:
    """The newest public notices matching the filters (a feed's entries)."""
    return find_notices(Filters(region=filters.region, kinds=filters.kinds), 1, limit).notices
