"""The national evaluation indicators of digital city management (GB/T 30428 数字化城市管理信息系统):
处置率, 按期处置率, 结案率, 按期结案率, 准确派遣率, 返工率, 延期率, 按时立案率, 有效上报率.

Each is numerator / denominator over the cases reported in a period (the population of
`indicators.in_period`), computed from the cases' stage timestamps and counters and, for the two
"within the stage's limit" rates, from the sweep's overdue marks on the timeline. docs/indicators.md
gives every formula and the stage times it reads.

One aggregate query (a conditional COUNT per count, two of them over an EXISTS on the case's
events), because the rollups keep neither the stage times nor the marks: its cost is one pass over
the period's cases of the scope, plus an index probe into the events for the accepted and handled ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils.translation import gettext_noop

from .indicators import _base, in_period, ratio
from .models import DONE_STATUSES, VOID_STATUSES, CaseEvent, Status


def _late_in(step: str) -> Exists:
    """The sweep marked the case's `step` overdue at least once (its clock ran out in that step)."""
    return Exists(CaseEvent.objects.filter(case=OuterRef("pk"), action="mark_overdue", detail__step=step))


def _counts() -> dict[str, Q]:
    """The Q of each count, over every case of the population (void ones included: the valid-report
    rate needs them; every other count starts from `valid`)."""
    valid = ~Q(status__in=sorted(VOID_STATUSES))
    closed = valid & Q(status__in=sorted(DONE_STATUSES))
    registered = valid & (Q(accepted_at__isnull=False) | Q(status__in=sorted(DONE_STATUSES)))
    dispatched = valid & Q(dispatched_at__isnull=False)
    handled = valid & Q(handled_at__isnull=False)
    decided = ~Q(status=Status.REPORTED)
    return {
        "reports_decided": decided,
        "reports_valid": decided & valid,
        "registered": registered,
        "accepted": valid & Q(accepted_at__isnull=False),
        "accepted_on_time": valid & Q(accepted_at__isnull=False) & ~_late_in("accept"),
        "dispatched": dispatched,
        "dispatched_accurately": dispatched & Q(return_count=0),
        "extended": dispatched & Q(extension_count__gte=1),
        "to_handle": dispatched | handled,
        "handled": handled,
        "handled_on_time": handled & ~_late_in("handle"),
        "verified": valid & (Q(verified_at__isnull=False) | Q(rework_count__gte=1)),
        "reworked": valid & Q(rework_count__gte=1),
        "closed": closed,
        "closed_on_time": closed & Q(close_due_at__isnull=False, closed_at__isnull=False, closed_at__lte=F("close_due_at")),
    }


# name, label, numerator count, denominator count (labels translated where shown)
RATES = (
    ("disposal_rate", gettext_noop("处置率"), "handled", "to_handle"),
    ("disposal_on_time_rate", gettext_noop("按期处置率"), "handled_on_time", "handled"),
    ("closure_rate", gettext_noop("结案率"), "closed", "registered"),
    ("closure_on_time_rate", gettext_noop("按期结案率"), "closed_on_time", "closed"),
    ("dispatch_accuracy_rate", gettext_noop("准确派遣率"), "dispatched_accurately", "dispatched"),
    ("rework_rate", gettext_noop("返工率"), "reworked", "verified"),
    ("extension_rate", gettext_noop("延期率"), "extended", "dispatched"),
    ("registration_on_time_rate", gettext_noop("按时立案率"), "accepted_on_time", "accepted"),
    ("valid_report_rate", gettext_noop("有效上报率"), "reports_valid", "reports_decided"),
)
NAMES = tuple(name for name, *_rest in RATES)
LABELS = {name: label for name, label, *_rest in RATES}

# What each count is called where a numerator or a denominator is shown.
COUNT_LABELS = {
    "reports_decided": gettext_noop("已判定的上报"), "reports_valid": gettext_noop("有效上报"), "registered": gettext_noop("立案"),
    "accepted": gettext_noop("受理立案"), "accepted_on_time": gettext_noop("按时立案"), "dispatched": gettext_noop("派遣"),
    "dispatched_accurately": gettext_noop("准确派遣"), "extended": gettext_noop("获批延期"), "to_handle": gettext_noop("应处置"),
    "handled": gettext_noop("已处置"), "handled_on_time": gettext_noop("按期处置"), "verified": gettext_noop("已核查"),
    "reworked": gettext_noop("返工"), "closed": gettext_noop("结案"), "closed_on_time": gettext_noop("按期结案"),
}


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return ratio(self.numerator, self.denominator)

    def as_dict(self) -> dict:
        return {"value": self.value, "numerator": self.numerator, "denominator": self.denominator}


def counts(cases: QuerySet, *, start: datetime | None = None, end: datetime | None = None) -> dict[str, int]:
    """The counts behind the nine rates, over `cases` (already scoped and narrowed) reported in [start, end)."""
    base = _base(in_period(cases, start, end))
    return base.aggregate(**{name: Count("pk", filter=q) for name, q in _counts().items()})


def rates_from(found: dict[str, int]) -> dict[str, Rate]:
    return {name: Rate(found[num], found[den]) for name, _label, num, den in RATES}


def national_rates(cases: QuerySet, *, start: datetime | None = None, end: datetime | None = None) -> dict[str, Rate]:
    """{rate name: Rate(numerator, denominator)} for the nine indicators, in RATES' order; one query."""
    return rates_from(counts(cases, start=start, end=end))


def matching(cases: QuerySet, count: str) -> QuerySet:
    """The cases behind one count (a numerator or a denominator), for a list or a check."""
    return cases.filter(_counts()[count])
