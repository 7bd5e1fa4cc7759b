"""The one condition behind each case count (指标口径): every number shown anywhere and the list
its link opens go through `condition(state)`.

A state is a name a link or a filter carries (`/cases/?state=`, `/api/cases?state=`), mapped to
one Q over non-void cases (rejected and merged cases are in no state). The counts of
`indicators.Indicators` and the rollups are built from the same conditions
(`indicators._conditions`), so the command screen's tiles, the case list, the API, the daily sheet,
the weekly report and the assessment cannot disagree. docs/indicators.md defines each one.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_noop

from yiwang.worktime.sla import Light

from .models import OPEN_STATUSES, VOID_STATUSES, Rating

# State → the Indicators count it lists (None: built below from several). Labels are translated
# where shown. 超期 is the whole case past its deadline (close_due_at); the running step's red light
# is 环节超时, a different number with its own word.
STATES = {
    "cases": ("cases", gettext_noop("全部（不含不予立案、并案）")),
    "open": ("open", gettext_noop("在办")),
    "overdue": ("open_overdue", gettext_noop("超期未结")),
    "closed": ("closed", gettext_noop("已办结")),
    "on_time": ("closed_on_time", gettext_noop("按时办结")),
    "late": ("closed_late", gettext_noop("超时办结")),
    "judged": (None, gettext_noop("应按时办结")),
    "rated": ("rated", gettext_noop("已评价")),
    "satisfied": (None, gettext_noop("满意（含基本满意）")),
    "step_overdue": (None, gettext_noop("环节超时（红灯）")),
    "warning": (None, gettext_noop("环节临期（黄灯）")),
}

LABELS = {name: label for name, (_count, label) in STATES.items()}


def condition(state: str, as_of: datetime) -> Q:
    """The Q of `state` at `as_of` (void cases aside: `filter_state` drops them). KeyError for an
    unknown state; callers check against STATES first and name the parameter."""
    from .indicators import _conditions, light_condition

    counted, _label = STATES[state]
    if counted is not None:
        return _conditions(as_of)[counted]
    if state == "judged":
        conditions = _conditions(as_of)
        return conditions["closed_on_time"] | conditions["closed_late"] | conditions["open_overdue"]
    if state == "satisfied":
        return Q(rating__in=[Rating.SATISFIED, Rating.BASIC])
    open_ = Q(status__in=sorted(OPEN_STATUSES))
    if state == "step_overdue":
        return open_ & light_condition(Light.RED, as_of)
    if state == "warning":
        return open_ & light_condition(Light.YELLOW, as_of)
    raise KeyError(state)


def filter_state(cases: QuerySet, state: str, as_of: datetime) -> QuerySet:
    """The non-void cases among `cases` in `state` at `as_of`."""
    return cases.exclude(status__in=sorted(VOID_STATUSES)).filter(condition(state, as_of))


def count_states(cases: QuerySet, names, as_of: datetime) -> dict[str, int]:
    """{state: how many of `cases` are in it}, in one aggregate query."""
    from django.db.models import Count

    valid = ~Q(status__in=sorted(VOID_STATUSES))
    return cases.order_by().aggregate(**{name: Count("pk", filter=valid & condition(name, as_of)) for name in names})
