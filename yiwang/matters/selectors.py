"""Reads of the catalogue for the residents' doors: which matters are problems a resident may report
(随手拍, Open311) and which are service applications (办事申请), handled at the one-stop hall.

The mark is the matter's kind: the one-stop hall's public service items are `MatterKind.SERVICE`.
The catalogue is reference data everyone may read, so these start from the whole table."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from yiwang.worktime import calendar as work_calendar

from .models import MatterKind, MatterType


def is_service_application(matter: MatterType) -> bool:
    """A public service item (公共服务事项): an application to be handled, not a problem to be fixed."""
    return matter.kind == MatterKind.SERVICE


def problem_kinds() -> QuerySet:
    """What a resident may report as a problem: active, offered to the public, not an application."""
    return MatterType.objects.filter(active=True, public=True).exclude(kind=MatterKind.SERVICE)


def service_applications() -> QuerySet:
    """The one-stop hall's service items with their guides, for the residents' service guide; in code
    order, which keeps the categories in the catalogue's order."""
    return MatterType.objects.filter(active=True, public=True, kind=MatterKind.SERVICE).select_related("guide").order_by("code")


def service_categories() -> dict[str, list[MatterType]]:
    """The service items by category, in the catalogue's order."""
    groups: dict[str, list[MatterType]] = {}
    for matter in service_applications():
        groups.setdefault(matter.category or _("其他"), []).append(matter)
    return groups


def service_application(code: str) -> MatterType | None:
    """One service item that has a guide to show, or None."""
    return service_applications().filter(code=code, guide__isnull=False).first()


def service_time_limit(matter: MatterType) -> float:
    """The time limit (办理时限) in working days: every step's limit together, which is when a case of
    the matter falls due (`cases/clock.py` `set_close_due`)."""
    calendar = work_calendar.current()
    seconds = sum(calendar.limit_seconds(limit) for limit in matter.limits().values())
    return round(seconds / calendar.day_seconds, 2)
