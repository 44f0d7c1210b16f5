"""The procedural rules as the law counts them, one table: each case is an input, the outcome the law
expects, and the article it comes from (issue 12). Every case runs the platform's own code with the
national defaults of the region rules; a case that needs the database gets the `room` world or an
application context through `world(...)`.

Sources: 政府采购法 (GPL); 政府采购货物和服务招标投标管理办法 (财政部令第87号, "87号令");
政府采购非招标采购方式管理办法 (财政部令第74号, "74号令"); 政府采购竞争性磋商采购方式管理暂行办法
(财库〔2014〕214号); 政府采购评审专家管理办法 (财库〔2016〕198号); 政府采购促进中小企业发展管理办法
(财库〔2020〕46号, bands raised by 财库〔2022〕19号); 民法典 Art 201–204 (periods).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from core.errors import DomainError

WAN = 10_000_00  # 1 万元 in fen


@dataclass(frozen=True)
class Case:
    article: str
    given: str
    expected: Any
    check: Callable[[pytest.FixtureRequest], Any]


def outcome(call: Callable[[], Any]) -> Any:
    """The result of a service call, or the stable code of the domain error it raised."""
    try:
        return call()
    except DomainError as exc:
        return exc.code


# ---------------------------------------------------------------- the committee


def committee(method: str, budget_fen: int, experts: int, reps: int = 0, complex_: bool = False) -> list[str]:
    from expert_draw import rules
    from expert_draw.service import DEFAULT_RULE

    return [p.code for p in rules.committee_problems(DEFAULT_RULE, budget_fen, experts, reps, method=method,
                                                     is_complex=complex_)]


def _room(request):
    return request.getfixturevalue("room"), request.getfixturevalue("clock")


def open_room_with_rep(request) -> Any:
    """A 5-expert request with no representative: the purchaser's representative is refused."""
    from evaluation import service

    room, clock = _room(request)
    clock.advance(timedelta(minutes=31))
    return outcome(lambda: service.open_evaluation(room.agency, room.lot.id, purchaser_rep_id=room.purchaser.id))


def open_room_unlawful(request) -> Any:
    """A request written around the draw's check (3 experts for a public tender) cannot open a room."""
    from core.db import db
    from evaluation import service
    from expert_draw.models import InvitationStatus

    room, clock = _room(request)
    room.request.specialties[0].primary_count = 2
    for inv in room.request.invitations[3:]:
        inv.status = InvitationStatus.WITHDRAWN
    db.session.commit()
    clock.advance(timedelta(minutes=31))
    return outcome(lambda: service.open_evaluation(room.agency, room.lot.id))


def room_waits_at_declaring(request) -> Any:
    """A member declares a conflict: the review cannot start until the replacement is seated and declared."""
    from evaluation_helpers import seat_replacement

    from evaluation import service

    room, clock = _room(request)
    clock.advance(timedelta(minutes=31))
    cid = service.open_evaluation(room.agency, room.lot.id).id
    for user in (*room.experts[:3], room.experts[4]):
        service.sign_declaration(user, cid, conflict=False)
    service.sign_declaration(room.experts[3], cid, conflict=True, note="配偶在投标人处任职")
    chair = next(m for m in service.get_committee(cid).members if m.user_id == room.experts[0].id)
    for user in room.experts[:3]:
        service.vote_chair(user, cid, chair.id)
    before = outcome(lambda: service.start_review(room.experts[0], cid))
    seat_replacement(room, cid, room.experts[3], declare=False)
    seated = outcome(lambda: service.start_review(room.experts[0], cid))  # seated, not declared yet
    service.sign_declaration(room.reserve, cid, conflict=False)
    after = service.start_review(room.experts[0], cid).status.value
    return before, seated, after


def room_stops_when_a_member_leaves(request) -> Any:
    """A member leaves during the review: every step of the room stops until his replacement sits."""
    from evaluation_helpers import declare_and_elect, seat_replacement

    from evaluation import service
    from evaluation.transitions import MemberStatus, move

    room, clock = _room(request)
    clock.advance(timedelta(minutes=31))
    cid = service.open_evaluation(room.agency, room.lot.id).id
    declare_and_elect(room, cid)
    committee = service.get_committee(cid)
    service.start_review(room.experts[0], cid)
    leaving = next(m for m in committee.members if m.user_id == room.experts[4].id)
    from core import clock as platform_clock

    move(leaving, MemberStatus.LEFT)
    leaving.left_at = platform_clock.now()
    marks = [{"bid_id": b.id, "requirement": r, "passed": True} for b in room.bids
             for r in service.requirements_of(committee)["qualification"]]
    stopped = (outcome(lambda: service.submit_review(room.experts[0], cid, "qualification", marks)),
               service.is_complete(committee))
    room.reserve = _second_reserve(request, room)
    seat_replacement(room, cid, room.experts[4])
    return stopped, outcome(lambda: service.submit_review(room.experts[0], cid, "qualification", marks)) > 0


def _second_reserve(request, room):
    """Another expert of the library, for the second replacement of one evaluation."""
    from datetime import date

    from core import clock
    from core.db import db
    from registry.experts.demo import demo_id_number
    from registry.experts.models import Expert, ExpertStatus

    user = request.getfixturevalue("make_user")("expert", totp=True)
    now = clock.now()
    db.session.add(Expert(user_id=user.id, name=user.name, id_number=demo_id_number(77, date(1970, 1, 1)),
                          birth_date=date(1970, 1, 1), phone="13900000077", region_code=room.project.region_code,
                          employer_name="某研究院", status=ExpertStatus.ACTIVE, registered_at=now, admitted_at=now))
    db.session.flush()
    return user


def draw_request_complex(request) -> Any:
    """A project marked technically complex makes its draw request complex, with the reason."""
    from core.db import db
    from expert_draw import service
    from expert_draw.subject import subject_for_project

    room, clock = _room(request)
    room.project.is_complex, room.project.complex_reason = True, "多模态影像系统集成，社会关注度高"
    db.session.commit()
    subject = subject_for_project(room.project.id)
    start = clock.now() + timedelta(days=5)
    five = outcome(lambda: service.create_request(room.agency, subject, [service.SpecialtyCount("B01", 5, 0)],
                                                  start, None, "评标室"))
    req = service.create_request(room.agency, subject, [service.SpecialtyCount("B01", 7, 0)], start, None, "评标室")
    return five, req.is_complex, req.complex_reason


def draw_request_complex_needs_reason(request) -> Any:
    from expert_draw import service
    from expert_draw.subject import subject_for_project

    room, clock = _room(request)
    subject = subject_for_project(room.project.id)
    return outcome(lambda: service.create_request(room.agency, subject, [service.SpecialtyCount("B01", 7, 0)],
                                                  clock.now() + timedelta(days=5), None, "评标室", is_complex=True))


def project_is_complex_field(request) -> Any:
    """The project API accepts `is_complex` with its reason (it was refused as an unknown field)."""
    from tender.schemas import ProjectIn

    return ProjectIn().load({**_project_input(), "is_complex": True, "complex_reason": "社会影响较大"})["is_complex"]


def _project_input() -> dict:
    return {"title": "t", "purchaser_org_id": 1, "catalogue_code": "A02010104", "category": "goods",
            "eval_method": "scoring", "lots": [{"name": "l", "budget_fen": 1, "max_price_fen": 1}],
            "notice_at": "x", "doc_start_at": "x", "doc_end_at": "x", "clarify_deadline": "x", "deadline": "x",
            "opening_mode": "custodian", "k": 1}


def offsite_draw_window(request) -> Any:
    """异地评审 may draw any time, like negotiation and consultation; a local public tender may not."""
    from core import clock
    from expert_draw import rules
    from expert_draw.service import DEFAULT_RULE

    start = clock.parse_iso_utc("2026-12-10T09:00:00+08:00")
    return (rules.draw_opens_at(DEFAULT_RULE, "public_tender", start, is_offsite=True),
            clock.format_local(rules.draw_opens_at(DEFAULT_RULE, "public_tender", start), "%Y-%m-%d %H:%M"))


# ---------------------------------------------------------------- periods


def timeline(method: str, doc_start: str, deadline: str, doc_end: str | None = None, *, notice: str | None = None,
             at: str = "2026-11-02T09:00:00+08:00", confirm: int | None = None) -> dict[str, str]:
    """The fields `check_timeline` refuses for these local dates (times 09:00 Beijing), {} when lawful."""
    from types import SimpleNamespace

    from core import clock
    from tender.service import check_timeline
    from tender.transitions import Method

    def t(day: str):
        return clock.parse_iso_utc(f"{day}T09:00:00+08:00")

    end = t(doc_end or deadline)
    project = SimpleNamespace(region_code=None, method=Method(method), notice_at=t(notice or doc_start),
                              doc_start_at=t(doc_start), doc_end_at=end, clarify_deadline=end, deadline=t(deadline))
    errors: dict[str, str] = {}
    check_timeline(errors, project, clock.parse_iso_utc(at), confirm)
    return {k: v for k, v in errors.items() if k != "timeline"}


def fields_of(errors: dict[str, str]) -> list[str]:
    return sorted(errors)


# ---------------------------------------------------------------- ties, prices, price weights


def tie_order(request, region_value: bool | None = None) -> list:
    """Equal totals: A bid 1,000,000 small/micro (evaluated 900,000), B bid 950,000. Under the region's rules."""
    from decimal import Decimal

    from evaluation.rules import Category, rule_set_from_values
    from evaluation.scoring import PricedBid, SmeClass, TenderTerms, evaluated_price, rank_by_score
    from region_rules import store

    request_region = request.getfixturevalue("region")
    if region_value is not None:
        store.set_values(None, request_region, {"evaluation.tie_break_on_evaluated_price": region_value})
    rules = rule_set_from_values({k: v for k, v in store.snapshot(request_region).values.items()
                                  if k.startswith("evaluation.")})
    terms = TenderTerms(Category.GOODS)
    prices = {b.bidder: evaluated_price(b, terms, rules) for b in (
        PricedBid("A", 1_000_000_00, SmeClass.SMALL_MICRO), PricedBid("B", 950_000_00))}
    return [r.bidder for r in rank_by_score({"A": Decimal(80), "B": Decimal(80)}, prices, rules)]


def report_tie_note(evaluated: bool) -> tuple:
    from evaluation.report_data import report_payload
    from evaluation.summary import LotOutcome

    data = report_payload(LotOutcome({}, (), ()), members=(), reviews={}, tie_break_on_evaluated_price=evaluated)
    return data["tie_break"]


def priced_lot(*prices: int) -> tuple:
    """A lowest-price lot of bids A, B, C… at these prices (fen): exclusions and the ranking."""
    from evaluation.price_correction import PriceStatement
    from evaluation.review import BidderReview
    from evaluation.rules import Category, RuleSet
    from evaluation.scoring import TenderTerms
    from evaluation.summary import BidInput, summarise_lot

    bids = [BidInput(chr(65 + i), PriceStatement(p)) for i, p in enumerate(prices)]
    reviews = {b.bidder: BidderReview(b.bidder, True, (), frozenset()) for b in bids}
    out = summarise_lot(bids, reviews, TenderTerms(Category.GOODS), scheme=None,
                        rules=RuleSet(low_vs_average_percent=None, low_vs_next_percent=None,
                                      low_vs_ceiling_percent=None))
    return ([(e.bidder, e.code) for e in out.exclusions], [r.bidder for r in out.ranking])


def sme_rate_errors(request, category: str, sme_percent: str, consortium: str = "", city_low: int | None = None):
    """The fields a project's SME deduction rates are refused on (the region's band for the category)."""
    from region_rules import store
    from tender import service
    from tender.transitions import Category as TenderCategory

    request.getfixturevalue("region")
    if city_low is not None:
        store.set_values(None, "330300", {"evaluation.sme_small_micro_low": city_low})
    errors: dict[str, str] = {}
    rates = service.check_sme_rates(errors, "330329", TenderCategory(category),
                                    {"sme_percent": sme_percent, "sme_consortium_percent": consortium})
    return sorted(errors), {k: None if v is None else str(v) for k, v in rates.items()}


def room_sme_inputs(request, *, sme_percent: str | None, share: str | None) -> tuple:
    """The room's engine inputs: the tender document's rate, the share the sealed summary declares."""
    from datetime import timedelta
    from decimal import Decimal

    from core.db import db
    from evaluation import service
    from evaluation.outcome import lot_inputs
    from evaluation.room import bid_rows
    from evaluation.room_state import state_for
    from evaluation.scoring import SmeClass
    from tender.models import OpeningRecord

    room, clock = _room(request)
    room.project.sme_percent = None if sme_percent is None else Decimal(sme_percent)
    record = db.session.scalar(db.select(OpeningRecord).filter_by(bid_id=room.bids[0].id))
    record.price_detail = None if share is None else {"small_micro_share_percent": share}
    db.session.commit()
    clock.advance(timedelta(minutes=31))
    committee = service.open_evaluation(room.agency, room.lot.id)
    bid_rows(committee)[room.bids[0].id].sme_class = SmeClass.CONSORTIUM
    db.session.flush()
    inputs = lot_inputs(committee)
    shown = next(b for b in state_for(room.agency, committee)["bids"] if b["id"] == room.bids[0].id)
    return (inputs["terms"].small_micro_percent, inputs["bids"][0].small_micro_share_percent,
            (shown["sme_class"], shown["small_micro_share"]))


def consortium_deduction(share: str) -> str:
    from decimal import Decimal

    from evaluation.rules import Category
    from evaluation.scoring import PricedBid, SmeClass, TenderTerms, deduction_percent

    bid = PricedBid("C", 100_000_00, SmeClass.CONSORTIUM, Decimal(share))
    return str(deduction_percent(bid, TenderTerms(Category.GOODS, consortium_percent=Decimal(5))))


def award_deadline_years(start: str, confirm: int | None = None, steps: tuple[str, ...] = ("challenge",)) -> Any:
    """The check every award step runs: its deadlines counted from `start` into a year the calendar lacks."""
    from datetime import date

    from evaluation import deadlines
    from evaluation.periods import require_calendar

    return outcome(lambda: require_calendar([deadlines.Step(s) for s in steps], date.fromisoformat(start), confirm))


def publish_result_in_late_december(request, days: int = 26) -> Any:
    """A result published on 23 December 2026 (27 November + `days`): the challenge period runs into 2027."""
    import json

    from evaluation_helpers import declare_and_elect, review_all_pass, sign_report
    from tests_helpers import totp_code

    from audit.models import AuditEvent
    from core.db import db
    from evaluation import service

    room, clock = _room(request)
    clock.advance(timedelta(minutes=31))
    cid = service.open_evaluation(room.agency, room.lot.id).id
    declare_and_elect(room, cid)
    review_all_pass(room, cid)
    clock.advance(timedelta(seconds=31))
    for user in room.panel:
        service.submit_scores(user, cid, {str(b.id): {"技术": "40", "商务": "12"} for b in room.bids}, totp_code(user))
    service.start_summary(room.experts[0], cid)
    report = service.accept_summary(room.experts[0], cid)
    sign_report(room, clock, report)
    award = service.send_report(room.agency, cid)
    service.confirm_winner(room.purchaser, award.id, report.candidates[0].id)
    db.session.commit()
    clock.advance(timedelta(days=days))
    refused = outcome(lambda: service.publish_result(room.agency, award.id))
    db.session.rollback()
    service.publish_result(room.agency, award.id, confirm_uncovered_year=2027)
    event = db.session.scalar(db.select(AuditEvent).filter_by(action="evaluation.result_published"))
    return refused, award.status.value, json.loads(event.payload)["confirmed_uncovered_year"]


def price_weight_floor(request, region_floor: int | None, price_points: int) -> Any:
    """The project's criteria and the room's scheme check the same floor (the region's, or 30 % for goods)."""
    from decimal import Decimal

    from evaluation.rules import Category, RulesError, rule_set_from_values
    from evaluation.scoring import Criterion, ScoringScheme
    from region_rules import store
    from tender import service
    from tender.transitions import Category as TenderCategory
    from tender.transitions import EvalMethod

    request.getfixturevalue("region")
    if region_floor is not None:
        store.set_values(None, "330300", {"price_weight_min.goods": region_floor})
    errors: dict[str, str] = {}
    service.check_criteria(errors, "330329", TenderCategory.GOODS, EvalMethod.SCORING,
                           [{"name": "价格", "weight": price_points, "price": True},
                            {"name": "技术", "weight": 100 - price_points}], False)
    rules = rule_set_from_values({k: v for k, v in store.snapshot("330329").values.items()
                                  if k.startswith("price_weight_")})
    scheme = ScoringScheme((Criterion("T", Decimal(100 - price_points)),), Decimal(price_points))
    try:
        scheme.check(Category.GOODS, rules)
        room = "ok"
    except RulesError as exc:
        room = exc.code
    return ("criteria" in errors, room)


CASES = [
    Case("87号令 Art 47", "public tender, 100万, 5 experts", [], lambda r: committee("public_tender", 100 * WAN, 5)),
    Case("87号令 Art 47", "public tender, 100万, 3 experts", ["committee_too_small"],
         lambda r: committee("public_tender", 100 * WAN, 3)),
    Case("87号令 Art 47", "public tender, 4 experts + 1 rep ... 6 members is even", ["committee_even"],
         lambda r: committee("public_tender", 100 * WAN, 5, 1)),
    Case("87号令 Art 47", "public tender, 3 experts + 2 reps: experts < 2/3", ["experts_share_too_low"],
         lambda r: committee("public_tender", 100 * WAN, 3, 2)),
    Case("87号令 Art 47 (一)", "public tender, budget 1,000万, 5 members", ["committee_too_small"],
         lambda r: committee("public_tender", 1000 * WAN, 5)),
    Case("87号令 Art 47 (一)", "public tender, budget 1,000万, 7 members", [],
         lambda r: committee("public_tender", 1000 * WAN, 6, 1)),
    Case("87号令 Art 47 (二)(三)", "public tender, 100万, technically complex, 5 members", ["committee_too_small"],
         lambda r: committee("public_tender", 100 * WAN, 5, complex_=True)),
    Case("74号令 Art 7", "inquiry, 50万, 3 members (2 experts + 1 rep)", [],
         lambda r: committee("inquiry", 50 * WAN, 2, 1)),
    Case("74号令 Art 7", "competitive negotiation, 50万, 4 members", ["committee_even"],
         lambda r: committee("competitive_negotiation", 50 * WAN, 4)),
    Case("74号令 Art 7", "competitive negotiation, 500万 (≥ public-tender threshold), 3 members",
         ["committee_too_small"], lambda r: committee("competitive_negotiation", 500 * WAN, 3)),
    Case("财库〔2014〕214号 Art 14", "competitive consultation, 500万, 5 members", [],
         lambda r: committee("competitive_consultation", 500 * WAN, 5)),
    Case("87号令 Art 47", "room opened with a representative the request did not ask for", "purchaser_reps_mismatch",
         open_room_with_rep),
    Case("87号令 Art 47", "room for a request of 3 experts on a public tender", "committee_unlawful",
         open_room_unlawful),
    Case("87号令 Art 47–48", "a member declares a conflict: the review waits for the seated, declared replacement",
         ("committee_incomplete", "declarations_missing", "reviewing"), room_waits_at_declaring),
    Case("87号令 Art 47–48", "a member leaves during the review: the room stops until the replacement sits",
         (("committee_incomplete", False), True), room_stops_when_a_member_leaves),
    Case("87号令 Art 47 (二)", "complex project: the draw request is complex, 5 experts refused, reason kept",
         ("committee_too_small", True, "多模态影像系统集成，社会关注度高"), draw_request_complex),
    Case("87号令 Art 47 (二)", "complex draw request without a reason", "complex_reason_required",
         draw_request_complex_needs_reason),
    Case("87号令 Art 47 (二)", "the project API takes is_complex", True, project_is_complex_field),
    Case("财库〔2016〕198号 Art 14", "异地评审 public tender: no draw window; local: 2 working days before",
         (None, "2026-12-08 00:00"), offsite_draw_window),
    # periods: 2026-11-02 is a Monday; 11-06 a Friday
    Case("政府采购法 Art 35", "public tender: notice 11-02, documents first issued 11-12, deadline 11-23 (11 days)",
         ["deadline"], lambda r: fields_of(timeline("public_tender", "2026-11-12", "2026-11-23", "2026-11-19",
                                                    notice="2026-11-02"))),
    Case("政府采购法 Art 35, 民法典 Art 201", "public tender: documents 11-02, deadline 11-22 (the 20th day)", [],
         lambda r: fields_of(timeline("public_tender", "2026-11-02", "2026-11-23", "2026-11-09"))),
    Case("民法典 Art 201", "public tender: documents 11-02 09:00, deadline 11-21 (20 × 24 h later but the 19th day)",
         ["deadline"], lambda r: fields_of(timeline("public_tender", "2026-11-02", "2026-11-21", "2026-11-09"))),
    Case("民法典 Art 203", "consultation: documents 2026-09-21, the 10th day 10-01 is a holiday: deadline 10-08",
         (["deadline"], []), lambda r: (
             fields_of(timeline("competitive_consultation", "2026-09-21", "2026-10-07",
                                at="2026-09-20T09:00:00+08:00")),
             fields_of(timeline("competitive_consultation", "2026-09-21", "2026-10-08",
                                at="2026-09-20T09:00:00+08:00")))),
    Case("87号令 Art 24", "documents on offer Friday 11-06 to Wednesday 11-11: 3 working days", ["doc_end_at"],
         lambda r: fields_of(timeline("public_tender", "2026-11-06", "2026-11-30", "2026-11-11"))),
    Case("87号令 Art 24", "documents on offer Friday 11-06 to Friday 11-13: 5 working days", [],
         lambda r: fields_of(timeline("public_tender", "2026-11-06", "2026-11-30", "2026-11-13"))),
    Case("74号令 Art 45", "inquiry: notice Friday 11-06, deadline Wednesday 11-11 (3 working days, no 5-day rule)", [],
         lambda r: fields_of(timeline("inquiry", "2026-11-06", "2026-11-11"))),
    Case("74号令 Art 45", "inquiry: notice Friday 11-06, deadline Tuesday 11-10 (2 working days)", ["deadline"],
         lambda r: fields_of(timeline("inquiry", "2026-11-06", "2026-11-10"))),
    Case("74号令 Art 29", "negotiation across the National Day break: 09-30 to 10-09 is 3 working days", [],
         lambda r: fields_of(timeline("competitive_negotiation", "2026-09-29", "2026-10-09",
                                      at="2026-09-28T09:00:00+08:00"))),
    Case("74号令 Art 29", "negotiation 09-29 to 10-08: 2 working days (10-01…07 are the holiday)", ["deadline"],
         lambda r: fields_of(timeline("competitive_negotiation", "2026-09-29", "2026-10-08",
                                      at="2026-09-28T09:00:00+08:00"))),
    # ties, prices and the price weight (issue 12)
    Case("87号令 Art 57", "equal scores: A bid 100万 small/micro (evaluated 90万), B bid 95万: by bid price",
         ["B", "A"], lambda r: tie_order(r)),
    Case("87号令 Art 57", "… a region that chose the evaluated price ranks A first", ["A", "B"],
         lambda r: tie_order(r, True)),
    Case("87号令 Art 57", "the report says which price broke the tie", ("bid_price", "evaluated_price"),
         lambda r: (report_tie_note(False), report_tie_note(True))),
    Case("87号令 Art 55–56", "a bid of price 0 is excluded with its reason, the others ranked",
         ([("A", "price.not_positive")], ["C", "B", "D"]), lambda r: priced_lot(0, 95_000_00, 90_000_00, 99_000_00)),
    Case("87号令 Art 55–56", "a negative price excludes that bid only, never aborts the lot",
         ([("B", "price.not_positive")], ["A", "C", "D"]), lambda r: priced_lot(90_000_00, -1, 95_000_00, 99_000_00)),
    Case("87号令 Art 55", "goods, price weight 30 %: the national floor, project and room agree", (False, "ok"),
         lambda r: price_weight_floor(r, None, 30)),
    Case("87号令 Art 55", "goods, price weight 70 %: floors only, no national cap", (False, "ok"),
         lambda r: price_weight_floor(r, None, 70)),
    Case("87号令 Art 55", "the city raises the goods floor to 40 %: 35 % refused by the project and the room",
         (True, "scoring.price_weight_too_low"), lambda r: price_weight_floor(r, 40, 35)),
    # SME deductions (财库〔2020〕46号 Art 9, 财库〔2022〕19号)
    Case("财库〔2022〕19号", "goods: the tender document grants 15 % to small/micro (band 10–20 %)",
         ([], {"sme_percent": "15.00", "sme_consortium_percent": "5.00"}),
         lambda r: sme_rate_errors(r, "goods", "15", "5")),
    Case("财库〔2022〕19号", "goods: 25 % small/micro and 3 % consortium are outside the bands",
         (["sme_consortium_percent", "sme_percent"], {"sme_percent": None, "sme_consortium_percent": None}),
         lambda r: sme_rate_errors(r, "goods", "25", "3")),
    Case("财库〔2022〕19号", "works: 4 % small/micro within 3–5 %; empty consortium rate = the band's low end",
         ([], {"sme_percent": "4.00", "sme_consortium_percent": None}), lambda r: sme_rate_errors(r, "works", "4")),
    Case("财库〔2020〕46号 Art 9", "the city narrows the small/micro band to 12–20 %: a county tender's 10 % refused",
         (["sme_percent"], {"sme_percent": None, "sme_consortium_percent": None}),
         lambda r: sme_rate_errors(r, "goods", "10", city_low=12)),
    Case("财库〔2020〕46号 Art 9", "consortium with a 30 % small/micro share gets the document's 5 %; 29.5 % gets none",
         ("5", "0"), lambda r: (consortium_deduction("30"), consortium_deduction("29.5"))),
    Case("财库〔2020〕46号 Art 9", "the room takes the document's rate and the share the sealed summary declares",
         (15, 35, ("consortium", "35")), lambda r: room_sme_inputs(r, sme_percent="15", share="35")),
    Case("财库〔2020〕46号 Art 9", "… a summary that declares no share: 0, no consortium deduction",
         (None, 0, ("consortium", None)), lambda r: room_sme_inputs(r, sme_percent=None, share=None)),
    Case("working-day calendar", "a result published 2026-11-27: the challenge period ends in 2026", None,
         lambda r: award_deadline_years("2026-11-27")),
    Case("working-day calendar", "published 2026-12-23: the challenge period runs into 2027, which the calendar lacks",
         "calendar_year_missing", lambda r: award_deadline_years("2026-12-23")),
    Case("working-day calendar", "… counted Monday–Friday only with the confirmation naming 2027", 2027,
         lambda r: award_deadline_years("2026-12-23", 2027)),
    Case("working-day calendar", "the agency publishing on 23 December is refused, then publishes confirming 2027",
         ("calendar_year_missing", "notified", 2027), publish_result_in_late_december),
    Case("政府采购法 Art 46", "published 2026-12-01: the 30 days to sign end on 2026-12-31, in the calendar", None,
         lambda r: award_deadline_years("2026-12-01", steps=("challenge", "contract"))),
    Case("政府采购法 Art 46", "published 2026-12-02: the challenge period ends in 2026 but the 30 days to sign end "
         "on 2027-01-01, whose rest days the calendar lacks", "calendar_year_missing",
         lambda r: award_deadline_years("2026-12-02", steps=("challenge", "contract"))),
    Case("政府采购法 Art 46", "the agency publishing on 2 December is refused for the contract's 30 days, "
         "then publishes confirming 2027", ("calendar_year_missing", "notified", 2027),
         lambda r: publish_result_in_late_december(r, days=5)),
    Case("working-day calendar", "a deadline in 2027, which the calendar does not cover, is refused", ["calendar"],
         lambda r: fields_of(timeline("public_tender", "2026-12-14", "2027-01-08", "2026-12-21",
                                      at="2026-12-01T09:00:00+08:00"))),
    Case("working-day calendar", "… and set with the explicit confirmation that names 2027", [],
         lambda r: fields_of(timeline("public_tender", "2026-12-14", "2027-01-08", "2026-12-21",
                                      at="2026-12-01T09:00:00+08:00", confirm=2027))),
    Case("working-day calendar", "… a confirmation naming another year does not do", ["calendar"],
         lambda r: fields_of(timeline("public_tender", "2026-12-14", "2027-01-08", "2026-12-21",
                                      at="2026-12-01T09:00:00+08:00", confirm=2028))),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.article} | {c.given}" for c in CASES])
def test_rule_table(case: Case, request: pytest.FixtureRequest) -> None:
    request.getfixturevalue("app_ctx")
    assert case.check(request) == case.expected, f"{case.article}: {case.given}"
