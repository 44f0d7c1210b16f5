"""Pages of the evaluation room (thin: parse the form, call the service, commit once, announce, redirect).

One room page per committee shows each viewer what `service.state_for` lets him see; its forms post to
`/evaluation/<id>/act/<action>`, which maps each action to one service function. The page's script
(static/js/evaluation/room.js) keeps presence and progress live over Socket.IO and reloads the page
when the stage changes.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from accounts.models import Role, User
from accounts.service import signing_keys_of
from core import clock, files, money
from core.db import db
from core.errors import DomainError, ValidationError, settle_refusal
from core.i18n import N_
from evaluation import challenges, complaints, contracts, events, evidence, letters, messages, service
from evaluation.models import Award, Committee, CommitteeMember, EvaluationClarification
from evaluation.visibility import Action, can

bp = Blueprint("evaluation", __name__, url_prefix="/evaluation")


@bp.app_context_processor
def evaluation_labels() -> dict:
    return {"EVAL_STATUS_ZH": service.STATUS_ZH, "EVAL_STAGE_ZH": service.STAGE_ZH, "AWARD_ZH": service.AWARD_ZH,
            "SME_CLASS_ZH": SME_CLASS_ZH, "contract_of": contracts.contract_of}


# The SME declaration a bid makes, as the room names it (scoring.SmeClass).
SME_CLASS_ZH = {"none": N_("不享受价格扣除"), "small_micro": N_("小微企业（含监狱企业、残疾人福利单位）"),
                "consortium": N_("联合体或分包给小微企业")}


def _address() -> str:
    return request.remote_addr or "-"


def committees_for(user) -> list[Committee]:
    """The committees this user has something to do with, newest first."""
    from tender.models import Project

    stmt = select(Committee).order_by(Committee.id.desc()).limit(100)
    if user.has_role(Role.ADMIN):
        return list(db.session.scalars(stmt))
    found: dict[int, Committee] = {}
    mine = select(Committee).join(CommitteeMember, CommitteeMember.committee_id == Committee.id).where(
        CommitteeMember.user_id == user.id)
    found.update({c.id: c for c in db.session.scalars(mine)})
    if user.org_id is not None and user.has_role(Role.AGENCY_STAFF, Role.PURCHASER):
        column = Project.agency_org_id if user.has_role(Role.AGENCY_STAFF) else Project.purchaser_org_id
        rows = db.session.scalars(select(Committee).join(Project, Project.id == Committee.project_id)
                                  .where(column == user.org_id))
        found.update({c.id: c for c in rows})
    if user.has_role(Role.SUPERVISOR):
        from accounts.service import regions_under

        rows = db.session.scalars(select(Committee).join(Project, Project.id == Committee.project_id)
                                  .where(Project.region_code.in_(regions_under(user.region_code))))
        found.update({c.id: c for c in rows})
    return sorted(found.values(), key=lambda c: -c.id)


def lots_ready(user) -> list:
    """Opened lots of the agency's projects whose evaluation is not open yet."""
    from tender.models import Lot, Project
    from tender.transitions import LotStatus, ProjectStatus

    if not user.has_role(Role.AGENCY_STAFF) or user.org_id is None:
        return []
    rows = db.session.scalars(select(Lot).join(Project, Project.id == Lot.project_id).where(
        Project.agency_org_id == user.org_id, Lot.status == LotStatus.OPENED,
        Project.status.in_([ProjectStatus.OPENED, ProjectStatus.EVALUATING])).order_by(Lot.id))
    return [lot for lot in rows if service.committee_for_lot(lot.id) is None]


@bp.get("/")
def index():
    rows = committees_for(current_user)
    lots = lots_ready(current_user)
    reps = {lot.id: list(db.session.scalars(select(User).where(User.org_id == lot.project.purchaser_org_id,
                                                               User.active.is_(True)).order_by(User.id)))
            for lot in lots}
    reps = {lot_id: [u for u in users if u.has_role(Role.PURCHASER)] for lot_id, users in reps.items()}
    wanted = {lot.id: service.purchaser_reps_wanted(lot.project_id, lot.id) for lot in lots}
    return render_template("evaluation/index.html", committees=rows, lots=lots, reps=reps, wanted=wanted,
                           project_of=service.project_of, lot_of=service.lot_of, award_of=service.award_of)


@bp.post("/lots/<int:lot_id>/open")
def open_lot(lot_id: int):
    reps = [int(x) for x in request.form.getlist("purchaser_rep_id") if x.isdigit()]
    try:
        committee = service.open_evaluation(current_user, lot_id, purchaser_rep_ids=reps)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("evaluation.index"))
    messages.room_opened(committee.id)
    flash(_("评审室已开启，已通知评审委员会成员。"), "success")
    return redirect(url_for("evaluation.room", committee_id=committee.id))


def _room_access(committee: Committee) -> None:
    if not service.can_view_room(current_user, committee):
        abort(403)


@bp.get("/<int:committee_id>")
def room(committee_id: int):
    committee = db.session.get(Committee, committee_id)
    if committee is None:
        abort(404)
    _room_access(committee)
    state = service.state_for(current_user, committee, events.present_users(committee_id))
    member = service.member_of(current_user, committee)
    my_scores = {}
    if member is not None:
        for row in state.get("scores", []):
            if row["member"] == member.id:
                my_scores.setdefault(row["bid"], {})[row["criterion"]] = row["score"]
    award = service.award_of(committee)
    report = service.current_report(committee)
    files, prices = {}, []
    actor = service.actor_of(current_user, committee)
    if actor is not None and can(actor, Action.READ_BIDS, committee.status):
        files = {bid.id: service.bid_documents(current_user, committee_id, bid.id)
                 for bid, _line in service.opened_bids(committee)}
        prices = service.price_review(committee)  # Art 59 corrections, for the committee
    return render_template(
        "evaluation/room.html", committee=committee, state=state, member=member, my_scores=my_scores,
        award=award, report=report, can_read_report=service.can_read_report(current_user, committee),
        is_agency=service.is_agency(current_user, committee),
        is_purchaser=service.is_purchaser(current_user, committee),
        flags=[f for f in state.get("flags", []) if f["resolution"] == "open"],
        names={m["id"]: m["name"] for m in state["members"]}, money=money, clock=clock,
        bids={b["id"]: b["bidder"] for b in state.get("bids", [])},
        deadline_state=service.award_deadline_state(award) if award else None, files=files, prices=prices,
        ratings=service.ratings_of(committee) if committee.status.value in ("completed", "failed") else None,
        challenges=challenges.challenges_of_lot(committee.lot_id), complaint_of=complaints.complaint_of,
        complaint_zh=complaints.STATUS_ZH, remedies=challenges.REMEDIES,
        award_letters=letters.visible_letters(current_user, award) if award is not None else [],
        letter_names=letters.bidder_names(committee),
        calendar_gaps=_calendar_gaps(service.project_of(committee).region_code),
        **_collusion(committee, member))


def _collusion(committee: Committee, member) -> dict:
    """The lot's collusion flags (registry.collusion) for the committee's members and the supervisors."""
    from registry.collusion import service as collusion

    lot = service.lot_of(committee)
    if lot is None or not (member is not None or collusion.can_view_lot(current_user, lot)):
        return {"collusion_shown": False, "collusion_signals": [], "collusion_computed": False}
    return {"collusion_shown": True, "collusion_computed": collusion.run_of(lot.id) is not None,
            "collusion_signals": [collusion.describe(f) for f in collusion.flags_of_lot(lot.id)]}


# ---------------------------------------------------------------- actions (forms)

def _marks(committee: Committee, stage: str) -> list[dict]:
    reqs = service.requirements_of(committee).get(stage, [])
    marks = []
    for bid, _line in service.opened_bids(committee):
        for i, req in enumerate(reqs):
            key = f"m-{bid.id}-{i}"
            marks.append({"bid_id": bid.id, "requirement": req, "passed": request.form.get(key, "pass") == "pass",
                          "reason": request.form.get(f"r-{bid.id}-{i}", "")})
    return marks


def _scores(committee: Committee) -> dict:
    scheme = service.scheme_of(committee)
    return {bid_id: {str(c.code): request.form.get(f"s-{bid_id}-{i}", "").strip()
                     for i, c in enumerate(scheme.criteria)} for bid_id in service.valid_bid_ids(committee)}


def _int(name: str) -> int:
    try:
        return int(request.form.get(name, ""))
    except ValueError:
        raise ValidationError(_("表单内容不完整。"), code="bad_form") from None


ACTIONS = {
    "declare": lambda c, f: service.sign_declaration(current_user, c.id, conflict=f.get("conflict") == "1",
                                                     note=f.get("note", "")),
    "vote": lambda c, f: service.vote_chair(current_user, c.id, _int("candidate_id")),
    "start_review": lambda c, f: service.start_review(current_user, c.id),
    "review": lambda c, f: service.submit_review(current_user, c.id, f.get("stage", ""), _marks(c, f.get("stage", ""))),
    "low_price": lambda c, f: service.request_low_price_explanations(current_user, c.id),
    "price_corrections": lambda c, f: service.request_price_confirmations(
        current_user, c.id, minutes=_int("minutes") if f.get("minutes") else 60),
    "ask": lambda c, f: service.ask_clarification(current_user, c.id, _int("bid_id"), f.get("question", ""),
                                                  minutes=_int("minutes") if f.get("minutes") else 60),
    "decide": lambda c, f: service.decide_explanation(current_user, _int("clarification_id"),
                                                      f.get("accepted") == "1", f.get("reason", "")),
    "sme": lambda c, f: service.set_sme_class(current_user, c.id, _int("bid_id"), f.get("sme_class", "")),
    "reopen": lambda c, f: service.reopen_summary(current_user, c.id, f.get("reason", "")),
    "rate_expert": lambda c, f: service.rate_expert(current_user, c.id, _int("member_id"), f.get("score"),
                                                    f.get("note", ""), misconduct=f.get("misconduct") == "1"),
    "answer_challenge": lambda c, f: challenges.answer_challenge(
        current_user, _int("challenge_id"), f.get("answer", ""), upheld=f.get("upheld") == "1",
        remedy=f.get("remedy") or None),
    "finish_review": lambda c, f: service.finish_review(current_user, c.id),
    "scores": lambda c, f: service.submit_scores(current_user, c.id, _scores(c), f.get("totp", ""), _address()),
    "summary": lambda c, f: service.start_summary(current_user, c.id),
    "flag": lambda c, f: service.resolve_flag(current_user, _int("flag_id"), action=f.get("flag_action", ""),
                                              note=f.get("note", ""), new_score=f.get("new_score") or None),
    "find_outlier": lambda c, f: service.propose_outlier(current_user, c.id, _int("member_id"), _int("bid_id"),
                                                         f.get("criterion", ""), f.get("note", "")),
    "vote_outlier": lambda c, f: service.vote_outlier(current_user, _int("finding_id"), f.get("agree") == "1"),
    "accept": lambda c, f: service.accept_summary(current_user, c.id),
    "sign": lambda c, f: service.sign_report(current_user, _int("report_id"), f.get("totp", ""), _address(),
                                             dissent=f.get("dissent") or None),
    "suspend": lambda c, f: service.suspend(current_user, c.id, f.get("reason", "")),
    "resume": lambda c, f: service.resume(current_user, c.id),
    "replace": lambda c, f: service.replace_conflicted(current_user, _int("member_id")),
    "refresh": lambda c, f: service.refresh_members(current_user, c.id),
    "send_report": lambda c, f: service.send_report(current_user, c.id, confirm_uncovered_year=_year(f)),
    "confirm": lambda c, f: service.confirm_winner(current_user, _int("award_id"), _int("candidate_id"),
                                                   f.get("reason", ""), confirm_uncovered_year=_year(f)),
    "publish": lambda c, f: service.publish_result(current_user, _int("award_id"), confirm_uncovered_year=_year(f)),
    "void": lambda c, f: service.void_award(current_user, _int("award_id"), f.get("reason", "")),
}
def _calendar_gaps(region_code: str | None) -> dict[str, list[int]]:
    """For each award step, the years its deadlines counted from today reach that the working-day calendar
    lacks: that step's form then offers the explicit confirmation naming the year."""
    from evaluation import deadlines
    from evaluation.periods import uncovered_years

    today = clock.to_local(clock.now()).date()
    steps = {"send_report": [deadlines.Step.PURCHASER_CONFIRM], "confirm": [deadlines.Step.RESULT_NOTICE],
             "publish": [deadlines.Step.CHALLENGE, deadlines.Step.CONTRACT]}
    return {action: uncovered_years(step, today, region_code) for action, step in steps.items()}


def _year(form) -> int | None:
    """The year the user confirms counting on Monday–Friday (the working-day calendar lacks it), if given."""
    text = (form.get("confirm_uncovered_year") or "").strip()
    return int(text) if text.isdigit() and len(text) == 4 else None


DONE_TEXT = {"rate_expert": N_("评价已记录。"),
             "declare": N_("回避声明已签署。"), "vote": N_("已投票。"), "review": N_("审查意见已提交。"),
             "scores": N_("评分已提交。"), "sign": N_("已签署评审报告。"), "send_report": N_("评审报告已送交采购人。"),
             "confirm": N_("已确定中标人。"), "publish": N_("结果公告已发布。"), "answer_challenge": N_("质疑已答复。")}


@bp.post("/<int:committee_id>/act/<action>")
def act(committee_id: int, action: str):
    committee = db.session.get(Committee, committee_id)
    if committee is None or action not in ACTIONS:
        abort(404)
    try:
        result = ACTIONS[action](committee, request.form)
        db.session.commit()
    except DomainError as exc:
        settle_refusal(exc)
        flash(exc.message, "danger")
        return redirect(url_for("evaluation.room", committee_id=committee_id))
    events.announce(committee_id, action)
    _after(action, committee_id, result)
    flash(_(DONE_TEXT.get(action, N_("操作已完成。"))), "success")
    return redirect(url_for("evaluation.room", committee_id=committee_id))


def _after(action: str, committee_id: int, result) -> None:
    if action == "declare" and getattr(result, "status", None) is not None and result.status.value == "conflict":
        messages.conflict_declared(committee_id, result.id)
    elif action in ("ask", "low_price", "price_corrections"):
        for item in result if isinstance(result, list) else [result]:
            messages.clarification_asked(item.id)


# ---------------------------------------------------------------- the bidder's side

@bp.get("/clarifications")
def clarifications():
    rows = service.clarifications_of_supplier(current_user)
    open_awards = [(a, service.project_of(c), service.lot_of(c), challenges.challenge_due(a))
                   for a, c in challenges.awards_open_to_challenge(current_user)]
    mine = [(a, service.project_of(c), service.lot_of(c)) for a, c in challenges.awards_of_bidder(current_user)
            if challenges.challenges_of(a, current_user.org_id)]
    to_sign = {c.id: service.answer_document(c) for c in rows if c.answered_at is None and c.due_at >= clock.now()}
    return render_template("evaluation/clarifications.html", rows=rows, clock=clock, open_awards=open_awards,
                           challenged=mine, to_sign=to_sign, has_key=bool(signing_keys_of(current_user)))


# ---------------------------------------------------------------- challenges and complaints

def _files() -> list[tuple[str, object]]:
    return [(f.filename or "", f.stream) for f in request.files.getlist("files")]


def _refused(exc: DomainError, target: str):
    evidence.rollback()
    flash(exc.message, "danger")
    return redirect(target)


@bp.get("/awards/<int:award_id>/challenges")
def award_challenges(award_id: int):
    """One published result: the bidder files challenges and complaints; the parties follow them."""
    award = db.session.get(Award, award_id)
    if award is None or award.notified_at is None or not challenges.can_view(current_user, award):
        abort(404)
    committee = service.committee_for_lot(award.lot_id)
    rows = challenges.visible_challenges(current_user, award)
    return render_template(
        "evaluation/award_challenges.html", award=award, committee=committee, project=service.project_of(committee),
        lot=service.lot_of(committee), rows=rows, clock=clock, due=challenges.challenge_due(award),
        is_bidder=challenges.is_bidder(current_user, committee), today=clock.to_local(clock.now()).date(),
        complaint_of=complaints.complaint_of, complaint_due=complaints.complaint_due,
        complaint_zh=complaints.STATUS_ZH, remedies=challenges.REMEDIES, max_files=evidence.MAX_FILES,
        max_mb=evidence.MAX_FILE_BYTES // 1024 // 1024, letters=letters.visible_letters(current_user, award),
        letter_names=letters.bidder_names(committee))


@bp.post("/awards/<int:award_id>/challenge")
def challenge(award_id: int):
    target = url_for("evaluation.award_challenges", award_id=award_id)
    try:
        challenges.file_challenge(current_user, award_id, request.form.get("text", ""), _files())
        evidence.commit()
    except DomainError as exc:
        award = db.session.get(Award, award_id)
        visible = award is not None and award.notified_at is not None and challenges.can_view(current_user, award)
        return _refused(exc, target if visible else url_for("evaluation.clarifications"))
    flash(_("质疑已提交，代理机构将在规定期限内答复。"), "success")
    return redirect(target)


@bp.post("/challenges/<int:challenge_id>/complaint")
def complaint(challenge_id: int):
    row = challenges.get_challenge(challenge_id)
    target = url_for("evaluation.award_challenges", award_id=row.award_id)
    try:
        filed = complaints.file_complaint(current_user, challenge_id, request.form.get("facts", ""),
                                          request.form.get("requests", ""), _files())
        evidence.commit()
    except DomainError as exc:
        return _refused(exc, target)
    messages.complaint_filed(filed.id)
    flash(_("投诉已提交财政部门，财政部门将在 5 个工作日内决定是否受理。"), "success")
    return redirect(target)


@bp.get("/letters/<int:letter_id>.pdf")
def letter_file(letter_id: int):
    """An award notice or result letter, for its organisation, the agency, the purchaser, the region's
    supervisors and the admin (anyone else: not found)."""
    letter = letters.letter_for(current_user, letter_id)
    response = files.send_download(letters.absolute(letter), letters.download_name(letter),
                                   mimetype="application/pdf")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/evidence/<int:file_id>")
def evidence_file(file_id: int):
    """An evidence file, for the filer, the agency, the purchaser and the region's supervisors only."""
    item = evidence.file_for(current_user, file_id)
    response = files.send_download(evidence.absolute(item), item.name)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/complaints")
def complaint_list():
    """Finance: the complaints of the regions it oversees, with what is due."""
    if not current_user.has_role(Role.SUPERVISOR):
        abort(403)
    rows = complaints.complaints_for_finance(current_user)
    awards = {r.award_id: db.session.get(Award, r.award_id) for r in rows}
    projects = {a.id: service.project_of(service.committee_for_lot(a.lot_id)) for a in awards.values()}
    return render_template(
        "evaluation/complaints.html", rows=rows, clock=clock, projects=projects,
        challenge_of=lambda r: challenges.get_challenge(r.challenge_id), complaint_zh=complaints.STATUS_ZH,
        refusals=complaints.REFUSALS, remedies=challenges.REMEDIES, state_of=complaints.deadline_state,
        next_due=complaints.next_due, is_finance=complaints.is_finance)


COMPLAINT_ACTIONS = {
    "accept": (lambda cid, f: complaints.accept_complaint(current_user, cid, suspend=f.get("suspend") == "1"),
               N_("投诉已受理。")),
    "suspend": (lambda cid, f: complaints.suspend_procurement(current_user, cid), N_("已暂停采购活动。")),
    "refuse": (lambda cid, f: complaints.refuse_complaint(current_user, cid, f.get("reason", ""), f.get("note", "")),
               N_("已决定不予受理，并记录理由。")),
    "decide": (lambda cid, f: complaints.decide_complaint(
        current_user, cid, f.get("decision", ""), upheld=f.get("upheld") == "1", remedy=f.get("remedy") or None),
               N_("处理决定已作出。")),
}


@bp.post("/complaints/<int:complaint_id>/<action>")
def complaint_act(complaint_id: int, action: str):
    if action not in COMPLAINT_ACTIONS:
        abort(404)
    do, done = COMPLAINT_ACTIONS[action]
    target = url_for("evaluation.complaint_list")
    try:
        do(complaint_id, request.form)
        db.session.commit()
    except DomainError as exc:
        return _refused(exc, target)
    messages.complaint_handled(complaint_id)
    flash(_(done), "success")
    return redirect(target)


@bp.post("/clarifications/<int:clarification_id>")
def answer(clarification_id: int):
    item = db.session.get(EvaluationClarification, clarification_id)
    if item is None or item.kind.value == "price_correction":  # answered by confirming, below
        abort(404)
    try:
        service.answer_clarification(current_user, clarification_id, request.form.get("answer", ""),
                                     request.form.get("signature", ""))
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("evaluation.clarifications"))
    events.announce(item.committee_id, "clarification")
    flash(_("答复已提交评标委员会。"), "success")
    return redirect(url_for("evaluation.clarifications"))


@bp.post("/clarifications/<int:clarification_id>/price")
def confirm_price(clarification_id: int):
    """The bidder confirms (confirmed=1) or refuses (confirmed=0) its price as corrected (87号令 Art 59)."""
    item = db.session.get(EvaluationClarification, clarification_id)
    if item is None:
        abort(404)
    confirmed = request.form.get("confirmed") == "1"
    try:
        service.answer_price_correction(current_user, clarification_id, confirmed, request.form.get("signature", ""))
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("evaluation.clarifications"))
    events.announce(item.committee_id, "clarification")
    flash(_("已确认修正后的报价。") if confirmed else _("已答复不确认修正后的报价，按规定其投标无效。"), "success")
    return redirect(url_for("evaluation.clarifications"))
