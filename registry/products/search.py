"""Product search by words and by catalogue code, the same on SQLite and PostgreSQL.

Chinese has no spaces between words, so each product's current version (brand, model,
specification, the catalogue leaf's name) is segmented with jieba in its search mode (every word
and the shorter words inside it: 计算机 also gives 计算, 算机) into a token table
(`registry_product_token`, primary key (token, product_id)). A query is segmented the same way;
a product matches when it has every query token, counted with one indexed GROUP BY. A catalogue
code narrows by prefix (A0201 finds everything under 信息化设备). Only listed products are found.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass

from sqlalchemy import and_, delete, func, insert, select

from core.db import db
from registry.catalogue import codes
from registry.products.models import Offer, OfferRegion, OfferStatus, Product, ProductStatus, ProductToken

MAX_TOKEN = 32
MAX_QUERY_TOKENS = 8
PAGE = 20
WORD_RE = re.compile(r"\w", re.UNICODE)
_ready = threading.Lock()
_jieba = None


def _segmenter():
    """jieba, its dictionary loaded once per process (about a second)."""
    global _jieba
    if _jieba is None:
        with _ready:
            if _jieba is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _jieba = jieba
    return _jieba


def _clean(words) -> list[str]:
    out = []
    for word in words:
        word = word.strip().lower()
        if word and WORD_RE.search(word) and len(word) <= MAX_TOKEN:
            out.append(word)
    return out


def index_tokens(*texts: str) -> set[str]:
    """The tokens a product is found by: search-mode segmentation of its texts."""
    jieba = _segmenter()
    tokens: set[str] = set()
    for text in texts:
        tokens.update(_clean(jieba.cut_for_search(text or "")))
    return tokens


def query_tokens(text: str) -> list[str]:
    """The tokens a query asks for (each must be present): the precise segmentation of the query."""
    jieba = _segmenter()
    seen: list[str] = []
    for token in _clean(jieba.cut(text or "")):
        if token not in seen:
            seen.append(token)
    return seen[:MAX_QUERY_TOKENS]


def reindex(product: Product, *texts: str) -> None:
    """Replace a product's tokens with those of its current version (in the caller's transaction)."""
    db.session.execute(delete(ProductToken).where(ProductToken.product_id == product.id))
    tokens = sorted(index_tokens(*texts))
    if tokens:
        db.session.execute(insert(ProductToken), [{"token": t, "product_id": product.id} for t in tokens])


@dataclass
class Hit:
    product_id: int
    title: str
    catalogue_code: str
    offers: int
    lowest_price_fen: int | None


def search_products(words: str = "", code: str = "", *, region_code: str | None = None, limit: int = PAGE,
                    offset: int = 0) -> list[Hit]:
    """Listed products having every word of `words` and a catalogue code under `code`, newest first,
    with their active offers' count and lowest price (offers delivering to `region_code` when given)."""
    limit = max(1, min(int(limit), 100))
    query = select(Product.id, Product.title, Product.catalogue_code).where(Product.status == ProductStatus.ACTIVE)
    tokens = query_tokens(words)
    if words.strip() and not tokens:
        return []
    if tokens:
        matched = (select(ProductToken.product_id).where(ProductToken.token.in_(tokens))
                   .group_by(ProductToken.product_id)
                   .having(func.count() == len(tokens)))
        query = query.where(Product.id.in_(matched))
    normal = codes.normalise(code)
    if normal:
        query = query.where(Product.catalogue_code.like(f"{normal}%"))
    rows = db.session.execute(query.order_by(Product.id.desc()).limit(limit).offset(max(0, offset))).all()
    stats = _offer_stats([r.id for r in rows], region_code)
    return [Hit(r.id, r.title, r.catalogue_code, *stats.get(r.id, (0, None))) for r in rows]


def _offer_stats(product_ids: list[int], region_code: str | None) -> dict[int, tuple[int, int]]:
    if not product_ids:
        return {}
    query = (select(Offer.product_id, func.count(), func.min(Offer.price_fen))
             .where(Offer.product_id.in_(product_ids), Offer.status == OfferStatus.ACTIVE)
             .group_by(Offer.product_id))
    if region_code:
        query = query.where(Offer.id.in_(select(OfferRegion.offer_id).where(
            OfferRegion.region_code.in_(_region_chain(region_code)))))
    return {pid: (n, low) for pid, n, low in db.session.execute(query)}


def _region_chain(region_code: str) -> list[str]:
    """A buyer in a county is served by offers delivering to it, its city or its province."""
    from accounts.models import Region

    region = db.session.get(Region, region_code)
    return [r.code for r in region.lineage()] if region else [region_code]


def offers_of(product_id: int, *, region_code: str | None = None, limit: int = 50) -> list[Offer]:
    """A listed product's active offers, cheapest first (delivering to `region_code` when given)."""
    query = (select(Offer).join(Product, Product.id == Offer.product_id)
             .where(Offer.product_id == product_id, Offer.status == OfferStatus.ACTIVE,
                    Product.status == ProductStatus.ACTIVE))
    if region_code:
        query = query.where(Offer.id.in_(select(OfferRegion.offer_id).where(
            OfferRegion.region_code.in_(_region_chain(region_code)))))
    return list(db.session.scalars(query.order_by(Offer.price_fen, Offer.id).limit(max(1, min(limit, 200)))))


def search_offers(words: str = "", code: str = "", *, region_code: str | None = None,
                  limit: int = PAGE) -> list[Offer]:
    """What the e-mall lists: active offers of listed products matching the words and code, cheapest first."""
    product_ids = [h.product_id for h in search_products(words, code, region_code=region_code, limit=100)]
    if not product_ids:
        return []
    query = select(Offer).where(and_(Offer.product_id.in_(product_ids), Offer.status == OfferStatus.ACTIVE))
    if region_code:
        query = query.where(Offer.id.in_(select(OfferRegion.offer_id).where(
            OfferRegion.region_code.in_(_region_chain(region_code)))))
    return list(db.session.scalars(query.order_by(Offer.price_fen, Offer.id).limit(max(1, min(limit, 100)))))
