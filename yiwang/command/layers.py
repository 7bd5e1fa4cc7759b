"""The rows the command screen's map shows over its coloured regions: open cases with their
deadline light, the key-person heat, devices with their alerts, and key-person care coverage.
They show rows, not counts, so they read the tables (each through its own `restrict`); care coverage
is counts, read from the care counters (yiwang.gridwork.counters), and so is the heat (yiwang.registry.heat)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from yiwang.cases.indicators import light_of
from yiwang.regions.models import Level, Region

from .figures import checked_boards


MAP_CASE_LIMIT = 300


def _place_q(place: Region | None, *, field: str = "region__path") -> Q:
    if place is None:
        return Q()
    return Q(**{f"{field}__startswith": place.path})


def _centre(region) -> tuple[float, float] | None:
    if region is None or region.min_lon is None:
        return None
    return ((region.min_lon + region.max_lon) / 2, (region.min_lat + region.max_lat) / 2)


def map_cases(user, place: Region | None, *, boards=None, matter: int | None = None, limit: int = MAP_CASE_LIMIT,
              as_of: datetime | None = None) -> dict:
    """The open cases under the place, most urgent first (overdue step, then the nearest step
    deadline), at most `limit`, each with its deadline light. A case without a position is drawn
    at its grid's centre (`approximate`)."""
    from yiwang.cases.models import Case

    as_of, boards = as_of or timezone.now(), checked_boards(boards)
    cases = Case.objects.restrict(user).open()
    if place is not None:
        cases = cases.filter(micro_grid=place) if place.level == Level.MICRO_GRID else cases.filter(region__path__startswith=place.path)
    if boards:
        cases = cases.filter(board__in=boards)
    if matter is not None:
        cases = cases.filter(matter_id=matter)
    from django.db.models import F

    ordered = cases.select_related("matter", "region").order_by(F("step_overdue").desc(), F("step_due_at").asc(nulls_last=True), "reported_at")
    rows = list(ordered[: limit + 1])
    more = len(rows) > limit
    items = []
    for case in rows[:limit]:
        lon, lat, approximate = case.lon, case.lat, False
        if lon is None:
            centre = _centre(case.region)
            if centre is None:
                continue
            (lon, lat), approximate = centre, True
        light = light_of(case, as_of)
        items.append({
            "number": case.number, "lon": lon, "lat": lat, "approximate": approximate, "status": case.status,
            "status_label": str(case.get_status_display()), "matter": case.matter.name, "grid": case.region.name,
            "address": case.address, "light": light["colour"] if light else "none", "light_text": str(light["text"]) if light else "",
            "reported_at": case.reported_at.isoformat(), "url": f"/cases/{case.number}/",
        })
    total = cases.count() if more else len(rows)
    return {"items": items, "shown": len(items), "total": total, "more": more, "limit": limit}


def key_person_heat(place: Region | None, *, user=None, limit: int = 20_000) -> dict:
    """Key persons (any key-group tag) as heat points [lat, lon, weight], read from the heat counters
    (yiwang.registry.heat). A person's position is their household's house's building (the registry
    has no coordinates on persons or houses); without one, the centre of the grid or micro-grid they
    are registered in. Persons in a sensitive group count only for viewers allowed to see those
    groups: a heat point per building would otherwise show where they live."""
    from yiwang.registry import heat

    points: dict[tuple[float, float], int] = {}
    missing: dict[int, int] = {}
    persons = located = 0
    for row in heat.rows(place.path if place is not None else "", viewer=user, limit=limit):
        lon, lat, n = row["lon"], row["lat"], row["n"]
        persons += n
        if lon is not None and lat is not None:
            points[(lat, lon)] = points.get((lat, lon), 0) + n
            located += n
        else:
            missing[row["region_id"]] = missing.get(row["region_id"], 0) + n
    for region in Region.objects.filter(pk__in=list(missing)).only("min_lon", "min_lat", "max_lon", "max_lat"):
        centre = _centre(region)
        if centre is not None:
            points[(centre[1], centre[0])] = points.get((centre[1], centre[0]), 0) + missing[region.pk]
    return {"points": [[lat, lon, n] for (lat, lon), n in points.items()], "persons": persons, "located": located,
            "by_grid_centre": persons - located}


def devices(user, place: Region | None, *, since: datetime) -> list[dict]:
    """Devices under the place with their alerts since `since` and the last alert."""
    from django.db.models import Count, Max

    from yiwang.cases.models import Device

    rows = (Device.objects.restrict(user).filter(_place_q(place)).select_related("matter")
            .annotate(alert_count=Count("alerts", filter=Q(alerts__received_at__gte=since)), last_alert=Max("alerts__received_at"))
            .order_by("-alert_count", "code")[:500])
    return [{"code": d.code, "name": d.name, "lon": d.lon, "lat": d.lat, "active": d.active, "matter": d.matter.name,
             "alerts": d.alert_count, "last_alert": d.last_alert.isoformat() if d.last_alert else None} for d in rows]


def recent_alerts(user, place: Region | None, *, limit: int = 10) -> list[dict]:
    from yiwang.cases.models import DeviceAlert

    rows = (DeviceAlert.objects.restrict(user).filter(_place_q(place, field="device__region__path"))
            .select_related("device", "case").order_by("-received_at")[:limit])
    return [{"device": a.device.name, "kind": a.kind, "at": a.received_at.isoformat(), "case": a.case.number} for a in rows]


def care_coverage(place: Region | None, user, *, worst: int = 12) -> dict:
    """Key-person care: totals and the grids with the lowest coverage, read from the care counters
    (yiwang.gridwork.counters), counting only the persons `user` may see (need to know, sensitive
    groups only with the permission): a count per grid of persons under a sensitive-group plan would
    tell where they live."""
    from yiwang.gridwork import counters

    path = place.path if place is not None else ""
    panel = counters.care_coverage(path, viewer=user, worst=worst)
    return {"totals": panel["totals"], "grids": [{"code": g.grid.code, "name": g.grid.name, "under_plan": g.under_plan, "covered": g.covered,
                                                  "overdue": g.overdue, "rate": g.rate, "percent": g.percent, "workers": g.workers}
                                                 for g in panel["grids"]], "grid_count": panel["grid_count"]}
