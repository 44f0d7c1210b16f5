"""What each role's dashboard shows. Feature packages add panels through `panel`.

A panel is a title, a one-line explanation of what will appear there (the empty state),
its items (loaded by the feature's service), and the link to act on them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from accounts.models import Role, User


@dataclass
class Panel:
    title: str
    empty: str
    items: list[dict] = field(default_factory=list)
    link: str | None = None
    link_text: str | None = None


PanelSource = Callable[[User], Panel | None]  # None: nothing for this user (no card at all)
PANELS: dict[Role, list[PanelSource]] = {}


def panel(*roles: Role) -> Callable[[PanelSource], PanelSource]:
    def decorator(fn: PanelSource) -> PanelSource:
        for role in roles:
            PANELS.setdefault(role, []).append(fn)
        return fn

    return decorator


# Until the feature packages land, each role still sees what its dashboard is for.
EMPTY_STATES: dict[Role, list[tuple[str, str]]] = {
    Role.AGENCY_STAFF: [(_l("我的采购项目"),
                         _l("您经办的项目会按阶段列在这里：公告期、投标中、待开标、评审中、待签约。")),
                        (_l("今日开标"), _l("今天到开标时间的项目会出现在这里，并可进入网上开标大厅。"))],
    Role.SUPPLIER: [(_l("我参与的项目"), _l("您报名的项目、投标截止时间和投标状态会显示在这里。")),
                    (_l("待处理"), _l("澄清答复、开标解密、评审澄清等待您处理的事项会显示在这里。"))],
    Role.EXPERT: [(_l("评审邀请"), _l("被抽中后，评审时间和地点（或远程评审室）会显示在这里，请及时确认。")),
                  (_l("我的评审"), _l("进行中和已完成的评审会显示在这里。"))],
    Role.PURCHASER: [(_l("采购计划"), _l("本单位的采购计划及其审批进度会显示在这里。")),
                     (_l("采购项目"), _l("委托采购的项目进度、评审结果和合同会显示在这里。"))],
    Role.SUPERVISOR: [(_l("监管动态"), _l("开标、专家抽取、评审、质疑投诉等关键环节会实时显示在这里。")),
                      (_l("诚信预警"), _l("供应商、专家和代理机构的诚信预警会显示在这里。"))],
    Role.FINANCE_REVIEWER: [(_l("待审采购计划"), _l("需要您审核的采购计划会显示在这里。"))],
    Role.ADMIN: [(_l("平台运行"), _l("审计日志校验、服务状态和用户管理入口会显示在这里。"))],
}


def panels_for(user: User) -> list[Panel]:
    panels: list[Panel] = []
    seen: set[PanelSource] = set()  # a panel of several roles appears once for a user holding two of them
    for role in sorted(user.roles):
        sources = PANELS.get(role, [])
        for source in sources:
            if source not in seen:
                seen.add(source)
                if (found := source(user)) is not None:
                    panels.append(found)
        if not sources:
            panels.extend(Panel(title=str(t), empty=str(e)) for t, e in EMPTY_STATES.get(role, []))
    return panels


PUBLIC_SOURCES: list[Callable[[], list[Panel]]] = []


def public_section(fn: Callable[[], list[Panel]]) -> Callable[[], list[Panel]]:
    """Feature packages add the sections of the public home page (notices, results…)."""
    PUBLIC_SOURCES.append(fn)
    return fn


def public_sections() -> list[Panel]:
    sections = [panel for source in PUBLIC_SOURCES for panel in source()]
    return sections or [Panel(title=str(_l("采购公告")), empty=str(_l("正在公告的采购项目会列在这里。"))),
                        Panel(title=str(_l("结果公告")), empty=str(_l("中标（成交）结果公告会列在这里。")))]


@dataclass
class NavItem:
    label: str
    endpoint: str
    roles: tuple[Role, ...]
    more: bool = False  # a page used now and then (settings, calendars): under 更多, so the header keeps one row
    when: Callable[[User], bool] | None = None  # a further condition on the user (an organisation's administrator)


NAV: list[NavItem] = []


def nav_item(label, endpoint: str, *roles: Role, more: bool = False,
             when: Callable[[User], bool] | None = None) -> None:
    """Feature packages add their top-level pages to the navigation of the roles that use them; `more` puts
    an occasional page under the header's 更多; `when` narrows it to the users it holds for."""
    NAV.append(NavItem(label, endpoint, roles, more, when))


def nav_items(user: User) -> list[dict]:
    from flask import url_for

    return [{"label": str(item.label), "url": url_for(item.endpoint), "more": item.more} for item in NAV
            if (not item.roles or user.has_role(*item.roles)) and (item.when is None or item.when(user))]


DeadlineSource = Callable[[User | None], dict | None]
DEADLINE_SOURCES: list[DeadlineSource] = []


def next_deadline(user: User | None) -> dict | None:
    """The nearest upcoming deadline any feature knows for this user: {"label", "at"}. One already past
    (a sweep has not moved its object yet) is not "next": the bar moves on to the one after it."""
    from core import clock

    now = clock.now()
    found = [d for source in DEADLINE_SOURCES if (d := source(user)) and d["at"] > now]
    return min(found, key=lambda d: d["at"]) if found else None
