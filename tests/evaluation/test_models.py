"""Evaluation tables: a whole evaluation's rows round-trip, and the CHECK constraints refuse bad rows."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.exc import IntegrityError

import evaluation.models as m
from evaluation.consistency import ChangeReason, FlagCode
from evaluation.price_correction import CorrectionRule
from evaluation.review import ReviewStage
from evaluation.transitions import AwardStatus, CommitteeStatus, MemberStatus, ReportStatus, move


@pytest.fixture(autouse=True)
def _cheap_password_hashes(monkeypatch):
    from argon2 import PasswordHasher

    from accounts import service

    monkeypatch.setattr(service, "password_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
def lot_with_bids(app_ctx, region, clock, make_user):
    """A project with one lot and three opened bids, built as rows (tender's services are tested there)."""
    from accounts import service as accounts
    from accounts.models import OrgKind
    from core.db import db
    from tender.models import Bid, Lot, Project
    from tender.transitions import BidStatus, Category, EvalMethod, Method, OpeningMode, ProjectStatus

    now = clock.now()
    agent = make_user("agency_staff", org_kind="agency")
    purchaser = accounts.create_org("泰顺县人民医院", OrgKind.PURCHASER, region)
    project = Project(code="TS-2026-001", title="医疗设备采购", region_code=region,
                      purchaser_org_id=purchaser.id, agency_org_id=agent.org_id, created_by_id=agent.id,
                      catalogue_code="A02010104",
                      category=Category.GOODS, method=Method.PUBLIC_TENDER, eval_method=EvalMethod.SCORING,
                      notice_at=now, doc_start_at=now, doc_end_at=now, clarify_deadline=now, deadline=now,
                      opening_mode=OpeningMode.CUSTODIAN, status=ProjectStatus.EVALUATING, created_at=now,
                      published_at=now)
    lot = Lot(project=project, number=1, name="彩超", budget_fen=300_000_000, max_price_fen=290_000_000)
    db.session.add_all([project, lot])
    db.session.flush()
    bids = []
    for i in range(3):
        supplier = make_user("supplier", org_kind="supplier")
        bids.append(Bid(project_id=project.id, lot_id=lot.id, org_id=supplier.org_id, user_id=supplier.id,
                        status=BidStatus.OPENED, bidder_id=f"b{i}", path=f"x/{i}", size=1, sha256="0" * 64,
                        signed_digest="0" * 64, signer_fingerprint="0" * 64, commitment="c",
                        submitted_at=now, closed_at=now))
    db.session.add_all(bids)
    db.session.commit()
    return project, lot, bids, now


def _expert(user, now, n):
    from registry.experts.models import Expert

    return Expert(user_id=user.id, name=f"专家{n}", id_number=f"33032919750505{n:04d}",
                  birth_date=date(1975, 5, 5), phone="13800000000", region_code="330329",
                  employer_name="某单位", registered_at=now)


@pytest.fixture
def committee(lot_with_bids, make_user):
    from core.db import db

    project, lot, _, now = lot_with_bids
    committee = m.Committee(project_id=project.id, lot_id=lot.id, eval_method="scoring", rules_json="{}",
                            opens_at=now, created_at=now)
    db.session.add(committee)
    for n in range(3):
        user = make_user("expert")
        expert = _expert(user, now, n)
        db.session.add(expert)
        db.session.flush()
        committee.members.append(m.CommitteeMember(user_id=user.id, expert_id=expert.id))
    rep = make_user("purchaser")
    committee.members.append(m.CommitteeMember(user_id=rep.id, is_purchaser_rep=True))
    db.session.commit()
    return committee


def test_a_whole_evaluation_round_trips(committee, lot_with_bids):
    from core.db import db

    _, lot, bids, now = lot_with_bids
    for member in committee.members:
        member.declared_at = now
        move(member, MemberStatus.DECLARED)
    move(committee, CommitteeStatus.DECLARING)
    committee.members[0].is_chair = True
    move(committee, CommitteeStatus.REVIEWING)
    db.session.flush()
    first = committee.members[0]
    db.session.add_all([
        m.Review(committee_id=committee.id, member_id=first.id, bid_id=bids[2].id,
                 stage=ReviewStage.COMPLIANCE, requirement="★交货期", passed=False,
                 reason="交货期60天，超过招标文件要求的30天", recorded_at=now),
        m.Score(committee_id=committee.id, member_id=first.id, bid_id=bids[0].id, criterion="技术",
                score_h=m.to_hundredths(Decimal("38.5")), submitted_at=now),
        m.ScoreFlag(committee_id=committee.id, member_id=first.id, bid_id=bids[0].id, criterion="技术",
                    code=FlagCode.OUTLIER, message="评分畸高", raised_at=now),
    ])
    result = m.BidEvaluation(committee_id=committee.id, bid_id=bids[0].id, read_price_fen=250_000_000,
                             corrected_price_fen=249_000_000, correction_confirmed=True, deduction_bp=1000,
                             price_score_h=3000, total_h=8817, rank=1)
    result.corrections.append(m.PriceCorrectionRecord(position=1, rule=CorrectionRule.WORDS_OVER_FIGURES,
                                                      field="summary_total", from_fen=250_000_000,
                                                      to_fen=249_000_000, recorded_at=now))
    db.session.add(result)
    move(committee, CommitteeStatus.SCORING)
    move(committee, CommitteeStatus.SUMMARY)
    committee.summary_locked_at = now
    move(committee, CommitteeStatus.REPORTING)
    report = m.EvaluationReport(committee_id=committee.id, generated_at=now, pdf_sha256="a" * 64,
                                status=ReportStatus.DRAFT)
    move(report, ReportStatus.SIGNING)
    report.signatures = [m.ReportSignature(member_id=x.id, signed_at=now,
                                           dissent="对第3名的符合性结论有不同意见" if x is first else None)
                         for x in committee.members]
    report.candidates = [m.Candidate(bid_id=bids[0].id, position=1, rank=1, total_h=8817,
                                     price_fen=249_000_000)]
    move(report, ReportStatus.SIGNED)
    report.signed_at = now
    db.session.add(report)
    committee.completed_at = now
    move(committee, CommitteeStatus.COMPLETED)
    db.session.flush()
    award = m.Award(lot_id=lot.id, candidate=report.candidates[0], confirm_due_at=now + timedelta(days=7),
                    created_at=now)
    db.session.add(award)
    db.session.commit()
    db.session.expire_all()

    again = db.session.get(m.Committee, committee.id)
    assert again.status is CommitteeStatus.COMPLETED and again.chair.id == first.id
    assert [x.is_purchaser_rep for x in again.members] == [False, False, False, True]
    assert len(again.active_members) == 4
    score = db.session.query(m.Score).one()
    assert score.score == Decimal("38.50")
    evaluation = db.session.query(m.BidEvaluation).one()
    assert evaluation.deduction_percent == Decimal("10.00")
    assert evaluation.corrections[0].rule is CorrectionRule.WORDS_OVER_FIGURES
    assert evaluation.read_price_fen == 250_000_000
    signatures = db.session.get(m.EvaluationReport, report.id).signatures
    assert [s.dissent is not None for s in signatures].count(True) == 1
    assert db.session.query(m.Award).one().status is AwardStatus.PENDING


def test_hundredths():
    assert m.to_hundredths(Decimal("38.5")) == 3850 and m.from_hundredths(3850) == Decimal("38.50")
    with pytest.raises(ValueError):
        m.to_hundredths(Decimal("1.005"))


def _refused(*rows):
    from core.db import db

    db.session.add_all(rows)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_constraints(committee, lot_with_bids, make_user):
    _, _, bids, now = lot_with_bids
    member = committee.members[0]
    base = {"committee_id": committee.id, "member_id": member.id, "bid_id": bids[0].id}
    _refused(m.Review(**base, stage=ReviewStage.QUALIFICATION, requirement="营业执照", passed=False,
                      reason="", recorded_at=now))
    _refused(m.Score(**base, criterion="技术", score_h=-1, submitted_at=now))
    _refused(m.Score(**base, criterion="技术", score_h=1, submitted_at=now,
                     change_reason=ChangeReason.OUTLIER))
    _refused(m.ScoreFlag(**base, code=FlagCode.MISSING, message="x", raised_at=now,
                         resolution=m.FlagResolution.CONFIRMED, resolved_at=now, note=""))
    prices = {"committee_id": committee.id, "bid_id": bids[0].id, "read_price_fen": 1,
              "corrected_price_fen": 1}
    _refused(m.BidEvaluation(**prices, excluded=True, exclusion_code="review.failed", exclusion_reason="x",
                             rank=1))
    _refused(m.BidEvaluation(**prices, excluded=True))
    _refused(m.BidEvaluation(**{**prices, "corrected_price_fen": 0}))
    _refused(m.BidEvaluation(**prices, deduction_bp=10_000))
    _refused(m.CommitteeMember(committee_id=committee.id, user_id=member.user_id, expert_id=member.expert_id))
    stranger = make_user("expert")
    _refused(m.CommitteeMember(committee_id=committee.id, user_id=stranger.id))  # neither expert nor rep


def test_committee_status_constraints(committee):
    from core.db import db

    committee.members[0].is_chair = True  # a chair must have signed the avoidance declaration
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    for member in committee.members[:2]:
        member.status, member.declared_at, member.is_chair = MemberStatus.DECLARED, committee.opens_at, True
    with pytest.raises(IntegrityError):  # one chair per committee
        db.session.flush()
    db.session.rollback()
    committee.status = CommitteeStatus.SUSPENDED  # suspended without the stage it left
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_one_live_award_per_lot(committee, lot_with_bids):
    from core.db import db

    _, lot, bids, now = lot_with_bids
    report = m.EvaluationReport(committee_id=committee.id, generated_at=now)
    report.candidates = [m.Candidate(bid_id=b.id, position=i, rank=i, price_fen=1)
                         for i, b in enumerate(bids, 1)]
    db.session.add(report)
    first = m.Award(lot_id=lot.id, candidate=report.candidates[0], confirm_due_at=now, created_at=now)
    db.session.add(first)
    db.session.commit()
    _refused(m.Award(lot_id=lot.id, candidate_id=report.candidates[1].id, confirm_due_at=now, created_at=now))
    first = db.session.get(m.Award, first.id)
    first.voided_at, first.void_reason = now, "质疑成立，中标结果无效"
    move(first, AwardStatus.VOIDED)
    db.session.add(m.Award(lot_id=lot.id, candidate_id=report.candidates[1].id, confirm_due_at=now,
                           created_at=now))
    db.session.commit()  # the next candidate may be awarded once the first award is void
