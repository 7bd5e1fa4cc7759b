"""Calendar periods for cadences: ISO weeks (Monday first), months, quarters and years, in local dates.

Pure arithmetic, no database: `bounds(day, period)` is the period holding `day` as [start, end)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone


def start_of(day: date, period: str) -> date:
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    if period == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    if period == "year":
        return date(day.year, 1, 1)
    raise ValueError(f"unknown period {period!r}")


def next_start(start: date, period: str) -> date:
    """The first day of the period after the one starting on `start`."""
    if period == "week":
        return start + timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[period]
    index = start.year * 12 + start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def bounds(day: date, period: str) -> tuple[date, date]:
    start = start_of(day, period)
    return start, next_start(start, period)


def previous_bounds(day: date, period: str) -> tuple[date, date]:
    """The last complete period before the one holding `day`."""
    current_start = start_of(day, period)
    return start_of(current_start - timedelta(days=1), period), current_start


def local_midnight(day: date) -> datetime:
    """The aware instant a local date begins (the bound to compare visit times with)."""
    return timezone.make_aware(datetime.combine(day, time.min))


def label(start: date, period: str) -> str:
    """How people name a period: 2026年第5周, 2026年3月, 2026年第1季度, 2026年."""
    if period == "week":
        year, week, _ = start.isocalendar()
        return f"{year}年第{week}周"
    if period == "month":
        return f"{start.year}年{start.month}月"
    if period == "quarter":
        return f"{start.year}年第{(start.month - 1) // 3 + 1}季度"
    return f"{start.year}年"
