"""Factories for this app's scoped models (tests/factories.for_model finds them here)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone


def weeklyreport(region, **extra):
    """A queued weekly report of `region` for last week (straight in the table)."""
    from yiwang.reviews.figures import monday_of
    from yiwang.reviews.models import WeeklyReport

    values = {"week_start": monday_of(timezone.localdate()) - timedelta(days=7), "created_at": timezone.now(), **extra}
    return WeeklyReport.objects.create(region=region, **values)
