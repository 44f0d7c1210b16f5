"""Every write on the deposits and the reads other packages use.

The agency sets a lot's deposit before publication (`configure_lot`); a supplier pays into its virtual
sub-account (`account_number`; the bank's signed notification is `deposits.bank`), hands in an electronic
guarantee letter (`submit_guarantee`) or declares itself exempt where SMEs are (`declare_waiver`). At the
opening a bid without a valid deposit is flagged (`opening_note`), never refused. After the award the
sweep schedules the refunds in working days (`track_lot`), sends each to the bank (`send_refund`) and
flags a late one (`flag_overdue`); the agency forfeits one with its reason (`forfeit_deposit`) or
refunds one early (`refund_deposit`). A performance security is asked of the winner once the contract is
signed and released after the acceptance (`release_performance_security`). `payer_accounts(lot_id)`
feeds the collusion signals. Writes audit and flush; the caller commits.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from accounts.models import Org, User
from audit.service import record
from core import clock, exchange, money
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationError
from core.i18n import N_
from core.workdays import get_calendar
from deposits import rules, stages
from deposits.models import Deposit, DepositCredit, LotDeposit
from deposits.transitions import DepositStatus, Form, Purpose, move

BANK_CHANNEL = "deposits.bank"
GUARANTEE_CHANNEL = "deposits.guarantee"
LETTER_FORMAT = "biaoyun-guarantee/1"
ACCOUNT_PREFIX = "95"
FORFEIT_REASONS = {"withdrawn_after_deadline": N_("投标截止后撤销投标"),
                   "refused_to_sign": N_("中标后无正当理由拒不签订合同")}
STATUS_ZH = {"awaiting": N_("待缴纳"), "held": N_("已缴纳"), "waived": N_("已免收"), "refund_due": N_("待退还"),
             "refund_sent": N_("退还中"), "refunded": N_("已退还"), "forfeited": N_("不予退还")}
FORM_ZH = {"transfer": N_("银行转账（虚拟子账户）"), "guarantee": N_("电子保函"), "waived": N_("免收")}
HELD_LIKE = (DepositStatus.HELD, DepositStatus.WAIVED)


# ------------------------------------------------------------------ who

def is_staff(user: User | None, lot_id: int) -> bool:
    from tender.service import is_project_staff

    _lot, project = stages.lot_of(lot_id)
    return bool(user is not None and is_project_staff(user, project))


def can_view_lot(user: User | None, lot_id: int) -> bool:
    from tender.service import is_overseer

    return is_staff(user, lot_id) or bool(user is not None and is_overseer(user))


def require_staff(user: User, lot_id: int) -> None:
    if not is_staff(user, lot_id):
        raise Forbidden("只有本项目代理机构的经办人可以执行此操作。", code="not_project_staff")


def require_registered(user: User, lot_id: int) -> None:
    from tender.service import registration_of

    _lot, project = stages.lot_of(lot_id)
    if registration_of(user, project) is None:
        raise Forbidden("请先报名本项目。", code="not_registered")


# ------------------------------------------------------------------ the lot's setting

def setting_of(lot_id: int, lock: bool = False) -> LotDeposit | None:
    stmt = select(LotDeposit).where(LotDeposit.lot_id == lot_id)
    return db.session.scalar(stmt.with_for_update() if lock else stmt)


def max_amount(lot_id: int) -> int:
    """The cap of a lot's bid deposit: the region's percentage (≤ 2 %) of its budget, in fen."""
    lot, project = stages.lot_of(lot_id)
    return lot.budget_fen * int(rules.rule(project.region_code, "max_percent")) // 100


def configure_lot(user: User, lot_id: int, data: dict[str, Any]) -> LotDeposit:
    """The agency sets (or changes, while the project is a draft) what the tender document asks of a lot."""
    from tender.transitions import ProjectStatus

    require_staff(user, lot_id)
    lot, project = stages.lot_of(lot_id)
    if project.status is not ProjectStatus.DRAFT:
        raise Conflict("项目已发布，保证金要求以招标文件为准，不能再修改。", code="deposit_setting_frozen")
    region = project.region_code
    waiver = rules.rule(region, "waiver")
    fields: dict[str, str] = {}
    required = bool(data.get("required"))
    if required and waiver == "all":
        fields["required"] = "本地区政府采购一律免收投标保证金。"
    amount = _int(data.get("amount_fen"), 0)
    forms = [f for f in (data.get("forms") or []) if f in (Form.TRANSFER, Form.GUARANTEE)]
    cap = max_amount(lot_id)
    if required and not 0 < amount <= cap:
        percent = rules.rule(region, "max_percent")
        fields["amount_fen"] = f"保证金应大于零且不超过标项预算的{percent}%（{money.format_yuan(cap)}元）。"
    if required and not forms:
        fields["forms"] = "请至少选择一种缴纳形式。"
    bank = None
    if required and Form.TRANSFER in forms:
        bank = exchange.sender_by_code(str(data.get("bank") or ""))
        if bank is None or bank.channel != BANK_CHANNEL or not bank.active:
            fields["bank"] = "请选择已登记的收款银行。"
    valid_days = _int(data.get("bid_valid_days"), 90)
    if not 30 <= valid_days <= 365:
        fields["bid_valid_days"] = "投标有效期应为30至365天。"
    performance = _int(data.get("performance_percent"), 0)
    top = int(rules.rule(region, "performance_max_percent"))
    if not 0 <= performance <= top:
        fields["performance_percent"] = f"履约保证金不得超过合同金额的{top}%。"
    if fields:
        raise ValidationError("保证金设置有误。", code="deposit_setting_invalid", details={"fields": fields})
    row = setting_of(lot_id, lock=True)
    if row is None:
        row = LotDeposit(lot_id=lot.id, project_id=project.id, region_code=region, set_by_id=user.id,
                         set_at=clock.now())
        db.session.add(row)
    row.required, row.waiver = required, waiver
    row.amount_fen = amount if required else 0
    row.forms = sorted(forms) if required else []
    row.bank_sender_id = bank.id if bank else None
    row.bid_valid_days, row.performance_percent = valid_days, performance
    row.rules_version, row.set_by_id, row.set_at = rules.version(region), user.id, clock.now()
    db.session.flush()
    record("deposits.lot_configured", row, {"lot": lot.id, "project": project.code, "required": required,
                                            "amount_fen": row.amount_fen, "forms": row.forms, "waiver": waiver,
                                            "bid_valid_days": valid_days, "performance_percent": performance,
                                            "rules_version": row.rules_version})
    return row


def _int(value: Any, default: int) -> int:
    if value in (None, ""):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


# ------------------------------------------------------------------ sub-accounts

def _luhn(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def account_number(lot_id: int, org_id: int, purpose: Purpose = Purpose.BID) -> str:
    """The supplier's virtual sub-account for a lot: prefix, lot, supplier, purpose and a Luhn digit."""
    body = f"{ACCOUNT_PREFIX}{lot_id:07d}{org_id:07d}{1 if purpose is Purpose.BID else 2}"
    return body + _luhn(body)


def parse_account(account_no: Any) -> tuple[int, int, Purpose] | None:
    """(lot id, org id, purpose) of a well-formed sub-account number, else None."""
    text = str(account_no or "")
    if len(text) != 18 or not text.isdigit() or not text.startswith(ACCOUNT_PREFIX) or _luhn(text[:-1]) != text[-1]:
        return None
    if text[16] not in "12":
        return None
    return int(text[2:9]), int(text[9:16]), Purpose.BID if text[16] == "1" else Purpose.PERFORMANCE


def deposit_of(lot_id: int, org_id: int, purpose: Purpose = Purpose.BID, lock: bool = False) -> Deposit | None:
    stmt = select(Deposit).where(Deposit.lot_id == lot_id, Deposit.org_id == org_id, Deposit.purpose == purpose)
    return db.session.scalar(stmt.with_for_update() if lock else stmt)


def _new_deposit(lot_id: int, org_id: int, purpose: Purpose, amount: int) -> Deposit:
    row = Deposit(lot_id=lot_id, org_id=org_id, purpose=purpose, amount_fen=amount, created_at=clock.now(),
                  status=DepositStatus.AWAITING)
    db.session.add(row)
    db.session.flush()
    return row


def get_deposit(deposit_id: int, lock: bool = False) -> Deposit:
    stmt = select(Deposit).where(Deposit.id == deposit_id)
    row = db.session.scalar(stmt.with_for_update() if lock else stmt)
    if row is None:
        raise NotFound("保证金记录不存在。", code="deposit_not_found")
    return row


# ------------------------------------------------------------------ transfers (the bank's notification)

def credit_transfer(bank: exchange.ExchangeSender, body: dict[str, Any], message: exchange.ExchangeMessage) -> dict:
    """A transfer into a sub-account, as the collecting bank notified it: matched to the lot and the
    supplier through the account number; the payer's account is kept."""
    parsed = parse_account(body.get("account_no"))
    amount, payer = body.get("amount_fen"), str(body.get("payer_account") or "").replace(" ", "")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0 or not payer or len(payer) > 40:
        raise ValidationError("到账通知缺少金额或付款账号。", code="deposit_credit_invalid")
    value_at = _time(body.get("value_at")) or clock.now()
    setting = setting_of(parsed[0]) if parsed else None
    if parsed is None or setting is None or not _registered(parsed[0], parsed[1]):
        raise NotFound("收款子账号不存在，无法匹配供应商和标项。", code="deposit_unknown_account")
    lot_id, org_id, purpose = parsed
    if setting.bank_sender_id != bank.id:
        raise Forbidden("该子账号不属于发送通知的银行。", code="deposit_wrong_bank")
    deposit = deposit_of(lot_id, org_id, purpose, lock=True)
    if deposit is None:
        if purpose is Purpose.PERFORMANCE or not setting.required:
            raise NotFound("该子账号当前不收款。", code="deposit_unknown_account")
        deposit = _new_deposit(lot_id, org_id, purpose, setting.amount_fen)
    if deposit.status not in (DepositStatus.AWAITING, DepositStatus.HELD):
        raise Conflict("该保证金已进入退还或没收程序，不再收款。", code="deposit_closed")
    if deposit.form is Form.GUARANTEE:
        raise Conflict("该供应商已以电子保函提交保证金。", code="deposit_closed")
    _lot, project = stages.lot_of(lot_id)
    in_time = purpose is Purpose.PERFORMANCE or value_at <= project.deadline
    credit = DepositCredit(deposit_id=deposit.id, lot_id=lot_id, amount_fen=amount, payer_account=payer,
                           payer_name=str(body.get("payer_name") or "")[:200],
                           bank_ref=str(body.get("bank_ref") or message.message_id)[:80], value_at=value_at,
                           in_time=in_time, message_id=message.id, received_at=clock.now())
    db.session.add(credit)
    deposit.form, deposit.account_no = Form.TRANSFER, account_number(lot_id, org_id, purpose)
    if in_time:
        deposit.paid_fen += amount
    if deposit.status is DepositStatus.AWAITING and deposit.paid_fen >= deposit.amount_fen:
        deposit.held_at = clock.now()
        move(deposit, DepositStatus.HELD, payload={"form": "transfer"})
    db.session.flush()
    record("deposits.credited", deposit, {"lot": lot_id, "org": org_id, "amount_fen": amount, "in_time": in_time,
                                          "payer_account": payer, "message": message.message_id,
                                          "paid_fen": deposit.paid_fen})
    return {"deposit": deposit.id, "status": deposit.status.value, "paid_fen": deposit.paid_fen,
            "in_time": in_time}


def _registered(lot_id: int, org_id: int) -> bool:
    from tender.models import Lot, Registration

    lot = db.session.get(Lot, lot_id)
    return lot is not None and db.session.scalar(select(Registration.id).where(
        Registration.project_id == lot.project_id, Registration.org_id == org_id)) is not None


def _time(value: Any) -> datetime | None:
    try:
        return clock.parse_iso_utc(value) if isinstance(value, str) else None
    except ValueError:
        return None


# ------------------------------------------------------------------ guarantee letters

def submit_guarantee(user: User, lot_id: int, letter: Any, signature: Any,
                     purpose: Purpose = Purpose.BID) -> Deposit:
    """A supplier hands in an electronic guarantee letter: signed by its issuer's registered key, made out
    for this lot and this supplier, for at least the amount due, valid over the whole bid validity."""
    from tender.bids import bidder_id_of

    require_registered(user, lot_id)
    setting = setting_of(lot_id)
    lot, project = stages.lot_of(lot_id)
    deposit = deposit_of(lot_id, user.org_id, purpose, lock=True)
    if purpose is Purpose.BID:
        if setting is None or not setting.required or Form.GUARANTEE not in setting.forms:
            raise Conflict("本标项不接受以电子保函提交投标保证金。", code="guarantee_not_accepted")
        if clock.now() > project.deadline:
            raise Conflict("投标截止后不能再提交投标保证金。", code="deadline_passed")
    elif deposit is None:
        raise Conflict("本合同未要求履约保证金。", code="guarantee_not_accepted")
    if deposit is not None and deposit.status is not DepositStatus.AWAITING:
        raise Conflict("保证金已提交，无需重复提交。", code="deposit_already_held")
    if not isinstance(letter, dict) or not isinstance(signature, str):
        raise ValidationError("保函格式有误。", code="guarantee_malformed")
    issuer = exchange.sender_by_code(str(letter.get("issuer") or ""))
    if issuer is None or issuer.channel != GUARANTEE_CHANNEL or not issuer.active:
        raise ValidationError("出具保函的银行或保险机构未在平台登记。", code="guarantee_unknown_issuer")
    if not exchange.verify_signed(issuer, letter, signature):
        raise ValidationError("保函签名验证失败，可能被篡改或非该机构出具。", code="guarantee_bad_signature")
    amount_due = setting.amount_fen if purpose is Purpose.BID else deposit.amount_fen
    if (letter.get("format") != LETTER_FORMAT or letter.get("project_code") != project.code
            or letter.get("lot") != lot.number or letter.get("applicant") != bidder_id_of(user.org)
            or letter.get("purpose") != purpose.value):
        raise ValidationError("保函所载项目、标项、申请人或用途与本次投标不符。", code="guarantee_mismatch")
    amount = letter.get("amount_fen")
    if not isinstance(amount, int) or amount < amount_due:
        raise ValidationError(f"保函金额不足（应不少于{money.format_yuan(amount_due)}元）。",
                              code="guarantee_amount_short")
    valid_from, valid_until = _day(letter.get("valid_from")), _day(letter.get("valid_until"))
    if valid_from is None or valid_until is None:
        raise ValidationError("保函有效期格式有误。", code="guarantee_malformed")
    today = clock.to_local(clock.now()).date()
    if valid_until < today:
        raise ValidationError("保函已过有效期。", code="guarantee_expired")
    if purpose is Purpose.BID:
        start = clock.to_local(project.deadline).date()
        end = date.fromordinal(start.toordinal() + setting.bid_valid_days)
        if valid_from > start or valid_until < end:
            raise ValidationError(f"保函有效期须覆盖投标有效期（{start.isoformat()} 至 {end.isoformat()}）。",
                                  code="guarantee_validity_short")
    number = str(letter.get("letter_no") or "")[:80]
    if not number or db.session.scalar(select(Deposit.id).where(Deposit.issuer_id == issuer.id,
                                                                Deposit.letter_no == number)) is not None:
        raise Conflict("该保函编号已被使用。", code="guarantee_reused")
    if deposit is None:
        deposit = _new_deposit(lot_id, user.org_id, purpose, amount_due)
    deposit.form, deposit.issuer_id, deposit.letter_no = Form.GUARANTEE, issuer.id, number
    deposit.valid_from, deposit.valid_until, deposit.letter, deposit.letter_signature = (
        valid_from, valid_until, letter, signature)
    deposit.held_at = clock.now()
    move(deposit, DepositStatus.HELD, payload={"form": "guarantee"})
    db.session.flush()
    record("deposits.guarantee_accepted", deposit, {"lot": lot_id, "org": user.org_id, "issuer": issuer.code,
                                                    "letter_no": number, "amount_fen": amount,
                                                    "valid_until": valid_until.isoformat(),
                                                    "issuer_key": issuer.fingerprint})
    return deposit


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


# ------------------------------------------------------------------ waiver

def declare_waiver(user: User, lot_id: int) -> Deposit:
    """An SME supplier declares itself exempt where the region waives deposits for SMEs (its size is
    checked at the evaluation with its 中小企业声明函)."""
    require_registered(user, lot_id)
    setting = setting_of(lot_id)
    _lot, project = stages.lot_of(lot_id)
    if setting is None or not setting.required or setting.waiver != "sme":
        raise Conflict("本标项不适用中小企业免收保证金。", code="waiver_not_applicable")
    if clock.now() > project.deadline:
        raise Conflict("投标截止后不能再申请免收。", code="deadline_passed")
    deposit = deposit_of(lot_id, user.org_id, lock=True)
    if deposit is not None:
        raise Conflict("保证金已提交或已免收。", code="deposit_already_held")
    deposit = Deposit(lot_id=lot_id, org_id=user.org_id, purpose=Purpose.BID, form=Form.WAIVED, amount_fen=0,
                      status=DepositStatus.WAIVED, held_at=clock.now(), created_at=clock.now(),
                      waiver_reason="中小企业声明免收")
    db.session.add(deposit)
    db.session.flush()
    record("deposits.waiver_declared", deposit, {"lot": lot_id, "org": user.org_id})
    return deposit


# ------------------------------------------------------------------ what each party sees

def is_valid_at_deadline(deposit: Deposit | None, deadline: datetime) -> bool:
    return deposit is not None and deposit.held_at is not None and deposit.held_at <= deadline


def state_for(lot_id: int, org_id: int) -> dict[str, Any]:
    """A supplier's deposit for a lot as its bid page shows it: what is asked, where to pay, where it stands."""
    setting = setting_of(lot_id)
    _lot, project = stages.lot_of(lot_id)
    waiver = rules.rule(project.region_code, "waiver")
    base = {"lot_id": lot_id, "required": bool(setting and setting.required), "waiver": waiver,
            "performance": performance_state(lot_id, org_id)}
    if setting is None or not setting.required:
        return base | {"status": "not_required", "status_text": N_("本标项不收取投标保证金")}
    deposit = deposit_of(lot_id, org_id)
    status = deposit.status.value if deposit else "awaiting"
    out = base | {"amount_fen": setting.amount_fen, "amount": money.format_yuan(setting.amount_fen),
                  "forms": setting.forms, "status": status, "status_text": STATUS_ZH[status],
                  "bid_valid_days": setting.bid_valid_days,
                  "valid_at_deadline": is_valid_at_deadline(deposit, project.deadline),
                  "deadline": project.deadline.isoformat(),
                  "paid_fen": deposit.paid_fen if deposit else 0}
    if Form.TRANSFER in setting.forms:
        bank = db.session.get(exchange.ExchangeSender, setting.bank_sender_id) if setting.bank_sender_id else None
        out |= {"account_no": account_number(lot_id, org_id), "bank": bank.name if bank else ""}
    if deposit is not None:
        out |= {"form": deposit.form.value if deposit.form else None, "refund_due_on": _iso(deposit.refund_due_on),
                "refunded_at": _iso(deposit.refunded_at), "forfeit_reason": deposit.forfeit_reason,
                "letter_no": deposit.letter_no, "valid_until": _iso(deposit.valid_until)}
    return out


def performance_state(lot_id: int, org_id: int) -> dict[str, Any] | None:
    """The winner's performance security for the lot, once asked: amount, sub-account, where it stands."""
    row = deposit_of(lot_id, org_id, Purpose.PERFORMANCE)
    if row is None:
        return None
    return {"id": row.id, "amount_fen": row.amount_fen, "amount": money.format_yuan(row.amount_fen),
            "account_no": row.account_no, "status": row.status.value, "status_text": STATUS_ZH[row.status.value],
            "paid_fen": row.paid_fen, "refund_due_on": _iso(row.refund_due_on)}


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None


def deposits_of_lot(lot_id: int) -> list[Deposit]:
    return list(db.session.scalars(select(Deposit).where(Deposit.lot_id == lot_id)
                                   .order_by(Deposit.purpose, Deposit.org_id)))


def opening_note(lot_id: int, org_id: int) -> str | None:
    """The note on a bidder's opening-record line when the lot requires a deposit and the bidder had no
    valid one at the deadline (Art 33: such a bid is invalid — the committee decides, the hall shows it)."""
    setting = setting_of(lot_id)
    if setting is None or not setting.required:
        return None
    _lot, project = stages.lot_of(lot_id)
    if is_valid_at_deadline(deposit_of(lot_id, org_id), project.deadline):
        return None
    return N_("未按招标文件要求提交投标保证金")


def payer_accounts(lot_id: int) -> dict[str, list[int]]:
    """Each account that paid a bid deposit of the lot → the organisations it paid for (sorted). An account
    paying for two bidders is 87号令 Art 37's collusion situation (registry's collusion signals read this)."""
    rows = db.session.execute(select(DepositCredit.payer_account, Deposit.org_id).join(Deposit)
                              .where(DepositCredit.lot_id == lot_id, Deposit.purpose == Purpose.BID)).all()
    out: dict[str, set[int]] = {}
    for account, org_id in rows:
        out.setdefault(account, set()).add(org_id)
    return {account: sorted(orgs) for account, orgs in sorted(out.items())}


def shared_payer_accounts(lot_id: int) -> dict[str, list[int]]:
    """Only the accounts that paid for more than one bidder."""
    return {a: orgs for a, orgs in payer_accounts(lot_id).items() if len(orgs) > 1}


# ------------------------------------------------------------------ refunds

def refund_day(region_code: str, start: date, key: str) -> date:
    """The last working day of a refund period counted from `start` (a local date)."""
    return get_calendar().add_workdays(start, int(rules.rule(region_code, key)))


def schedule_refund(deposit: Deposit, start: date, key: str, reason: str) -> bool:
    """Schedule a held deposit's refund (a partial or late payment too); False if there is nothing to do."""
    if deposit.status is DepositStatus.AWAITING and not deposit.credits:
        return False
    if deposit.status not in (DepositStatus.AWAITING, DepositStatus.HELD):
        return False
    _lot, project = stages.lot_of(deposit.lot_id)
    deposit.refund_from_on, deposit.refund_reason = start, reason[:200]
    deposit.refund_due_on = refund_day(project.region_code, start, key)
    move(deposit, DepositStatus.REFUND_DUE, payload={"reason": reason[:200], "from": start.isoformat(),
                                                     "due": deposit.refund_due_on.isoformat()})
    return True


def track_lot(setting: LotDeposit) -> dict | None:
    """The sweep's step for one lot: after the deadline the non-bidders' deposits go back; after the award
    notice the losers'; after the contract the winner's (and the performance security is asked); a failed
    or cancelled lot returns every one. Returns what was scheduled, or None."""
    lot, project = stages.lot_of(setting.lot_id)
    done: dict[str, Any] = {}
    deposits = [d for d in deposits_of_lot(lot.id) if d.purpose is Purpose.BID]
    today = clock.to_local(clock.now()).date()
    if stages.is_ended(lot, project):
        done["ended"] = [d.id for d in deposits if schedule_refund(d, today, "refund_other_workdays", "废标或终止")]
        setting.stage = "ended"
        return _tracked(setting, done)
    if setting.stage == "open" and not stages.bidding_closed(project):
        withdrawn = stages.withdrawals(lot.id)
        done["withdrawn"] = [d.id for d in deposits if d.org_id in withdrawn and schedule_refund(
            d, clock.to_local(withdrawn[d.org_id]).date(), "refund_other_workdays", "投标截止前撤回投标")]
        if not done["withdrawn"]:
            return None
        return _tracked(setting, done)
    if setting.stage == "open" and stages.bidding_closed(project):
        bidders = stages.bidder_org_ids(lot.id)
        start = clock.to_local(project.deadline).date()
        done["not_bidding"] = [d.id for d in deposits if d.org_id not in bidders
                               and schedule_refund(d, start, "refund_other_workdays", "未投标或已撤回投标")]
        setting.stage = "closed"
    facts = stages.award_facts(lot.id) if setting.stage in ("closed", "awarded") else None
    if facts is not None and setting.stage == "closed":
        start = clock.to_local(facts.notified_at).date()
        done["losers"] = [d.id for d in deposits if d.org_id != facts.winner_org_id
                          and schedule_refund(d, start, "refund_losers_workdays", "未中标")]
        setting.stage = "awarded"
    if facts is not None and setting.stage == "awarded" and facts.contracted_at is not None:
        start = clock.to_local(facts.contracted_at).date()
        done["winner"] = [d.id for d in deposits if d.org_id == facts.winner_org_id
                          and schedule_refund(d, start, "refund_winner_workdays", "中标，合同已签订")]
        if setting.performance_percent:
            done["performance"] = [_ask_performance(setting, facts).id]
        setting.stage = "contracted"
    return _tracked(setting, done) if done else None


def _tracked(setting: LotDeposit, done: dict) -> dict:
    record("deposits.lot_tracked", setting, {"lot": setting.lot_id, "stage": setting.stage, **done})
    return done


def _ask_performance(setting: LotDeposit, facts: stages.AwardFacts) -> Deposit:
    """The winner owes a performance security: the tender's percentage of the contract amount."""
    existing = deposit_of(setting.lot_id, facts.winner_org_id, Purpose.PERFORMANCE)
    if existing is not None:
        return existing
    amount = facts.price_fen * setting.performance_percent // 100
    row = _new_deposit(setting.lot_id, facts.winner_org_id, Purpose.PERFORMANCE, amount)
    row.contract_amount_fen = facts.price_fen
    if setting.bank_sender_id:
        row.account_no = account_number(setting.lot_id, facts.winner_org_id, Purpose.PERFORMANCE)
    record("deposits.performance_asked", row, {"lot": setting.lot_id, "org": facts.winner_org_id,
                                               "amount_fen": amount, "percent": setting.performance_percent,
                                               "contract_amount_fen": facts.price_fen})
    return row


def _tell(deposit: Deposit, title: str, body: str) -> None:
    """The supplier's message (消息), sent after the commit."""
    from core.after_commit import after_commit
    from core.tasks import send_message

    after_commit(send_message.delay, {"title": title, "body": body, "level": "info"}, org_ids=[deposit.org_id])


def send_refund(deposit: Deposit) -> str:
    """The sweep sends a scheduled refund: a transfer order to the collecting bank back to the accounts the
    money came from, or a release of the guarantee letter to its issuer. Logged as an outgoing message."""
    if deposit.form is Form.GUARANTEE:
        issuer = db.session.get(exchange.ExchangeSender, deposit.issuer_id)
        message = exchange.send(issuer, "guarantee.release", {
            "deposit": deposit.id, "letter_no": deposit.letter_no, "reason": deposit.refund_reason or ""})
    else:
        setting = setting_of(deposit.lot_id)
        bank = db.session.get(exchange.ExchangeSender, setting.bank_sender_id)
        payees: dict[tuple[str, str], int] = {}
        for credit in deposit.credits:
            key = (credit.payer_account, credit.payer_name)
            payees[key] = payees.get(key, 0) + credit.amount_fen
        message = exchange.send(bank, "deposit.refund", {
            "deposit": deposit.id, "account_no": deposit.account_no, "reason": deposit.refund_reason or "",
            "amount_fen": sum(payees.values()),
            "payees": [{"account": a, "name": n, "amount_fen": v} for (a, n), v in sorted(payees.items())]})
    deposit.refund_message_id, deposit.refund_sent_at = message.message_id, clock.now()
    move(deposit, DepositStatus.REFUND_SENT, payload={"message": message.message_id})
    what = "保函解除通知已发送出具机构" if deposit.form is Form.GUARANTEE else "退款指令已发送银行，款项原路退回"
    _tell(deposit, "保证金退还", f"{what}（{deposit.refund_reason or ''}，期限 {deposit.refund_due_on.isoformat()}）。")
    return message.message_id


def confirm_refund(sender: exchange.ExchangeSender, body: dict[str, Any], message: exchange.ExchangeMessage) -> dict:
    """The bank (or the issuer) confirms a refund order (or a release): the deposit is refunded."""
    ref = str(body.get("refund_message_id") or "")
    deposit = db.session.scalar(select(Deposit).where(Deposit.refund_message_id == ref).with_for_update())
    if deposit is None or not ref:
        raise NotFound("没有这笔退还指令。", code="deposit_unknown_refund")
    if deposit.status is DepositStatus.REFUNDED:
        raise Conflict("该保证金已退还，不能重复确认。", code="deposit_already_refunded")
    exchange.acknowledge(sender, ref, message)
    deposit.refunded_at = clock.now()
    move(deposit, DepositStatus.REFUNDED, payload={"message": message.message_id})
    late = clock.to_local(deposit.refunded_at).date() > deposit.refund_due_on
    record("deposits.refunded", deposit, {"lot": deposit.lot_id, "org": deposit.org_id, "refund": ref,
                                          "due": deposit.refund_due_on.isoformat(), "late": late})
    return {"deposit": deposit.id, "status": deposit.status.value, "late": late}


def flag_overdue(deposit: Deposit) -> str:
    """A refund not confirmed by its last working day: flagged once, for the agency and the supervisor."""
    deposit.overdue_at = clock.now()
    record("deposits.refund_overdue", deposit, {"lot": deposit.lot_id, "org": deposit.org_id,
                                                "due": deposit.refund_due_on.isoformat()})
    return deposit.refund_due_on.isoformat()


def refund_deposit(user: User, deposit_id: int, reason: str) -> Deposit:
    """The agency refunds one deposit now (e.g. a withdrawal before the deadline); never twice."""
    deposit = get_deposit(deposit_id, lock=True)
    require_staff(user, deposit.lot_id)
    if deposit.status in (DepositStatus.REFUND_DUE, DepositStatus.REFUND_SENT, DepositStatus.REFUNDED):
        raise Conflict("该保证金已在退还中或已退还，不能重复退还。", code="deposit_already_refunded")
    if deposit.status is DepositStatus.FORFEITED:
        raise Conflict("该保证金已决定不予退还。", code="deposit_forfeited")
    reason = (reason or "").strip() or "代理机构办理退还"
    if not schedule_refund(deposit, clock.to_local(clock.now()).date(), "refund_other_workdays", reason):
        raise Conflict("该保证金没有可退还的款项。", code="deposit_nothing_to_refund")
    record("deposits.refund_ordered", deposit, {"lot": deposit.lot_id, "org": deposit.org_id, "reason": reason})
    return deposit


def forfeit_deposit(user: User, deposit_id: int, reason_code: str, note: str = "") -> Deposit:
    """A deposit is kept (87号令 Art 38): the bidder withdrew after the deadline or, as the winner, refused to
    sign the contract. The reason is recorded and audited; a deposit already refunded cannot be."""
    deposit = get_deposit(deposit_id, lock=True)
    require_staff(user, deposit.lot_id)
    if reason_code not in FORFEIT_REASONS:
        raise ValidationError("请选择不予退还的法定情形。", code="forfeit_reason_invalid")
    if deposit.status is not DepositStatus.HELD or deposit.purpose is not Purpose.BID:
        raise Conflict("只有已缴纳、尚未退还的投标保证金可以不予退还。", code="deposit_not_held")
    reason = f"{FORFEIT_REASONS[reason_code]}" + (f"：{note.strip()[:200]}" if note and note.strip() else "")
    deposit.forfeited_at, deposit.forfeit_reason = clock.now(), reason
    move(deposit, DepositStatus.FORFEITED, payload={"reason": reason_code})
    _tell(deposit, "保证金不予退还", f"您的投标保证金不予退还：{reason}。")
    record("deposits.forfeited", deposit, {"lot": deposit.lot_id, "org": deposit.org_id, "reason": reason_code,
                                           "note": (note or "")[:200], "amount_fen": deposit.paid_fen})
    return deposit


def release_performance_security(user: User, deposit_id: int, acceptance_ref: str) -> Deposit:
    """After the contract's acceptance (履约验收) the winner's performance security goes back within the
    region's working days. Called by the acceptance when it lands; the agency may call it with the report."""
    deposit = get_deposit(deposit_id, lock=True)
    require_staff(user, deposit.lot_id)
    if deposit.purpose is not Purpose.PERFORMANCE:
        raise Conflict("这不是履约保证金。", code="deposit_not_performance")
    if deposit.status is not DepositStatus.HELD:
        raise Conflict("履约保证金尚未缴纳，或已退还。", code="deposit_not_held")
    ref = (acceptance_ref or "").strip()
    if not ref:
        raise ValidationError("请填写验收报告编号。", code="acceptance_ref_missing")
    today = clock.to_local(clock.now()).date()
    schedule_refund(deposit, today, "performance_release_workdays", f"履约验收合格（{ref}）")
    record("deposits.performance_released", deposit, {"lot": deposit.lot_id, "org": deposit.org_id,
                                                      "acceptance": ref[:100]})
    return deposit


def release_on_acceptance(contract: Any, acceptance: Any) -> Deposit | None:
    """A tender contract's acceptance passed (contracts.acceptance): the winner's performance security held
    for its lot goes back within the region's working days, with no one to click."""
    lot_id = stages.lot_of_contract(contract)
    deposit = deposit_of(lot_id, contract.supplier_org_id, Purpose.PERFORMANCE, lock=True) if lot_id else None
    if deposit is None or deposit.status is not DepositStatus.HELD:
        return None
    today = clock.to_local(clock.now()).date()
    schedule_refund(deposit, today, "performance_release_workdays", f"履约验收合格（第 {acceptance.round} 次验收）")
    record("deposits.performance_released", deposit, {"lot": deposit.lot_id, "org": deposit.org_id,
                                                      "acceptance": f"contract_acceptance:{acceptance.id}"})
    return deposit


def org_name(org_id: int) -> str:
    org = db.session.get(Org, org_id)
    return org.name if org else ""
