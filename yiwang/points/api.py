"""The points ledger: entries and monthly totals per grid worker, within the caller's scope."""

from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema
from ninja.pagination import paginate

from yiwang.api.common import scoped
from yiwang.regions.selectors import under_region
from yiwang.api.params import Page, Year

from .models import PointEntry
from .selectors import monthly_totals

router = Router(tags=["points"])


class EntryOut(Schema):
    id: int
    worker: str
    grid_code: str
    case_number: str | None
    event: str
    points: int
    at: datetime

    @staticmethod
    def resolve_worker(obj):
        return obj.worker.get_full_name() or obj.worker.username

    @staticmethod
    def resolve_grid_code(obj):
        return obj.region.code

    @staticmethod
    def resolve_case_number(obj):
        return obj.case.number


class MonthlyOut(Schema):
    worker: str
    month: str
    points: int
    entries: int


@router.get("/entries", response=list[EntryOut])
@paginate(Page)
def list_entries(request, region: str | None = None):
    return under_region(scoped(request, PointEntry).select_related("worker", "region", "case"), region)


@router.get("/monthly", response=list[MonthlyOut])
def monthly(request, region: str | None = None, year: Year | None = None):
    """一事一记、每事积分: each worker's total per month."""
    entries = under_region(scoped(request, PointEntry), region)
    if year:
        entries = entries.filter(at__year=year)
    return [{"worker": row["worker__username"], "month": row["month"].strftime("%Y-%m"), "points": row["points"], "entries": row["entries"]}
            for row in monthly_totals(entries)]
