"""分析研判 page: one page, one tab at a time (only the tab shown is computed), for the region chosen."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from yiwang.core.params import checked_int_param

from . import charts, findings
from . import selectors as sel

# The filters' labels, so a refusal names the field as the form shows it.
FIELD_LABELS = {"as_of": _("截至日期"), "since": _("起始日期"), "until": _("截止日期"), "window": _("窗口"), "min_cases": _("至少件数"),
                "radius_m": _("半径（米）"), "hours": _("间隔（小时）")}
TABS = [("hotspots", _("热点")), ("addresses", _("重复地址")), ("callers", _("重复来电")), ("clusters", _("疑似重复")),
        ("workload", _("工作量")), ("forecast", _("预测"))]


def _date(value: str, name: str) -> date | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValidationError({name: "日期格式应为 YYYY-MM-DD"}) from None
    return sel.check_day(day, name)


@login_required
def index(request):
    scope = sel.scope_for(request.user, request.GET.get("region", "").strip() or None)
    tab = request.GET.get("tab", "hotspots")
    if tab not in dict(TABS):
        tab = "hotspots"
    context = {"scope": scope, "tab": tab, "tabs": TABS, "windows": sel.WINDOWS, "error": None, "charts": {}}
    params = {k: request.GET.get(k, "").strip() for k in ("as_of", "window", "since", "until", "min_cases", "radius_m", "hours")}
    context["params"] = params
    try:
        as_of = _date(params["as_of"], "as_of") or sel.today()
        context["as_of"] = as_of
        if tab == "hotspots":
            window = checked_int_param(params["window"], "window", 0, low=0, high=182)
            days_shown = (window,) if window else sel.WINDOWS
            hot_windows = sel.hotspot_windows(scope.cases, as_of=as_of, windows=days_shown)
            context["hotspot_windows"] = [(w, findings.hotspot_finding(w)) for w in hot_windows]
            shares = sel.matter_shares(scope.cases, since=as_of - timedelta(days=max(days_shown) - 1), until=as_of)
            context["shares"], context["shares_finding"] = shares, findings.matter_finding(shares)
            context["charts"] = {**{f"hotspots-{w.days}": charts.hotspot_chart(w) for w in hot_windows}, "shares": charts.share_chart(shares)}
        elif tab == "forecast":
            as_of = _date(params["as_of"], "as_of") or sel.last_complete_day()
            context["as_of"] = as_of
            context["forecasts"] = sel.forecasts(scope, as_of=as_of)
            total = sel.weekly_total(context["forecasts"], as_of=as_of)
            context["forecast_finding"] = findings.forecast_finding(total)
            context["charts"] = {"forecast": charts.forecast_chart(total)}
        else:
            since, until = sel.period(_date(params["since"], "since"), _date(params["until"], "until") or as_of,
                                      default_days=7 if tab == "clusters" else sel.DEFAULT_PERIOD_DAYS)
            context.update(since=since, until=until)
            min_cases = checked_int_param(params["min_cases"], "min_cases", 3, low=2, high=1000)
            context["min_cases"] = min_cases
            days = (until - since).days + 1
            if tab == "addresses":
                context["rows"] = sel.recurring_addresses(scope.cases, since=since, until=until, min_cases=min_cases)
                context["finding"] = findings.addresses_finding(context["rows"], days=days, min_cases=min_cases)
            elif tab == "callers":
                context["rows"] = sel.repeat_callers(scope.cases, since=since, until=until, min_cases=min_cases)
                context["finding"] = findings.callers_finding(context["rows"], days=days, min_cases=min_cases)
            elif tab == "clusters":
                radius = checked_int_param(params["radius_m"], "radius_m", 0, low=0, high=5000) or None
                hours = checked_int_param(params["hours"], "hours", 0, low=0, high=720) or None
                context["clusters"] = sel.duplicate_clusters(scope.cases, since=since, until=until, radius_m=radius, window_hours=hours)
                context["finding"] = findings.clusters_finding(context["clusters"])
                from django.conf import settings

                context["radius_m"] = radius or int(settings.YIWANG_DUPLICATE_RADIUS_M)
                context["hours"] = hours or int(settings.YIWANG_DUPLICATE_WINDOW_HOURS)
            else:
                context["workers"] = sel.worker_load(scope, since=since, until=until)
                context["departments"] = sel.department_load(scope, since=since, until=until)
                context["finding"] = findings.workload_finding(context["workers"], context["departments"])
    except ValidationError as exc:
        context["error"] = "；".join(f"{FIELD_LABELS.get(field, field)}：{' '.join(messages)}" for field, messages in exc.message_dict.items())
    context["crumbs"], context["children"] = sel.drill(scope)
    keep = {k: v for k, v in params.items() if v}
    context["tab_query"] = urlencode({**keep, **({"region": scope.code} if scope.code else {})})
    context["region_query"] = urlencode({**keep, "tab": tab})
    return render(request, "analysis/index.html", context)
