"""The command screen's live feed: new and overdue cases as they happen, read by event id."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext

from yiwang.cases.indicators import light_of
from yiwang.core.scope import scope_path
from yiwang.regions.models import Level, Region


FEED_ACTIONS = {"report": "new", "mark_overdue": "overdue"}


FEED_OVERLAP = 50  # event ids re-read behind the cursor: a transaction may commit after a later id is visible


FEED_FIRST_DAYS = 7  # the first load looks this far back (the event time index), never the whole history


def feed(user, place: Region | None, *, after: int | None = None, limit: int = 20, as_of: datetime | None = None) -> dict:
    """New cases and cases that just went overdue under the place, as timeline events. Without a
    cursor: the latest `limit` of the last week, newest first. With `after` (the `cursor` of the
    previous answer): the events after it, oldest first, at most `limit`, `more` true when there are
    others still to fetch; the few ids just behind the cursor are read again (the client skips ids it
    has shown), because on PostgreSQL an earlier id can commit after a later one was seen."""
    from yiwang.cases.models import CaseEvent

    as_of = as_of or timezone.now()
    # The place was checked against the viewer's scope (screen_region); screen roles see their subtree.
    events = CaseEvent.objects.filter(action__in=list(FEED_ACTIONS))
    if place is not None:
        events = events.filter(case__micro_grid=place) if place.level == Level.MICRO_GRID else events.filter(case__region__path__startswith=place.path)
    elif scope_path(user) != "":
        raise PermissionDenied(gettext("只有数据范围为全市的用户可以查看全市"))
    more = False
    if after is None:
        rows = list(events.filter(at__gte=as_of - timedelta(days=FEED_FIRST_DAYS)).select_related("case__matter", "case__region")
                    .order_by("-pk")[:limit])
        cursor = CaseEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    else:
        fresh = list(events.filter(pk__gt=after).select_related("case__matter", "case__region").order_by("pk")[:limit + 1])
        more = len(fresh) > limit
        fresh = fresh[:limit]
        cursor = fresh[-1].pk if fresh else after
        late = list(events.filter(pk__gt=max(after - FEED_OVERLAP, 0), pk__lte=after).select_related("case__matter", "case__region").order_by("pk"))
        rows = late + fresh
    items = []
    for event in rows:
        case = event.case
        light = light_of(case, as_of)
        items.append({
            "id": event.pk, "kind": FEED_ACTIONS[event.action], "at": event.at.isoformat(), "number": case.number,
            "matter": case.matter.name, "grid": case.region.name, "status": case.status, "status_label": str(case.get_status_display()),
            "open": case.is_open, "light": light["colour"] if light else "none", "light_text": str(light["text"]) if light else "",
            "url": f"/cases/{case.number}/",
        })
    return {"items": items, "cursor": cursor, "more": more}
