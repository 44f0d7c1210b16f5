"""Reads and writes on the catalogue: the active version, items, the tree, leaves, central purchase marks.

Other packages (products, plans, the e-mall) read the catalogue only through these functions:
`require_leaf` is the check that a product or a plan line names a leaf of the active version,
`is_central` whether a region buys a leaf centrally (集中采购目录, the region's own mark or that of
a region above it).
"""

from __future__ import annotations

from sqlalchemy import delete, select, update

from accounts.models import Region, Role, User
from audit.service import record
from core import clock
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationError
from registry.catalogue import codes
from registry.catalogue.models import CatalogueItem, CatalogueVersion, CentralPurchase

CENTRAL_MARKERS = (Role.FINANCE_REVIEWER, Role.SUPERVISOR, Role.ADMIN)


# ---------------------------------------------------------------- versions


def active_version() -> CatalogueVersion | None:
    return db.session.scalar(select(CatalogueVersion).where(CatalogueVersion.is_active.is_(True)).limit(1))


def require_active_version() -> CatalogueVersion:
    version = active_version()
    if version is None:
        raise Conflict("尚未启用采购目录，请管理员先导入并启用。", code="catalogue_not_active")
    return version


def list_versions() -> list[CatalogueVersion]:
    return list(db.session.scalars(select(CatalogueVersion).order_by(CatalogueVersion.id.desc())))


def get_version(version_id: int) -> CatalogueVersion:
    version = db.session.get(CatalogueVersion, version_id)
    if version is None:
        raise NotFound("没有这个目录版本。", code="catalogue_version_not_found")
    return version


def activate_version(actor: User | None, version: CatalogueVersion) -> CatalogueVersion:
    """Make `version` the one new products and plans use; the previous one stays readable."""
    if actor is not None and not actor.has_role(Role.ADMIN):
        raise Forbidden("只有平台管理员可以启用采购目录版本。", code="not_catalogue_admin")
    if version.is_active:
        return version
    previous = active_version()
    db.session.execute(update(CatalogueVersion).where(CatalogueVersion.is_active.is_(True))
                       .values(is_active=False).execution_options(synchronize_session="fetch"))
    version.is_active = True
    version.activated_at = clock.now()
    db.session.flush()
    record("registry.catalogue_activated", version, {"previous": previous.id if previous else None})
    return version


# ---------------------------------------------------------------- items and the tree


def _version_id(version: CatalogueVersion | None) -> int | None:
    version = version or active_version()
    return version.id if version else None


def get_item(code: str, version: CatalogueVersion | None = None) -> CatalogueItem | None:
    """The item of `code` (prefix or padded form) in `version`, by default the active one."""
    version_id = _version_id(version)
    if version_id is None:
        return None
    return db.session.scalar(select(CatalogueItem).where(CatalogueItem.version_id == version_id,
                                                         CatalogueItem.code == codes.normalise(code)))


def require_leaf(code: str, field: str = "catalogue_code") -> CatalogueItem:
    """The active version's leaf `code`, else a ValidationError naming the field."""
    version = require_active_version()
    normal = codes.normalise(code)
    if not normal:
        raise ValidationError("请选择采购目录品目。", code="catalogue_code_required", details={"field": field})
    item = get_item(normal, version)
    if item is None:
        raise ValidationError(f"采购目录中没有品目 {normal}。", code="catalogue_code_unknown",
                              details={"field": field, "code": normal})
    if not item.is_leaf:
        raise ValidationError(f"品目“{item.name}”不是末级品目，请选择其下的具体品目。", code="catalogue_not_leaf",
                              details={"field": field, "code": normal})
    return item


def children(code: str | None, version: CatalogueVersion | None = None) -> list[CatalogueItem]:
    """The items directly under `code`; under a letter (A, B, C) or None the level-one items."""
    version_id = _version_id(version)
    if version_id is None:
        return []
    query = select(CatalogueItem).where(CatalogueItem.version_id == version_id)
    if code in (None, "", *codes.CATEGORY_NAMES):
        query = query.where(CatalogueItem.level == 1)
        if code:
            query = query.where(CatalogueItem.code.like(f"{code}%"))
    else:
        query = query.where(CatalogueItem.parent_code == codes.normalise(code))
    return list(db.session.scalars(query.order_by(CatalogueItem.code)))


def lineage(item: CatalogueItem) -> list[CatalogueItem]:
    """The item's ancestors from level one down to the item itself."""
    wanted = [item.code[:n] for n in range(3, len(item.code) + 1, 2)]
    found = {i.code: i for i in db.session.scalars(select(CatalogueItem).where(
        CatalogueItem.version_id == item.version_id, CatalogueItem.code.in_(wanted)))}
    return [found[c] for c in wanted if c in found]


def find_items(text: str, version: CatalogueVersion | None = None, *, leaves_only: bool = False,
               limit: int = 50) -> list[CatalogueItem]:
    """Items whose code starts with `text` or whose name contains it (the picker of a form)."""
    version_id = _version_id(version)
    text = text.strip()
    if version_id is None or not text:
        return []
    normal = codes.normalise(text)
    query = select(CatalogueItem).where(CatalogueItem.version_id == version_id)
    if normal[:1] in codes.CATEGORY_NAMES and normal[1:].isdigit():
        query = query.where(CatalogueItem.code.like(f"{normal}%"))
    else:
        query = query.where(CatalogueItem.name.contains(text, autoescape=True))
    if leaves_only:
        query = query.where(CatalogueItem.is_leaf.is_(True))
    return list(db.session.scalars(query.order_by(CatalogueItem.code).limit(limit)))


def leaves_under(code: str, version: CatalogueVersion | None = None) -> list[str]:
    """The leaf codes at or under `code` (prefix search)."""
    version_id = _version_id(version)
    if version_id is None:
        return []
    normal = codes.normalise(code)
    return list(db.session.scalars(select(CatalogueItem.code).where(
        CatalogueItem.version_id == version_id, CatalogueItem.is_leaf.is_(True),
        CatalogueItem.code.like(f"{normal}%")).order_by(CatalogueItem.code)))


def names_of(code_list: list[str], version: CatalogueVersion | None = None) -> dict[str, str]:
    version_id = _version_id(version)
    if version_id is None or not code_list:
        return {}
    return dict(db.session.execute(select(CatalogueItem.code, CatalogueItem.name).where(
        CatalogueItem.version_id == version_id, CatalogueItem.code.in_(set(code_list)))).all())


# ---------------------------------------------------------------- 集中采购目录


def _lineage_codes(region_code: str) -> list[str]:
    region = db.session.get(Region, region_code)
    return [r.code for r in region.lineage()] if region else []


def may_mark(user: User, region_code: str) -> bool:
    """Finance of the region or of a region above it, or the platform administrator."""
    if user.has_role(Role.ADMIN):
        return True
    return user.has_role(Role.FINANCE_REVIEWER, Role.SUPERVISOR) and user.region_code in _lineage_codes(region_code)


def set_central(actor: User | None, region_code: str, code_list: list[str], central: bool) -> list[str]:
    """Mark (or unmark) leaves of the active version as bought centrally in `region_code`. All or nothing:
    a code that is not a leaf refuses the whole change."""
    if db.session.get(Region, region_code) is None:
        raise ValidationError("区划不存在。", code="region_invalid", details={"field": "region_code"})
    if actor is not None and not may_mark(actor, region_code):
        raise Forbidden("只有本区划或上级财政部门可以设定集中采购目录。", code="not_central_marker")
    version = require_active_version()
    leaves = [require_leaf(c, "codes").code for c in code_list]
    if not leaves:
        raise ValidationError("请选择品目。", code="catalogue_code_required", details={"field": "codes"})
    have = set(db.session.scalars(select(CentralPurchase.code).where(
        CentralPurchase.region_code == region_code, CentralPurchase.version_id == version.id)))
    if central:
        changed = sorted(set(leaves) - have)
        now = clock.now()
        db.session.add_all([CentralPurchase(region_code=region_code, version_id=version.id, code=c, marked_at=now,
                                            marked_by_id=actor.id if actor else None) for c in changed])
    else:
        changed = sorted(set(leaves) & have)
        db.session.execute(delete(CentralPurchase).where(
            CentralPurchase.region_code == region_code, CentralPurchase.version_id == version.id,
            CentralPurchase.code.in_(changed)))
    db.session.flush()
    record("registry.catalogue_central_set", None, {"region": region_code, "version": version.id,
                                                    "central": central, "codes": changed},
           object_type="registry_catalogue_central", object_id=region_code,
           **({"actor": "system:catalogue"} if actor is None else {}))
    return changed


def central_codes(region_code: str, version: CatalogueVersion | None = None) -> dict[str, str]:
    """The leaves bought centrally in a region: {code: the region whose mark it is} (own or inherited)."""
    version_id = _version_id(version)
    chain = _lineage_codes(region_code)
    if version_id is None or not chain:
        return {}
    marks: dict[str, str] = {}
    rows = db.session.execute(select(CentralPurchase.code, CentralPurchase.region_code).where(
        CentralPurchase.version_id == version_id, CentralPurchase.region_code.in_(chain))).all()
    for code, region in sorted(rows, key=lambda r: chain.index(r[1]), reverse=True):
        marks[code] = region  # the nearest region's mark wins
    return marks


def is_central(region_code: str, code: str) -> bool:
    return codes.normalise(code) in central_codes(region_code)
