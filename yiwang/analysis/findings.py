"""The plain sentences that open each section of 分析研判, made from the selectors' numbers.

Staff in streets and communities read these first: names, not codes; "明显偏多" where the hot-spot
test flags a cell, "略多" where only the single test does, nothing otherwise; counts with thousands
separators, expected levels and percentages rounded to what a person says. The statistics behind
them stay in the page's 统计细节.
"""

from __future__ import annotations

from django.utils.translation import get_language, gettext, ngettext

from yiwang.core.templatetags.numbers import thousands_text

LISTED = 3  # hot spots named in a sentence; the rest are counted
SIMILAR_SHARE = 0.1  # next week within 10% (or two cases) of this week reads as "相近"
SIMILAR_CASES = 2


# Words for numbers --------------------------------------------------------------------------------

def count_text(n: int) -> str:
    """12 → "12件"; 12345 → "12,345件"."""
    return ngettext("%(count)s件", "%(count)s件", n) % {"count": thousands_text(n)}


def about_text(value: float) -> str:
    """An expected or averaged count as a person says it: "约9件", "不到1件"."""
    rounded = int(value + 0.5)
    if rounded < 1:
        return gettext("不到1件")
    return gettext("约%(cases)s") % {"cases": count_text(rounded)}


def usual_text(expected: float) -> str:
    return gettext("平时%(about)s") % {"about": about_text(expected)}


def percent_text(fraction: float) -> str:
    """0.314 → "31%"; 0.004 → "不到1%"; whole percents, since a tenth of a percent means nothing here."""
    if 0 < fraction < 0.01:
        return gettext("不到1%")
    return f"{int(fraction * 100 + 0.5)}%"


def listing(items: list[str]) -> str:
    return gettext("、").join(items)


def sentences(*parts: str) -> str:
    """Sentences one after the other: Chinese runs them together, English puts a space between."""
    joiner = "" if (get_language() or "zh-hans").startswith("zh") else " "
    return joiner.join(p for p in parts if p)


# 1. Hot spots -------------------------------------------------------------------------------------

def _spot(spot) -> str:
    return gettext("%(grid)s的%(matter)s（%(cases)s，%(usual)s）") % {
        "grid": spot.grid.name, "matter": spot.matter.name, "cases": count_text(spot.observed), "usual": usual_text(spot.expected)}


def _spots(spots: list) -> str:
    named = listing([_spot(s) for s in spots[:LISTED]])
    if len(spots) <= LISTED:
        return named
    return gettext("%(items)s等%(total)s处") % {"items": named, "total": thousands_text(len(spots)), "more": thousands_text(len(spots) - LISTED)}


def hotspot_finding(window) -> str:
    """window: a selectors.HotSpotWindow (days, tested, hotspots flagged by the test, elevated ones)."""
    days = window.days
    if not window.tested:
        return gettext("近%(days)s天没有事件。") % {"days": days}
    flagged, elevated = window.hotspots, window.elevated
    if flagged:
        grids = len({s.grid.pk for s in flagged})
        first = ngettext("近%(days)s天，这个网格事件明显偏多：%(items)s。", "近%(days)s天，这几个网格事件明显偏多：%(items)s。", grids) % {
            "days": days, "items": _spots(flagged)}
        second = gettext("另外，%(items)s略多。") % {"items": _spots(elevated)} if elevated else ""
        return sentences(first, second)
    if elevated:
        return gettext("近%(days)s天没有网格明显偏多，%(items)s略多。") % {"days": days, "items": _spots(elevated)}
    return gettext("近%(days)s天没有哪个网格的事件比平时明显偏多。") % {"days": days}


# Matters by share ---------------------------------------------------------------------------------

def _share(share, total: int, *, where: bool) -> str:
    values = {"matter": share.name, "share": percent_text(share.count / total), "grid": share.top_grid}
    # "Mostly in" only when one place holds most of a matter that is not a one-off.
    if where and share.count >= 3 and share.top_grid_count * 2 > share.count:
        return gettext("%(matter)s（占%(share)s，多在%(grid)s）") % values
    return gettext("%(matter)s（占%(share)s）") % values


def matter_finding(shares) -> str:
    """shares: a selectors.MatterShares (since, until, total, matters most first)."""
    days, total = shares.days, shares.total
    if not total or not shares.matters:
        return gettext("近%(days)s天没有事件。") % {"days": days}
    first = shares.matters[0]
    if len(shares.matters) == 1 and first.count == total:
        return gettext("近%(days)s天共%(cases)s，都是%(matter)s。") % {"days": days, "cases": count_text(total), "matter": first.name}
    values = {"days": days, "cases": count_text(total), "first": _share(first, total, where=True),
              "rest": listing([_share(s, total, where=False) for s in shares.matters[1:3]])}
    if len(shares.matters) == 1:
        return gettext("近%(days)s天共%(cases)s，最多的是%(first)s。") % values
    return gettext("近%(days)s天共%(cases)s，最多的是%(first)s，其次是%(rest)s。") % values


# 2. Forecast --------------------------------------------------------------------------------------

def forecast_finding(total) -> str:
    """total: a selectors.WeeklyTotal (the units' weeks added up, its forecast and back-test)."""
    if not total.weeks or total.forecast is None:
        return gettext("历史数据还不足一周，暂时无法预测下周。")
    expected = int(total.forecast + 0.5)
    this_week = total.weeks[-1]
    diff = expected - this_week
    values = {"next": count_text(expected), "this": count_text(this_week), "diff": count_text(abs(diff))}
    if abs(diff) <= max(SIMILAR_CASES, SIMILAR_SHARE * this_week):
        first = gettext("下周预计约%(next)s，与本周（%(this)s）相近。") % values
    elif diff > 0:
        first = gettext("下周预计约%(next)s，比本周（%(this)s）多约%(diff)s。") % values
    else:
        first = gettext("下周预计约%(next)s，比本周（%(this)s）少约%(diff)s。") % values
    second = ""
    if total.backtest.mae is not None and len(total.backtest.pairs) >= 2:
        second = gettext("用同样的方法回看过去%(weeks)s周，预测与实际平均每周相差%(error)s。") % {
            "weeks": len(total.backtest.pairs), "error": about_text(total.backtest.mae)}
    return sentences(first, second)


# 3. Recurring addresses, repeat callers, duplicates, workload -------------------------------------

def addresses_finding(rows: list, *, days: int, min_cases: int) -> str:
    if not rows:
        return gettext("近%(days)s天没有地址反复上报（至少%(min)s件）。") % {"days": days, "min": min_cases}
    top = rows[0]
    return ngettext("近%(days)s天有%(n)s个地址反复上报（至少%(min)s件），最多的是%(label)s（%(cases)s）。",
                    "近%(days)s天有%(n)s个地址反复上报（至少%(min)s件），最多的是%(label)s（%(cases)s）。", len(rows)) % {
        "days": days, "n": thousands_text(len(rows)), "min": min_cases, "label": top.label, "cases": count_text(top.count)}


def callers_finding(rows: list, *, days: int, min_cases: int) -> str:
    if not rows:
        return gettext("近%(days)s天没有人反复来电（至少%(min)s次）。") % {"days": days, "min": min_cases}
    return ngettext("近%(days)s天有%(n)s位来电人反复反映（至少%(min)s次），最多的一位%(calls)s次。",
                    "近%(days)s天有%(n)s位来电人反复反映（至少%(min)s次），最多的一位%(calls)s次。", len(rows)) % {
        "days": days, "n": thousands_text(len(rows)), "min": min_cases, "calls": thousands_text(rows[0].count)}


def clusters_finding(clusters: list) -> str:
    if not clusters:
        return gettext("没有发现可能重复上报而未并案的事件。")
    top = clusters[0]
    return ngettext("有%(n)s组事件可能是同一问题被重复上报、还没有并案，最大的一组%(cases)s，是%(grids)s的%(matter)s。",
                    "有%(n)s组事件可能是同一问题被重复上报、还没有并案，最大的一组%(cases)s，是%(grids)s的%(matter)s。", len(clusters)) % {
        "n": thousands_text(len(clusters)), "cases": count_text(len(top.numbers)), "grids": listing(top.grids), "matter": top.matter}


def workload_finding(workers: list, departments: list) -> str:
    if not workers and not departments:
        return gettext("这段时间没有工作量记录。")
    parts = []
    busiest = max(workers, key=lambda w: w.open_now, default=None)  # the first of equals, in the list's order
    if busiest is not None and busiest.open_now:
        parts.append(gettext("个人在办最多的是%(name)s（%(cases)s）。") % {"name": busiest.name, "cases": count_text(busiest.open_now)})
    late = max(departments, key=lambda d: d.overdue_now, default=None)
    if late is not None and late.overdue_now:
        parts.append(gettext("超期在办最多的部门是%(name)s（%(cases)s），需要督办。") % {"name": late.name, "cases": count_text(late.overdue_now)})
    elif departments:
        parts.append(gettext("目前没有部门超期在办。"))
    return sentences(*parts) or gettext("目前没有人员或部门名下有在办事件。")
