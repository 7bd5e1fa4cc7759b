"""分析研判 API: the same reads as the page, as JSON, under the same scope rules.

Every endpoint takes `region=<code>` to narrow to a region inside the caller's scope (404 outside
it); users without a command-center role (district, street, community) get 403. Dates are local
calendar days, `since`/`until` inclusive. The phone behind a repeat caller is never returned.
"""

from __future__ import annotations

from datetime import date

from ninja import Query, Router

from yiwang.api.common import acting_user
from yiwang.api.params import Count

from . import selectors as sel

router = Router(tags=["analysis"])


def _scope(request, region):
    return sel.scope_for(acting_user(request), region)


@router.get("/hotspots", response=dict)
def hotspots(request, region: str | None = None, as_of: date | None = None, window: int | None = Query(None, ge=1, le=366)):
    """Grid × matter hot spots over the 7- and 28-day windows ending at `as_of` (or one `window`):
    observed, expected (the grid's own 26-week rate, plus one case as a prior), ratio, one-sided
    Poisson p, Benjamini–Hochberg q; flagged when q < 0.05 and observed >= 3."""
    scope = _scope(request, region)
    as_of = sel.check_day(as_of, "as_of") or sel.today()
    windows = (window,) if window else sel.WINDOWS
    return {"region": scope.code, "as_of": as_of, "windows": [w.as_dict() for w in sel.hotspot_windows(scope.cases, as_of=as_of, windows=tuple(windows))]}


@router.get("/addresses", response=dict)
def addresses(request, region: str | None = None, since: date | None = None, until: date | None = None, min_cases: Count = 3):
    """Normalised addresses with at least `min_cases` valid cases in the period."""
    scope = _scope(request, region)
    since, until = sel.period(since, until)
    rows = sel.recurring_addresses(scope.cases, since=since, until=until, min_cases=max(2, min_cases))
    return {"region": scope.code, "since": since, "until": until, "min_cases": max(2, min_cases), "items": [r.as_dict() for r in rows]}


@router.get("/callers", response=dict)
def callers(request, region: str | None = None, since: date | None = None, until: date | None = None, min_cases: Count = 3):
    """Callers with at least `min_cases` cases in the period: count, matters, first/last, case numbers (never the phone)."""
    scope = _scope(request, region)
    since, until = sel.period(since, until)
    rows = sel.repeat_callers(scope.cases, since=since, until=until, min_cases=max(2, min_cases))
    return {"region": scope.code, "since": since, "until": until, "min_cases": max(2, min_cases), "items": [r.as_dict() for r in rows]}


@router.get("/clusters", response=dict)
def clusters(request, region: str | None = None, since: date | None = None, until: date | None = None,
             radius_m: float | None = None, hours: float | None = None):
    """Unmerged near-duplicate cases (same matter, within radius_m metres and `hours` of each other), largest cluster first."""
    scope = _scope(request, region)
    since, until = sel.period(since, until, default_days=7)
    rows = sel.duplicate_clusters(scope.cases, since=since, until=until, radius_m=radius_m, window_hours=hours)
    return {"region": scope.code, "since": since, "until": until, "items": [c.as_dict() for c in rows]}


@router.get("/workload", response=dict)
def workload(request, region: str | None = None, since: date | None = None, until: date | None = None):
    """Cases per grid worker and per handling department in the period, and open / overdue now."""
    scope = _scope(request, region)
    since, until = sel.period(since, until)
    return {"region": scope.code, "since": since, "until": until,
            "workers": [w.as_dict() for w in sel.worker_load(scope, since=since, until=until)],
            "departments": [d.as_dict() for d in sel.department_load(scope, since=since, until=until)]}


@router.get("/forecast", response=dict)
def forecast(request, region: str | None = None, as_of: date | None = None):
    """Next 7 days' cases per street from 7-day blocks ending at `as_of`, with MAE/MAPE/sMAPE over the 8 held-back weeks."""
    scope = _scope(request, region)
    as_of = sel.check_day(as_of, "as_of") or sel.last_complete_day()
    return {"region": scope.code, "as_of": as_of, "items": [f.as_dict() for f in sel.forecasts(scope, as_of=as_of)]}
