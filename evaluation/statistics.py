"""The statistics of tender contracts (portal.statistics): one fact per signed contract of an award.

The method, the category, the catalogue's first level and the budget come from the award's lot and project;
the organisation form (组织形式) from who organised it: a central procurement agency (政府集中采购), another
agency (委托代理机构采购) or the purchaser itself (自行采购); SME flags from the supplier's size class in the
supplier library (中型/小型/微型), or, for a supplier not in the library, its organisation's SME mark.

A project's method, category, catalogue, budgets and agency are fixed at publication, so only the contract,
the supplier's size class and the organisation's SME mark can move a figure afterwards: those are watched.
Green (节能环保) and imported products are not recorded on projects or contracts yet, so their shares are
named on the page as missing rather than guessed.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, and_, case, cast, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from accounts.models import Org, OrgKind
from contracts.models import Contract
from contracts.transitions import ContractStatus
from evaluation.contracts import KIND
from evaluation.models import Award
from portal import statistics
from portal.statistics import Dimension, StatSource, Watch
from registry.suppliers.models import SMALL_MICRO_SIZES, SME_SIZES, Supplier
from tender.models import Lot, Project

ORG_FORMS = {"central": _l("政府集中采购"), "agency": _l("委托代理机构采购"), "self": _l("自行采购")}


def _facts():
    agency, seller = aliased(Org), aliased(Org)
    sized = Supplier.size_class.is_not(None)
    sme = or_(Supplier.size_class.in_(sorted(SME_SIZES)), and_(~sized, seller.is_sme.is_(True)))
    small = Supplier.size_class.in_(sorted(SMALL_MICRO_SIZES))
    form = case((Project.agency_org_id == Project.purchaser_org_id, literal("self")),
                (agency.kind == OrgKind.CENTRAL_AGENCY, literal("central")), else_=literal("agency"))
    return (select(Contract.region_code, Contract.amount_fen, Lot.budget_fen.label("budget_fen"),
                   case((sme, True), else_=False).label("sme"), case((small, True), else_=False).label("small_micro"),
                   cast(Project.method, String).label("method"), cast(Project.category, String).label("category"),
                   func.substr(Project.catalogue_code, 1, 3).label("catalogue"), form.label("org_form"))
            .select_from(Contract)
            .join(Award, Award.id == Contract.source_id).join(Lot, Lot.id == Award.lot_id)
            .join(Project, Project.id == Lot.project_id).join(agency, agency.id == Project.agency_org_id)
            .join(seller, seller.id == Contract.supplier_org_id)
            .outerjoin(Supplier, Supplier.org_id == Contract.supplier_org_id)
            .where(Contract.source_kind == KIND, Contract.status == ContractStatus.SIGNED))


def _method_names(keys: Sequence[str]) -> dict[str, str]:
    from tender.service import METHOD_ZH

    return {k: gettext(METHOD_ZH[k]) for k in keys if k in METHOD_ZH}


def _category_names(keys: Sequence[str]) -> dict[str, str]:
    from tender.service import CATEGORY_ZH

    return {k: gettext(CATEGORY_ZH[k]) for k in keys if k in CATEGORY_ZH}


def _catalogue_names(keys: Sequence[str]) -> dict[str, str]:
    from registry.catalogue.service import names_of

    names = names_of([k for k in keys if k])
    return {k: f"{k} {names[k]}" for k in keys if k in names}


def _org_form_names(keys: Sequence[str]) -> dict[str, str]:
    return {k: str(ORG_FORMS[k]) for k in keys if k in ORG_FORMS}


def _contract_months(session: Session, contract: Contract) -> set[str]:
    if contract.source_kind != KIND or not statistics.attribute_changed(contract, "status", "signed_at", "amount_fen"):
        return set()
    return statistics.months_changed(contract, "signed_at")


def _months_of_org(session: Session, org_id: int) -> set[str]:
    """The months of the signed contracts this organisation supplied or organised (its size or kind counts)."""
    return {m for at in session.scalars(select(Contract.signed_at).where(
        or_(Contract.supplier_org_id == org_id, Contract.agency_org_id == org_id), Contract.source_kind == KIND,
        Contract.signed_at.is_not(None)).distinct()) if (m := statistics.month_of(at))}


def _supplier_months(session: Session, supplier: Supplier) -> set[str]:
    if supplier.org_id is None or not statistics.attribute_changed(supplier, "size_class", "org_id"):
        return set()
    return _months_of_org(session, supplier.org_id)


def _org_months(session: Session, org: Org) -> set[str]:
    if org.id is None or not statistics.attribute_changed(org, "is_sme", "kind"):
        return set()
    return _months_of_org(session, org.id)


PROCUREMENT = statistics.register(StatSource(
    name="procurement", label=_l("政府采购合同"), facts=_facts, time_column=Contract.signed_at, unit=_l("份"),
    dimensions=(Dimension("method", _l("采购方式"), _method_names),
                Dimension("category", _l("品目类别"), _category_names),
                Dimension("catalogue", _l("采购目录"), _catalogue_names),
                Dimension("org_form", _l("组织形式"), _org_form_names)),
    watches=(Watch(Contract, _contract_months), Watch(Supplier, _supplier_months), Watch(Org, _org_months)),
    absent=(_l("绿色（节能环保）采购占比：项目和合同尚未记录节能、环境标志产品标识，暂不统计。"),
            _l("进口产品占比：采购需求尚未记录是否采购进口产品，暂不统计。"))))
