"""The daily supervision sheet (日督导) of a region and day as an export job."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone

from yiwang.exports.kinds import XLSX, Kind, Prepared, Run, register

from . import selectors


def _prepare(user, params: dict) -> Prepared:
    region = selectors.region_for(user, params.get("region") or None)
    try:
        day = date.fromisoformat(params.get("day") or "")
    except ValueError:
        day = timezone.localdate()
    # A sheet of today judges lights at the moment it was asked for, not when the worker gets to it
    # (the server's clock: a caller cannot choose it).
    now = timezone.now().isoformat()
    return Prepared({"region": region.code, "day": day.isoformat(), "now": now}, f"日督导：{region.name} {day:%Y-%m-%d}",
                    f"daily-{region.code}-{day:%Y%m%d}.xlsx")


def _write(run: Run) -> int:
    from .sheets import daily_sheet_xlsx

    region = selectors.region_for(run.user, run.params["region"])
    sheet = selectors.daily_sheet(selectors.reviewable_cases(run.user), region=region, day=date.fromisoformat(run.params["day"]),
                                  now=datetime.fromisoformat(run.params["now"]))
    run.out.write(daily_sheet_xlsx(sheet))
    return sum(len(unit.rows) for unit in sheet.units)


register(Kind("reviews.daily", XLSX, _prepare, _write))
