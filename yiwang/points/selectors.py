"""Monthly point totals per worker."""

from __future__ import annotations

from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth


def monthly_totals(entries):
    """[{worker, worker__username, month, points, entries}] for an already scoped PointEntry queryset."""
    return list(
        entries.annotate(month=TruncMonth("at")).values("worker", "worker__username", "month")
        .annotate(points=Sum("points"), entries=Count("id")).order_by("month", "-points", "worker__username")
    )
