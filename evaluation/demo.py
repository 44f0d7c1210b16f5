"""Demo evaluations, run through the real service functions (TOTP step-ups included, with the demo
users' known TOTP secrets at moved clocks):

- 泰顺县中医院全自动生化分析仪采购: the room is in the scoring stage; zj05 (chair) and zj04 have
  submitted their scores, zj01, zj06 and zj07 have not — log in as zj01 to score; the chair has asked
  gys5 a question it answers on 评审澄清, signed with instance/demo-keys/gys5.key;
- 泰顺县罗阳镇中心小学课桌椅采购: finished about two weeks ago (the challenge period over before the
  signing) — report signed by all five (one dissent), sent to the purchaser (caigou1), winner
  confirmed, result notice published; a losing bidder's challenge (with an evidence file) answered by
  the agency, and its complaint waiting for 泰顺县财政局 (log in as caijian: 投诉处理); the contract,
  drafted by caigou1 from the records and signed with its key, waits for the winning supplier's
  signature (its demo key file, in the browser);
- 泰顺县教育局学生直饮水设备采购: finished six weeks ago, the contract signed by caigou1 and the winner
  with their keys and its notice published: the project is closed (已结束);
- 泰顺县文化馆舞台灯光音响设备采购: finished seven weeks ago, the contract signed by caigou1 only: the winner
  let its days to sign run out, so caijian's 网上监管 lists it as overdue (and may suspend it);
- 泰顺县罗阳镇中心小学多媒体教室设备采购: evaluated two days ago, the report sent to caigou1, the award
  waiting for confirmation (credit's demo lists its first candidate, so confirming it is refused);
- the tender demo's opened 校园安防监控设备 tender gets a confirmed committee from the draw, so the
  agency (daili) can open its evaluation room live from 网上评审; gys2's bid there has a unit price
  with its decimal point misplaced, so the room shows an Art 59 correction for the chair to send.

Price corrections (87号令 Art 59): in the scoring room, gys2's 开标一览表 reads ¥1,254,000.00 in figures
but 壹佰贰拾肆万伍仟元整 in words; the committee corrected it to ¥1,245,000.00 and gys2 confirmed it
during the review (its 评审澄清 page shows the request and the answer).

The three evaluated projects are real tenders, made through tender's services: created and published
with a tender document three weeks before their deadline, bids sealed with the demo suppliers' key
files (instance/demo-keys) and submitted with receipts, opened at the deadline by the sweep's own steps
(submission closed, the time vault's shares released, bids opened into the opening record). Their
custody is the time vault alone (k = 1); the tender demo's tenders show the 采监科 custodian's step.

"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pyotp
from sqlalchemy import select

from accounts.demo import demo_totp_secret
from accounts.models import User
from core import clock
from core.db import db
from core.demo import seeder
from evaluation import service
from evaluation.models import CommitteeMember, Score, ScoreFlag, from_hundredths

A_EXPERTS = (5, 4, 1, 6, 7)       # the first is elected chair
B_EXPERTS = (13, 14, 15, 16, 18)
C_EXPERTS = (21, 22, 23, 24, 25)


def _code(user) -> str:
    return pyotp.TOTP(demo_totp_secret(user.username)).at(clock.now())


def _tick(seconds: int = 40) -> None:
    clock.clock.set(clock.now() + timedelta(seconds=seconds))


def _project(context: dict, title: str, purchaser, lot_name: str, bids: list[tuple], start):
    """A tender made and opened as a live one is, its deadline (and opening) at `start`: daili creates it
    with its tender document and publishes it 22 days before; the bidders register, and two days before
    the deadline each seals its bid with its demo key file and submits it (receipt issued); at the
    deadline the sweep's own steps close submission, let the time vault release its shares, take caijian's
    shares (unwrapped with its demo key file, as the hall does after the TOTP step-up) and open the bids
    into the opening record. Custody is the vault and caijian, k = 2: the vault alone (k = 1) would let
    the platform open every bid by itself, which the platform refuses. A bid is (supplier index, price in
    fen) or (supplier index, price,
    price breakdown sealed in its summary, as the opening reads it)."""
    from tender import opening
    from tender.demo import create_demo_project, demo_keys, legal_start, project_data, seal_and_submit

    agent = context["users"]["daili"]
    bidders = [(context["users"][f"gys{index + 1}"], price, *detail) for index, price, *detail in bids]
    budget = max(b[1] for b in bids) + 50_000_00
    clock.clock.set(legal_start(start, 22))
    demo_keys(context["users"]["caijian"], "custodian")  # its encrypt key, registered once
    data = project_data(title, purchaser, clock.now(), lots=[(lot_name, budget, budget)],
                        custodians=[context["users"]["caijian"].id], k=2, deadline=start)
    project = create_demo_project(agent, data, publish=True, suppliers=[user for user, *_ in bidders])
    lot = project.lots[0]
    clock.clock.set(start - timedelta(days=2))
    for user, price, *detail in bidders:
        seal_and_submit(project, lot, user, demo_keys(user, "supplier"), price, 30, detail[0] if detail else None)
        _tick(1800)
    clock.clock.set(start + timedelta(seconds=5))
    opening.close_submission(project.id)
    _hand_in_shares(project, context["users"]["caijian"])
    opening.progress_opening(project.id)
    db.session.flush()
    return project, lot


def _hand_in_shares(project, keeper) -> None:
    """The custodian's shares of every waiting bid, unwrapped with its demo key file."""
    import crypto
    from tender import opening
    from tender.demo import demo_keys

    pair = demo_keys(keeper, "custodian")
    member = next(c for c in project.custodians if c.user_id == keeper.id)
    for lot in project.lots:
        for bid in opening.current_bids(lot):
            share = crypto.unwrap_share(opening.header_of(bid), pair.encryption)
            opening.store_share(bid, member.custodian_id, share, keeper.id)
    db.session.flush()


def _committee_draw(context: dict, project, numbers, start):
    """A completed draw request for the project with these experts confirmed (hand-picked rows: the
    demo's verifiable draw is expert_draw's own)."""
    from expert_draw.models import (
        DrawRequest,
        DrawRequestSpecialty,
        Invitation,
        InvitationKind,
        InvitationStatus,
        RequestStatus,
    )

    agent = context["users"]["daili"]
    req = DrawRequest(project_id=project.id, lot_id=None, project_title=project.title,
                      region_code=project.region_code, purchaser_org_id=project.purchaser_org_id,
                      agency_org_id=project.agency_org_id, method="public_tender", budget_fen=project.budget_fen,
                      evaluation_start_at=start, evaluation_end_at=start + timedelta(hours=6),
                      place="网上远程评审室", is_remote=True, status=RequestStatus.COMPLETE, created_by_id=agent.id,
                      created_at=start - timedelta(days=3))
    # the committee the request defines (87号令 Art 47): the room seats exactly these experts, each in a seat
    # of its own specialty (a member who leaves leaves a seat of that specialty for the supplementary draw)
    experts = context["experts"]
    codes = [experts[n].specialty_rows[0].specialty_code if experts[n].specialty_rows else "B01" for n in numbers]
    req.specialties = [DrawRequestSpecialty(position=i, specialty_code=code, primary_count=codes.count(code))
                       for i, code in enumerate(dict.fromkeys(codes))]
    db.session.add(req)
    db.session.flush()
    for n, code in zip(numbers, codes, strict=True):
        expert = experts[n]
        db.session.add(Invitation(request_id=req.id, expert_id=expert.id, specialty_code=code,
                                  kind=InvitationKind.HAND_PICKED, status=InvitationStatus.CONFIRMED,
                                  reply_code=f"EV{req.id:04d}{n:03d}", notified_at=start - timedelta(days=2),
                                  responded_at=start - timedelta(days=2)))
    db.session.flush()
    return req


def _run_to_scoring(context: dict, lot, numbers) -> int:
    users = context["users"]
    agent = users["daili"]
    members = [users[f"zj{n:02d}"] for n in numbers]
    committee = service.open_evaluation(agent, lot.id)
    _tick()
    for user in members:
        service.sign_declaration(user, committee.id, conflict=False)
    chair = next(m for m in committee.members if m.user_id == members[0].id)
    for user in members[:3]:
        service.vote_chair(user, committee.id, chair.id)
    service.start_review(members[0], committee.id)
    _tick(600)
    for user in members:
        for stage, reqs in service.requirements_of(committee).items():
            marks = [{"bid_id": bid.id, "requirement": r, "passed": True}
                     for bid, _ in service.opened_bids(committee) for r in reqs]
            service.submit_review(user, committee.id, stage, marks)
        _tick(120)
    _confirm_price_corrections(committee, members[0])
    service.finish_review(members[0], committee.id)
    return committee.id


def _confirm_price_corrections(committee, chair) -> None:
    """The chair sends the Art 59 corrections; each bidder concerned confirms, signed with its key."""
    import crypto
    from accounts.models import User
    from crypto.encoding import b64u_encode
    from tender.demo import demo_signing_key
    from tender.models import Bid

    if not any(p["needs_confirmation"] for p in service.price_review(committee)):
        return
    for item in service.request_price_confirmations(chair, committee.id):
        _tick(600)
        bid = db.session.get(Bid, item.bid_id)
        bidder = db.session.get(User, bid.user_id)
        document = {**service.answer_document(item), "confirmed": True}
        signature = crypto.sign_document(demo_signing_key(bidder), crypto.document_digest(document))
        service.answer_price_correction(bidder, item.id, True, b64u_encode(signature))
    _tick(120)


# The scoring room's gys2: figures ¥1,254,000.00 (two digits swapped), words and lines ¥1,245,000.00.
WORDS_OVER_FIGURES = {"price_words": "壹佰贰拾肆万伍仟元整", "items": [
    {"ref": "1", "name": "全自动生化分析仪（含配套软件）", "quantity": "1", "unit_price_fen": 1_180_000_00,
     "total_fen": 1_180_000_00},
    {"ref": "2", "name": "配套试剂及耗材（首年）", "quantity": "1", "unit_price_fen": 65_000_00,
     "total_fen": 65_000_00}]}


def _sheet(committee_id: int, member_index: int) -> dict:
    committee = service.get_committee(committee_id)
    scheme = service.scheme_of(committee)
    sheet = {}
    for rank, bid_id in enumerate(service.valid_bid_ids(committee)):
        sheet[bid_id] = {}
        for criterion in scheme.criteria:
            base = criterion.max_score * (90 - 7 * rank - (member_index % 3)) / 100
            sheet[bid_id][str(criterion.code)] = str(base.quantize(criterion.max_score.__class__("0.5")))
    return sheet


def _challenge_and_complaint(users: dict, award, start_b, now) -> None:
    """A losing bidder challenges the result with an evidence file, the agency answers (not upheld), and
    the bidder complains to 泰顺县财政局 (caijian), where the complaint waits to be accepted."""
    import io

    from evaluation import challenges, complaints

    winner, _others = service.award_recipients(award)
    bidder = next(u for name, u in sorted(users.items()) if name.startswith("gys") and u.org_id != winner
                  and challenges.is_bidder(u, service.committee_for_lot(award.lot_id)))
    clock.clock.set(start_b + timedelta(days=4))
    evidence_text = "演示证明材料：中标人投标文件所附业绩合同（编号 HT-2024-117）与合同备案信息不一致。\n"
    row = challenges.file_challenge(bidder, award.id, "中标人投标文件中的类似项目业绩与事实不符，请求重新评审。",
                                    [("业绩核查说明.txt", io.BytesIO(evidence_text.encode()))])
    clock.clock.set(start_b + timedelta(days=5))
    challenges.answer_challenge(users["daili"], row.id, "经向合同签订单位核实，该业绩合同真实有效，质疑不成立。",
                                upheld=False)
    clock.clock.set(now - timedelta(days=1))
    complaints.file_complaint(bidder, row.id, "代理机构仅电话核实，未查验合同原件及付款凭证。",
                              "请求财政部门调查中标人业绩的真实性，并责令重新评审。",
                              [("付款凭证说明.txt", io.BytesIO("演示：付款凭证与合同金额不符。\n".encode()))])


def _sign(user, key_kind: str, contract) -> None:
    """`user` signs the contract's digest with its demo key file (instance/demo-keys/<username>.key)."""
    import crypto
    from contracts.service import sign_contract
    from crypto.encoding import b64u_encode
    from tender.demo import demo_keys

    signature = crypto.sign_document(demo_keys(user, key_kind).signing, bytes.fromhex(contract.sha256))
    sign_contract(user, contract.id, contract.sha256, b64u_encode(signature))


def _contract(purchaser, award, place: str, *, winner=None):
    """The purchaser drafts the contract from the records and signs it with its own key; with `winner`,
    the winning supplier signs too and the contract concludes (notice published, project closed)."""
    from evaluation import contracts

    contract = contracts.draft_contract(purchaser, award.id, {
        "performance_place": place,
        "performance_period": "合同签订后 30 日内交货安装完毕",
        "payment": "安装验收合格后 15 个工作日内支付合同金额的 95%，余款 5% 于质保期满无质量问题后付清",
        "acceptance": "按招标文件第三章技术要求逐项验收，采购人组织验收小组出具验收书",
        "warranty": "整体质保三年，质保期内 24 小时响应、72 小时内上门维修",
        "purchaser_contact": "总务处 0577-6758xxxx"})
    _tick(600)
    _sign(purchaser, "signer", contract)
    if winner is not None:
        _tick(3600)
        _sign(winner, "supplier", contract)
    return contract


@seeder("evaluation")
def seed_evaluation(context: dict) -> None:
    users, orgs = context.get("users", {}), context.get("orgs", {})
    if "daili" not in users or not orgs.get("suppliers") or "experts" not in context:
        return
    real_now = clock.now()
    with clock.clock.frozen(real_now):  # moved below; the mode before the seed comes back after
        evaluated = _seed_rooms(context, users, orgs, real_now)

    # The tender demo's opened tender: a committee confirmed, its room for the agency to open live.
    from tender.models import Project
    from tender.transitions import ProjectStatus

    opened = db.session.scalars(select(Project).where(Project.status == ProjectStatus.OPENED,
                                                      Project.id.not_in(evaluated)).order_by(Project.id)).all()
    for project in opened[:1]:
        _committee_draw(context, project, (8, 10, 11, 12, 20), real_now - timedelta(minutes=5))
    db.session.flush()
    print("  演示评审 Demo evaluations: 评分中（zj01 待评分）, 已完成并发布结果公告（质疑已答复，投诉待 caijian 受理，"
          "合同待中标人签署）, 已签订合同并结束, 合同逾期未签订（caijian：网上监管）; daili 可开启校园安防项目的评审室")


def _evaluated_and_awarded(context: dict, title: str, purchaser_org, purchaser, lot_name: str, bids: list[tuple],
                           experts: tuple[int, ...], start, *, dissent: str | None = None, confirm: bool = True):
    """A tender opened at `start`, evaluated by these experts that day (the first chairs; the last signs
    `dissent`, if any), the report sent, the first candidate confirmed and the result published within
    three days (unless not `confirm`: the award then waits for the purchaser). Returns (project, award)."""
    users = context["users"]
    project, lot = _project(context, title, purchaser_org, lot_name, bids, start)
    _committee_draw(context, project, experts, start + timedelta(hours=1))
    clock.clock.set(start + timedelta(hours=1, minutes=5))
    cid = _run_to_scoring(context, lot, experts)
    members = [users[f"zj{n:02d}"] for n in experts]
    _tick(900)
    for i, user in enumerate(members):
        service.submit_scores(user, cid, _sheet(cid, i), _code(user))
        _tick(300)
    service.start_summary(members[0], cid)
    _confirm_open_flags(cid)
    if dissent:  # the committee finds one score abnormally high; its member lowers it with a reason (Art 64)
        _score_change(cid, members)
        _confirm_open_flags(cid)
    report = service.accept_summary(members[0], cid)
    _tick(600)
    # the dissenting member signs first, so the text the others sign already carries the dissent
    order = [members[-1], *members[:-1]] if dissent else members
    for user in order:
        service.sign_report(user, report.id, _code(user), dissent=dissent if user is members[-1] else None)
        _tick(120)
    clock.clock.set(start + timedelta(days=1))
    award = service.send_report(users["daili"], cid)
    if not confirm:
        return project, award
    clock.clock.set(start + timedelta(days=2))
    service.confirm_winner(purchaser, award.id, report.candidates[0].id)
    clock.clock.set(start + timedelta(days=3))
    service.publish_result(users["daili"], award.id, confirm_uncovered_year=_uncovered_year(project))
    return project, award


def _after_challenge_period(award):
    """09:00 on the day after the award's challenge period: the first morning its contract may be signed."""
    from evaluation.periods import challenge_due

    return clock.end_of_local_day(challenge_due(award)) + timedelta(hours=9)


def _start_signable_by(moment, region_code: str):
    """The start, ten days back or more, of a demo evaluation whose result (published three days after its
    start) is past its challenge period by `moment`, whatever holidays fall in between."""
    from evaluation import deadlines
    from evaluation.periods import due

    start = moment - timedelta(days=9, hours=6)
    while due(deadlines.Step.CHALLENGE, clock.to_local(start + timedelta(days=3)).date(),
              region_code) >= clock.to_local(moment).date():
        start -= timedelta(days=1)
    return start


def _uncovered_year(project) -> int | None:
    """The year the demo agency confirms counting Monday–Friday, as a clerk would on the page, when the
    challenge period or the 30 days to sign reach a year the working-day calendar lacks (a December seed)."""
    from evaluation import deadlines
    from evaluation.periods import uncovered_years

    years = uncovered_years([deadlines.Step.CHALLENGE, deadlines.Step.CONTRACT], clock.to_local(clock.now()).date(),
                            project.region_code)
    return years[0] if len(years) == 1 else None


def _confirm_open_flags(cid: int) -> None:
    for flag in service.raise_flags(service.get_committee(cid)):
        member = db.session.get(CommitteeMember, flag.member_id)
        user = db.session.get(User, member.user_id)
        service.resolve_flag(user, flag.id, action="confirm", note="经复核，坚持原评分")


def _score_change(cid: int, members: list) -> None:
    """The chair proposes the committee's finding on the second member's first technical score and two more
    members agree (a majority of five); the member lowers it by a fifth, with a reason: the signed report
    lists the change, its reason and who made it."""
    committee = service.get_committee(cid)
    user = members[1]
    member = next(m for m in committee.members if m.user_id == user.id)
    score = db.session.scalar(select(Score).where(Score.member_id == member.id)
                              .order_by(Score.bid_id, Score.id))
    finding = service.propose_outlier(members[0], cid, member.id, score.bid_id, score.criterion,
                                      "该项评分明显高于其他成员，且与投标文件的响应情况不符")
    for voter in members[2:4]:
        _tick(60)
        service.vote_outlier(voter, finding.id, True)
    flag = db.session.get(ScoreFlag, finding.flag_id)
    _tick(120)
    lowered = (from_hundredths(score.score_h) * 4 / 5).quantize(Decimal("0.5"))
    service.resolve_flag(user, flag.id, action="correct", note="复核投标文件后，按评分标准下调", new_score=str(lowered))
    _tick(120)


def _seed_rooms(context: dict, users: dict, orgs: dict, now) -> list[int]:
    """Seed the three evaluated projects; returns their ids."""
    real_now = now
    # E: finished seven weeks ago; the purchaser signed the contract, the winner never did: its days to sign
    # have run out, so finance's supervision (caijian: 网上监管) lists it as overdue and may suspend it.
    start_e = now - timedelta(days=50)
    project_e, award_e = _evaluated_and_awarded(
        context, "泰顺县文化馆舞台灯光音响设备采购", orgs["purchasers"][0], users["caigou1"], "舞台灯光音响设备及安装",
        [(1, 186_000_00), (4, 179_300_00), (5, 191_500_00)], C_EXPERTS, start_e)

    # C: finished six weeks ago, contract signed by both parties and published: the project is closed.
    start_c = now - timedelta(days=45)
    _project_c, award_c = _evaluated_and_awarded(
        context, "泰顺县教育局学生直饮水设备采购", orgs["purchasers"][0], users["caigou1"], "学校直饮水设备及安装",
        [(2, 268_000_00), (3, 255_600_00), (5, 271_900_00)], C_EXPERTS, start_c)
    clock.clock.set(max(start_c + timedelta(days=12), _after_challenge_period(award_c)))
    winner = next(u for name, u in sorted(users.items()) if name.startswith("gys")
                  and u.org_id == service.award_recipients(award_c)[0])
    _contract(users["caigou1"], award_c, "泰顺县各中小学（送货上门并安装）", winner=winner)
    # E's contract: drafted and signed by the purchaser once its challenge period was over, never by the winner
    clock.clock.set(max(clock.now(), _after_challenge_period(award_e)))
    _contract(users["caigou1"], award_e, "泰顺县文化馆（送货上门并安装调试）")

    # B: finished about two weeks ago (once the challenge period is over), signed, awarded, result notice out.
    start_b = _start_signable_by(real_now - timedelta(hours=20), orgs["purchasers"][0].region_code)
    project_b, award = _evaluated_and_awarded(
        context, "泰顺县罗阳镇中心小学课桌椅采购", orgs["purchasers"][0], users["caigou1"], "学生课桌椅及教师办公桌椅",
        [(0, 386_000_00), (1, 372_500_00), (3, 399_800_00), (5, 381_200_00)], B_EXPERTS, start_b,
        dissent="认为第二名投标人的售后服务方案优于第一名，技术分应更高")
    _challenge_and_complaint(users, award, start_b, real_now)
    clock.clock.set(real_now - timedelta(hours=20))
    _contract(users["caigou1"], award, "泰顺县罗阳镇中心小学（送货上门并安装）")

    # D: evaluated two days ago, the report sent, the award waiting for the purchaser (caigou1) to confirm
    # (credit's demo puts its first candidate on a list: the confirmation is refused)
    start_d = now - timedelta(days=2, hours=6)
    project_d, _award_d = _evaluated_and_awarded(
        context, "泰顺县罗阳镇中心小学多媒体教室设备采购", orgs["purchasers"][0], users["caigou1"], "多媒体教室设备",
        [(2, 512_000_00), (3, 526_800_00), (5, 538_000_00)], C_EXPERTS, start_d, confirm=False)

    # A: in progress, scoring; two of five have submitted.
    start_a = real_now - timedelta(hours=3)
    project_a, lot_a = _project(context, "泰顺县中医院全自动生化分析仪采购",
                                orgs["purchasers"][1], "全自动生化分析仪",
                                [(0, 1_268_000_00), (1, 1_254_000_00, WORDS_OVER_FIGURES), (4, 1_289_500_00)],
                                start_a)
    _committee_draw(context, project_a, A_EXPERTS, start_a + timedelta(hours=1))
    clock.clock.set(start_a + timedelta(hours=1, minutes=5))
    cid = _run_to_scoring(context, lot_a, A_EXPERTS)
    _tick(900)
    for i, n in enumerate(A_EXPERTS[:2]):
        user = users[f"zj{n:02d}"]
        service.submit_scores(user, cid, _sheet(cid, i), _code(user))
        _tick(300)
    # The chair asks the third bidder a question it still has to answer (signed with its key).
    committee = service.get_committee(cid)
    third = next(bid for bid, _line in service.opened_bids(committee) if bid.org_id == orgs["suppliers"][4].id)
    service.ask_clarification(users[f"zj{A_EXPERTS[0]:02d}"], cid, third.id,
                              "请说明所投设备在温州市范围内的售后服务网点、工程师人数及故障响应时间。", minutes=24 * 60)
    return [_project_c.id, project_e.id, project_b.id, project_d.id, project_a.id]
