"""A tender project as the notice centre shows it: its facts, the sections of 财办库〔2020〕50号 and the buttons
of its stage, registered with `notices.subjects` so the notice kit never imports tender.

The sections follow the national formats (财办库〔2020〕50号《政府采购公告和公示信息格式规范（2020年版）》):
a procurement notice (采购公告) has 项目基本情况 with the 采购需求 (each lot: what, its budget and highest
price), 申请人的资格要求, 获取招标文件, 提交投标文件截止时间、开标时间和地点, 公告期限, 其他补充事宜 and
联系方式; a result, failure, correction or contract notice has the project's 项目概况, its 公告期限 where the
rules fix one, and 联系方式. The texts the project does not record (a lot's brands and specifications are in
the tender document) say where to find them rather than inventing them.

A visitor sees 登录后报名 only while the documents are on offer (published or bidding, before the end of
the document period); a closed project's result notice offers nothing to sign up for.
"""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _

from accounts.models import User
from core import clock, money
from core.db import db
from notices import subjects
from notices.models import Notice
from region_rules import store
from tender import service
from tender.models import Project
from tender.transitions import OpeningMode

PROCUREMENT_KINDS = ("tender", "correction", "clarification")
RESULT_PERIOD_KEY = "award.result_notice_period_workdays"  # evaluation's declaration (evaluation.periods)


def load(project_id: int) -> Project | None:
    return db.session.get(Project, project_id)


def facts(project: Project) -> subjects.Facts:
    return subjects.Facts(method=project.method.value, catalogue_code=project.catalogue_code)


def _catalogue_name(code: str) -> str:
    from registry.catalogue.service import names_of

    return names_of([code]).get(code, "")


def _yuan(fen: int) -> str:
    return _("%(amount)s 元", amount=money.format_yuan(fen))


def _overview(project: Project, notice: Notice) -> subjects.Section:
    name = _catalogue_name(project.catalogue_code)
    rows = [(_("项目编号"), project.code), (_("项目名称"), project.title),
            (_("采购方式"), _(service.METHOD_ZH[project.method.value])),
            (_("采购品目"), f"{project.catalogue_code} {name}".strip()),
            (_("预算金额"), _yuan(project.budget_fen)),
            (_("最高限价"), _yuan(sum(lot.max_price_fen for lot in project.lots)))]
    if notice.lot_id is not None:
        lot = next((lot for lot in project.lots if lot.id == notice.lot_id), None)
        if lot is not None:
            rows.append((_("标项"), f"{lot.number} {lot.name}"))
    return subjects.Section(_("项目概况"), rows)


def _needs(project: Project) -> subjects.Section:
    return subjects.Section(
        _("采购需求"), (),
        (_("标项"), _("标的名称"), _("品目"), _("数量"), _("预算金额"), _("最高限价")),
        [(str(lot.number), lot.name, _(service.CATEGORY_ZH[project.category.value]), _("1 项"),
          _yuan(lot.budget_fen), _yuan(lot.max_price_fen)) for lot in project.lots],
        _("品牌、规格型号、技术参数及数量明细见招标文件（供应商报名后下载）。"))


def _qualifications(project: Project) -> subjects.Section:
    rows = [(_("基本条件"), _("满足《中华人民共和国政府采购法》第二十二条规定")),
            (_("信用要求"), _("未被列入失信被执行人、重大税收违法失信主体、政府采购严重违法失信行为记录名单"))]
    if project.sme_percent is not None:
        rows.append((_("落实政府采购政策"), _("小微企业价格扣除 %(p)s%%（财库〔2020〕46号）", p=project.sme_percent)))
    return subjects.Section(_("申请人的资格要求"), rows)


def _documents(project: Project) -> subjects.Section:
    return subjects.Section(_("获取招标文件"), [
        (_("时间"), f"{clock.format_local(project.doc_start_at)} — {clock.format_local(project.doc_end_at)}"),
        (_("地点"), _("标云政府采购电子交易平台（本网站）")),
        (_("方式"), _("供应商登录后在本项目页面报名并在线下载")),
        (_("售价"), _("0 元"))])


def _files(project: Project) -> subjects.Section:
    """The tender documents by name and digest: a registered supplier downloads them on the project's page,
    anyone can check a copy against the digest."""
    return subjects.Section(_("采购文件"), (), (_("文件"), _("大小（字节）"), "SHA-256"),
                            [(d.name, str(d.size), d.sha256) for d in project.documents],
                            _("供应商报名后在项目页面下载；任何人可用上列摘要核对所得文件。"))


def _submission(project: Project) -> subjects.Section:
    return subjects.Section(_("响应文件提交"), [
        (_("截止时间"), f"{clock.format_local(project.deadline)}（{_('北京时间')}）"),
        (_("地点"), _("本平台在线提交加密投标文件，逾期送达的不予接收"))])


def _opening(project: Project) -> subjects.Section:
    how = (_("网上开标，密钥保管人联合解密") if project.opening_mode == OpeningMode.CUSTODIAN
           else _("网上开标，投标人自行解密"))
    return subjects.Section(_("开启"), [(_("时间"), clock.format_local(project.deadline)), (_("方式"), how),
                                        (_("解密时限"), _("%(n)s 分钟", n=project.decrypt_window_minutes))])


def _period(notice: Notice, project: Project) -> subjects.Section | None:
    if notice.kind in PROCUREMENT_KINDS:
        days = int(store.value(project.region_code, "procurement_notice_workdays"))
    elif notice.kind == "result":
        days = int(store.value(project.region_code, RESULT_PERIOD_KEY))
    else:
        return None
    return subjects.Section(_("公告期限"), [(_("期限"), _("自本公告发布之日起 %(n)s 个工作日", n=days))])


def _contacts(project: Project) -> subjects.Section:
    staff = db.session.get(User, project.created_by_id)
    rows = [(_("采购人"), project.purchaser.name), (_("采购代理机构"), project.agency.name)]
    if staff is not None:
        rows.append((_("项目联系人"), staff.name + (f"（{staff.phone}）" if staff.phone else "")))
    return subjects.Section(_("联系方式"), rows)


def sections(notice: Notice, project: Project) -> list[subjects.Section]:
    """The notice's sections: the whole procurement notice for 采购公告 and its corrections, the project's
    overview, period and contacts for the notices after it."""
    if notice.kind in PROCUREMENT_KINDS:
        out = [_overview(project, notice), _needs(project), _qualifications(project), _documents(project),
               _files(project), _submission(project), _opening(project), _period(notice, project)]
    else:
        out = [_overview(project, notice), _period(notice, project)]
    return [s for s in out if s is not None] + [_contacts(project)]


def is_open_for_registration(project: Project) -> bool:
    """Whether a supplier may still sign up: documents on offer and the deadline not passed."""
    now = clock.now()
    return project.status in service.OPEN_FOR_SUPPLIERS and now < project.doc_end_at and now < project.deadline


def actions(notice: Notice, project: Project, user) -> list[subjects.Action]:
    """The buttons of the project's stage: sign up while documents are on offer; afterwards the project's
    page for those who may see it, nothing to sign up for."""
    page = url_for("tender.project", project_id=project.id)
    signed_in = bool(user is not None and user.is_authenticated)
    if is_open_for_registration(project) and notice.kind in PROCUREMENT_KINDS:
        if signed_in:
            return [subjects.Action(_("进入项目报名"), page, primary=True)]
        return [subjects.Action(_("登录后报名"), url_for("accounts.login", next=page), primary=True)]
    return [subjects.Action(_("进入项目"), page)] if signed_in else []


TENDER_SUBJECT = subjects.register(subjects.SubjectKind(
    subject_type=Project.__tablename__, load=load, facts=facts, sections=sections, actions=actions,
    methods=dict(service.METHOD_ZH)))
