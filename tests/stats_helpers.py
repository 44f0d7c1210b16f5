"""Signed tender contracts written as rows, the way the tender, evaluation and contract kits leave them, for the
statistics and supervision tests: `Market(make_user)` makes a purchaser, a central agency, a social agency
and suppliers of each size; `market.contract(...)` a project with its lot, award and contract (signed or not).

One opened bid, report and candidate are shared by every award (an award only points at a candidate):
the statistics read the project, the lot, the award's contract and the supplier, never the bids."""

from __future__ import annotations

import hashlib
import itertools
from datetime import datetime, timedelta

_numbers = itertools.count(1)


class Market:
    def __init__(self, make_user, clock) -> None:
        from accounts.models import OrgKind
        from accounts.service import create_org
        from core.db import db
        from registry.suppliers.models import SizeClass, Supplier

        self.clock = clock
        self.purchaser = make_user("purchaser", org_kind="purchaser", totp=False)
        self.agency = make_user("agency_staff", org_kind="agency", totp=False)
        self.center = make_user("agency_staff", org_kind="central_agency", totp=False)
        region = self.purchaser.region_code
        self.suppliers = {}
        for size in SizeClass:
            org = create_org(f"{size.value}供应商有限公司", OrgKind.SUPPLIER, region)
            db.session.flush()
            db.session.add(Supplier(org_id=org.id, legal_representative="张三", address="泰顺县", size_class=size,
                                    bank_name="农行", bank_account_name=org.name, bank_account_number="1",
                                    created_at=clock.now()))
            self.suppliers[size.value] = org
        self.unlisted = create_org("未入库个体工商户", OrgKind.SUPPLIER, region)  # not in the library
        self.unlisted.is_sme = True
        db.session.flush()
        self._chain()
        db.session.commit()

    def _chain(self) -> None:
        from core.db import db
        from evaluation.models import Candidate, Committee, EvaluationReport
        from tender.transitions import BidStatus, EvalMethod

        project, lot = self._project("public_tender", "goods", "A02010104", self.agency, 100)
        now = self.clock.now()
        committee = Committee(project_id=project.id, lot_id=lot.id, eval_method=EvalMethod.SCORING, opens_at=now,
                              rules_json="{}", created_at=now)
        db.session.add(committee)
        db.session.flush()
        report = EvaluationReport(committee_id=committee.id, generated_at=now)
        db.session.add(report)
        from tender.models import Bid

        bid = Bid(project_id=project.id, lot_id=lot.id, org_id=self.suppliers["small"].id, user_id=self.purchaser.id,
                  status=BidStatus.OPENED, bidder_id="b0", path="x/0", size=1, sha256="0" * 64, signed_digest="0" * 64,
                  signer_fingerprint="0" * 64, commitment="c", submitted_at=now, closed_at=now)
        db.session.add(bid)
        db.session.flush()
        self.candidate = Candidate(report_id=report.id, bid_id=bid.id, position=1, rank=1, price_fen=1)
        db.session.add(self.candidate)
        from notices.service import publish_notice

        self.notice = publish_notice(project, "contract", "统计测试合同公告", "合同公告")
        db.session.flush()

    def _project(self, method: str, category: str, catalogue: str, agency, budget_fen: int, region: str | None = None,
                 done: bool = True):
        from core.db import db
        from tender.models import Lot, Project
        from tender.transitions import Category, EvalMethod, LotStatus, Method, OpeningMode, ProjectStatus

        n = next(_numbers)
        now = self.clock.now()
        project = Project(code=f"ST-{n}", title=f"统计测试项目{n}", region_code=region or self.purchaser.region_code,
                          purchaser_org_id=self.purchaser.org_id, agency_org_id=agency.org_id,
                          created_by_id=agency.id, catalogue_code=catalogue, category=Category(category),
                          method=Method(method), eval_method=EvalMethod.SCORING, notice_at=now, doc_start_at=now,
                          doc_end_at=now, clarify_deadline=now, deadline=now, opening_mode=OpeningMode.CUSTODIAN,
                          status=ProjectStatus.CLOSED if done else ProjectStatus.EVALUATING, created_at=now,
                          published_at=now, opened_at=now)
        lot = Lot(project=project, number=1, name=f"标项{n}", budget_fen=budget_fen, max_price_fen=budget_fen,
                  status=LotStatus.CONTRACTED if done else LotStatus.OPENED)
        db.session.add_all([project, lot])
        db.session.flush()
        return project, lot

    def contract(self, *, amount_fen: int, budget_fen: int, signed_at: datetime | None, method: str = "public_tender",
                 category: str = "goods", catalogue: str = "A02010104", agency: str = "agency", size: str = "small",
                 region: str | None = None, due_at: datetime | None = None):
        """A project, its lot, its award and its contract: signed at `signed_at`, or only drafted (None)."""
        from contracts.models import Contract
        from contracts.transitions import ContractStatus
        from core.db import db
        from evaluation.models import Award
        from evaluation.transitions import AwardStatus

        organiser = {"agency": self.agency, "central": self.center, "self": self.purchaser}[agency]
        project, lot = self._project(method, category, catalogue, organiser, budget_fen, region, bool(signed_at))
        now = self.clock.now()
        award = Award(lot_id=lot.id, candidate_id=self.candidate.id, status=AwardStatus.NOTIFIED,
                      confirm_due_at=now, created_at=now, confirmed_at=now, confirmed_by_id=self.purchaser.id,
                      notified_at=now)
        db.session.add(award)
        db.session.flush()
        seller = self.unlisted if size == "unlisted" else self.suppliers[size]
        number = f"HT-{project.code}"
        contract = Contract(source_kind="award", source_id=award.id, region_code=project.region_code,
                            purchaser_org_id=self.purchaser.org_id, supplier_org_id=seller.id,
                            agency_org_id=organiser.org_id if agency != "self" else None, number=number,
                            status=ContractStatus.SIGNED if signed_at else ContractStatus.DRAFT,
                            amount_fen=amount_fen, document="{}", sha256=hashlib.sha256(number.encode()).hexdigest(),
                            due_at=due_at or now + timedelta(days=30), drafted_by_id=self.purchaser.id,
                            drafted_at=now, signed_at=signed_at, notice_id=self.notice.id if signed_at else None)
        if signed_at:
            award.status, award.contracted_at = AwardStatus.CONTRACTED, signed_at
        db.session.add(contract)
        db.session.flush()
        return contract
