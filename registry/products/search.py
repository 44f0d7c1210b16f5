"""Product search by words and by catalogue code, the same on SQLite and PostgreSQL.

Chinese has no spaces between words, so each product's current version (brand, model,
specification, the catalogue leaf's name) is segmented with jieba in its search mode (`core.words`: every
word and the shorter words inside it: 计算机 also gives 计算, 算机) into a token table
(`registry_product_token`, primary key (token, product_id)). A query is segmented the same way;
a product matches when it has every query token (the rarest one walked along the index, the others
looked up by primary key). A catalogue code narrows by prefix (A0201 finds everything under
信息化设备), as an indexed range. Only listed products are found.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, delete, exists, func, insert, select

from core import words
from core.db import db
from registry.catalogue import codes
from registry.products.models import Offer, OfferRegion, OfferStatus, Product, ProductStatus, ProductToken

PAGE = 20
# the segmentation is core.words', shared with the notice index
MAX_TOKEN, MAX_QUERY_TOKENS, STOP_WORDS = words.MAX_TOKEN, words.MAX_QUERY_TOKENS, words.STOP_WORDS
index_tokens = words.index_tokens
query_tokens = words.query_tokens


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


FEW = 200  # a word on this few products is walked whatever the code
BROAD = 2000  # a code with at least this many products is walked newest first rather than by its index


def code_range(code: str, *, indexed: bool = True):
    """The condition "catalogue code under `code`" as a range (codes are a letter and digits, so
    everything under A0201 sorts between A0201 and A0201:), the same on both databases. `indexed`
    False writes it on an expression of the column, which keeps either database off the code index."""
    normal = codes.normalise(code)
    column = Product.catalogue_code if indexed else func.coalesce(Product.catalogue_code, "")
    return and_(column >= normal, column < normal + ":")


def code_count(code: str, cap: int = BROAD) -> int:
    """How many products are under `code`, counted along the code index up to `cap`."""
    inner = select(Product.id).where(code_range(code)).limit(cap).subquery()
    return db.session.scalar(select(func.count()).select_from(inner)) or 0


def is_broad(code: str) -> bool:
    """Whether many products are under `code`: then the newest products walked in id order find a page at
    once, where the code index would fetch and sort them all."""
    return code_count(code) >= BROAD


def _bounded_count(token: str, cap: int = 5000) -> int:
    inner = select(ProductToken.product_id).where(ProductToken.token == token).limit(cap).subquery()
    return db.session.scalar(select(func.count()).select_from(inner)) or 0


def search_products(words: str = "", code: str = "", *, region_code: str | None = None, limit: int = PAGE,
                    offset: int = 0) -> list[Hit]:
    """Listed products having every word of `words` and a catalogue code under `code`, newest first,
    with their active offers' count and lowest price (offers delivering to `region_code` when given).

    With words, the rarest token's rows are walked newest first along the token index and each is
    kept if the product has the other tokens too (primary-key look-ups), so a page costs about the
    rows it shows, however many products share a common word; with a code under which fewer products
    are than have the rarest word, the products under the code are checked instead."""
    limit = max(1, min(int(limit), 100))
    tokens = query_tokens(words)
    if words.strip() and not tokens:
        return []
    normal = codes.normalise(code)
    if tokens and normal:
        counts = {t: _bounded_count(t) for t in tokens}
        tokens.sort(key=counts.get)
        rarest = counts[tokens[0]]
        # fewer products under the code than with the rarest word (worth a count only if that word is common)
        if rarest > FEW and code_count(code) < min(rarest, BROAD):
            return _page(_by_code(code, tokens), Product.id.desc(), limit, offset, region_code)
    if tokens:
        if not normal:
            tokens.sort(key=_bounded_count)
        main = ProductToken.__table__.alias("t0")
        query = (select(Product.id, Product.title, Product.catalogue_code)
                 .select_from(main.join(Product.__table__, Product.id == main.c.product_id))
                 .where(main.c.token == tokens[0]))
        for n, token in enumerate(tokens[1:], start=1):
            other = ProductToken.__table__.alias(f"t{n}")
            query = query.where(exists(select(other.c.product_id).where(
                other.c.token == token, other.c.product_id == main.c.product_id)))
        order = main.c.product_id.desc()
    else:
        query = select(Product.id, Product.title, Product.catalogue_code)
        order = Product.id.desc()
    if normal:
        if tokens or not is_broad(code):
            query = query.where(code_range(code))
        else:  # most products are under it: walk the newest products and keep those under the code
            query = query.where(code_range(code, indexed=False))
    return _page(query, order, limit, offset, region_code)


def _by_code(code: str, tokens: list[str]):
    """Products under a narrow code having every token (each a primary-key look-up)."""
    query = select(Product.id, Product.title, Product.catalogue_code).where(code_range(code))
    for n, token in enumerate(tokens):
        alias = ProductToken.__table__.alias(f"c{n}")
        query = query.where(exists(select(alias.c.product_id).where(alias.c.token == token,
                                                                    alias.c.product_id == Product.id)))
    return query


def _page(query, order, limit: int, offset: int, region_code: str | None) -> list[Hit]:
    query = query.where(Product.status == ProductStatus.ACTIVE)
    rows = db.session.execute(query.order_by(order).limit(limit).offset(max(0, offset))).all()
    stats = _offer_stats([r.id for r in rows], region_code)
    return [Hit(r.id, r.title, r.catalogue_code, *stats.get(r.id, (0, None))) for r in rows]


def _delivers_to(region_code: str):
    """An offer delivering to the region, its city or its province (a correlated primary-key look-up)."""
    return exists(select(OfferRegion.offer_id).where(OfferRegion.offer_id == Offer.id,
                                                     OfferRegion.region_code.in_(_region_chain(region_code))))


def _offer_stats(product_ids: list[int], region_code: str | None) -> dict[int, tuple[int, int]]:
    if not product_ids:
        return {}
    query = (select(Offer.product_id, func.count(), func.min(Offer.price_fen))
             .where(Offer.product_id.in_(product_ids), Offer.status == OfferStatus.ACTIVE)
             .group_by(Offer.product_id))
    if region_code:
        query = query.where(_delivers_to(region_code))
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
        query = query.where(_delivers_to(region_code))
    return list(db.session.scalars(query.order_by(Offer.price_fen, Offer.id).limit(max(1, min(limit, 200)))))


def search_offers(words: str = "", code: str = "", *, region_code: str | None = None,
                  limit: int = PAGE) -> list[Offer]:
    """What the e-mall lists: active offers of listed products matching the words and code, cheapest first."""
    product_ids = [h.product_id for h in search_products(words, code, region_code=region_code, limit=100)]
    if not product_ids:
        return []
    query = select(Offer).where(and_(Offer.product_id.in_(product_ids), Offer.status == OfferStatus.ACTIVE))
    if region_code:
        query = query.where(_delivers_to(region_code))
    return list(db.session.scalars(query.order_by(Offer.price_fen, Offer.id).limit(max(1, min(limit, 100)))))
