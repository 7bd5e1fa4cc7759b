"""The site's one menu: every entry of the header menu and of the phone's tab bar, each with the rule
that decides whether this user may open it, so no role is shown a link that answers 403.

The rules are the apps' own (`is_staff`, `is_command_center_staff`, `is_account_admin`, the case
channels…); `tests/test_menu.py` opens every entry as each role to keep them in step with the pages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from yiwang.accounts.selectors import is_account_admin
from yiwang.advisor.selectors import may_see_advisor
from yiwang.cases.permissions import report_channels
from yiwang.core.scope import Role, is_command_center_staff, is_staff, scope_path
from yiwang.gridwork import services as gridwork_services
from yiwang.imports.services import may_import
from yiwang.simulator.selectors import may_simulate


def _anyone(user) -> bool:
    return True


def _anonymous(user) -> bool:
    return not user.is_authenticated


def _signed_in(user) -> bool:
    return user.is_authenticated and user.is_active


def _resident(user) -> bool:
    return _signed_in(user) and not user.is_superuser and user.role == Role.RESIDENT


def _public(user) -> bool:
    """The residents' pages: for visitors and residents; staff have their own pages of the same things."""
    return not is_staff(user)


def _scoped_staff(user) -> bool:
    # Pages that start from the user's region (the map, grid work) have nothing to show without one.
    return is_staff(user) and scope_path(user) is not None


def _may_report(user) -> bool:
    return is_staff(user) and bool(report_channels(user, desk=False))


def _may_record_visits(user) -> bool:
    return _scoped_staff(user) and gridwork_services.may_record(user)


def _django_admin(user) -> bool:
    return _signed_in(user) and user.is_staff


@dataclass(frozen=True)
class Entry:
    key: str
    label: str
    url_name: str
    icon: str  # one or two characters shown above the label in the phone's tab bar
    may_open: Callable[[object], bool]
    testid: str = ""

    @property
    def url(self) -> str:
        return reverse(self.url_name)


# In the header's order. Labels are short: they are also the tab bar's words.
ENTRIES: tuple[Entry, ...] = (
    # Visitors and residents
    Entry("report", _("随手拍"), "resident-report", "拍", _public),
    Entry("my-reports", _("我的上报"), "my-reports", "报", _resident),
    Entry("track", _("办理进度"), "track", "查", _public),
    Entry("activities-public", _("社区活动"), "activities:public", "活", _public),
    Entry("wishes-public", _("微心愿"), "wishes:public", "愿", _public),
    Entry("deliberation-public", _("居民议事"), "deliberation:public", "议", _public),
    Entry("votes-public", _("投票问卷"), "votes:public", "投", _public),
    Entry("points-public", _("积分银行"), "pointsbank:public", "分", _resident),
    Entry("volunteers-mine", _("双报到/志愿服务"), "volunteers:mine", "志", _resident),
    # Staff
    Entry("command", _("指挥中心"), "command:index", "指", is_command_center_staff),
    Entry("inbox", _("待办"), "case-inbox", "办", is_staff, testid="nav-inbox"),
    Entry("cases", _("事件"), "case-list", "事", is_staff),
    Entry("case-report", _("上报"), "case-report", "报", _may_report),
    Entry("summons", _("吹哨报到"), "summons-list", "哨", is_staff),
    Entry("supervision", _("督办"), "supervision-list", "督", is_command_center_staff),
    Entry("patrol", _("巡查"), "gridwork:new_patrol", "巡", _may_record_visits),
    Entry("visit", _("走访"), "gridwork:new_visit", "访", _may_record_visits),
    Entry("map", _("Map"), "map", "图", _scoped_staff),
    Entry("persons", _("Residents"), "persons", "人", is_staff),
    Entry("coverage", _("Party coverage"), "coverage", "党", is_staff),
    Entry("duties", _("清单"), "duties:index", "单", is_staff),
    Entry("links", _("联点"), "links:index", "联", is_staff),
    Entry("ab-roles", _("AB角"), "ab_roles:index", "AB", is_staff),
    Entry("activities", _("活动"), "activities:index", "活", is_staff),
    Entry("gridwork", _("网格日常"), "gridwork:index", "格", _scoped_staff),
    Entry("campaigns", _("专项排查"), "campaigns:index", "查", is_staff),
    Entry("wishes", _("微心愿"), "wishes:index", "愿", is_staff),
    Entry("volunteers", _("双报到"), "volunteers:index", "志", is_staff),
    Entry("pointsbank", _("积分银行"), "pointsbank:index", "分", is_staff),
    Entry("deliberation", _("议事"), "deliberation:index", "议", is_staff),
    Entry("votes", _("投票"), "votes:index", "投", is_staff),
    Entry("alliance", _("联盟"), "alliance:index", "盟", is_staff),
    Entry("assessment", _("考评"), "assessment:index", "评", is_staff),
    Entry("analysis", _("分析研判"), "analysis:index", "析", is_command_center_staff),
    Entry("simulator", _("情景推演"), "simulator:index", "推", may_simulate),
    Entry("advisor", _("网格优化"), "advisor:index", "优", may_see_advisor),
    Entry("reviews", _("督导调度"), "reviews:index", "督", is_command_center_staff),
    Entry("forces", _("网格力量"), "forces:index", "力", is_command_center_staff),
    Entry("imports", _("事件导入"), "imports:cases", "导", may_import),
    Entry("people", _("辖区账号"), "accounts:people", "账", is_account_admin),
    Entry("audit", _("审计日志"), "accounts:audit-log", "审", is_account_admin),
    Entry("exports", _("我的导出"), "exports:index", "出", is_staff, testid="nav-exports"),
    Entry("admin", _("Admin"), "admin:index", "管", _django_admin),
    Entry("api", "API", "api:openapi-view", "API", is_staff),
    Entry("account", _("我的"), "accounts:security", "我", _signed_in, testid="account-security"),
    Entry("login", _("工作人员登录"), "login", "登", _anonymous),
)
BY_KEY = {entry.key: entry for entry in ENTRIES}

# The phone's tab bar: the first entries of each list this user may open, at most MAX_TABS; every
# other entry goes under "更多".
MAX_TABS = 5
TABS: dict[str, tuple[str, ...]] = {
    Role.GRID_WORKER: ("inbox", "case-report", "patrol", "visit", "account"),
    Role.COMMUNITY: ("inbox", "case-report", "cases", "map", "account"),
    Role.STREET: ("command", "inbox", "cases", "map", "account"),
    Role.DISTRICT: ("command", "inbox", "cases", "map", "account"),
    Role.DEPARTMENT: ("inbox", "cases", "map", "account"),
    Role.RESIDENT: ("report", "my-reports", "wishes-public", "activities-public", "account"),
}
VISITOR_TABS = ("report", "track", "wishes-public", "activities-public", "login")
SUPERUSER_TABS = TABS[Role.DISTRICT]


@dataclass(frozen=True)
class Link:
    key: str
    label: str
    url: str
    icon: str
    testid: str
    current: bool


@dataclass(frozen=True)
class Menu:
    links: list[Link]  # everything this user may open, header order (the "我的" entry last)
    tabs: list[Link]  # the phone's tab bar
    more: list[Link]  # the rest, under "更多" on a phone


def _is_current(url: str, path: str) -> bool:
    return path == url if url == "/" else path.startswith(url)


def menu_for(user, path: str = "") -> Menu:
    links = [Link(e.key, str(e.label), e.url, e.icon, e.testid, _is_current(e.url, path)) for e in ENTRIES if e.may_open(user)]
    if not user.is_authenticated:
        wanted = VISITOR_TABS
    elif user.is_superuser:
        wanted = SUPERUSER_TABS
    else:
        wanted = TABS.get(user.role, ())
    by_key = {link.key: link for link in links}
    tabs = [by_key[key] for key in wanted if key in by_key][:MAX_TABS]
    tab_keys = {link.key for link in tabs}
    return Menu(links=links, tabs=tabs, more=[link for link in links if link.key not in tab_keys])
