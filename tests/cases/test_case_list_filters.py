"""The case list behind a number (/cases/?region=…&state=…): for each state the list holds exactly
the cases the indicator of that name counted, within the viewer's scope."""

from __future__ import annotations

import random
import re
from datetime import date, timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from yiwang.cases.indicators import indicators
from yiwang.cases.models import Case

from .test_rollups import AS_OF, _make


@pytest.fixture
def world(tree):
    from yiwang.matters.models import Department, MatterType
    from yiwang.matters.services import current_version

    matters = [MatterType.objects.get(kind="community", code=c) for c in ("S0001", "S0004")]
    department = Department.objects.create(code="KZ-T", name="测试局", kind="urban_management", region=tree.district)
    return {"tree": tree, "matters": [(m, current_version(m)) for m in matters], "department": department}


def _count(client, **params) -> int:
    response = client.get("/cases/", params)
    assert response.status_code == 200, response.content[:300]
    return int(re.search(rb'data-testid="case-count">(\d+)<', response.content).group(1))


@pytest.mark.rollups_unchecked  # shifts the cases' times with update()
@pytest.mark.django_db
def test_each_state_lists_what_its_indicator_counts(client, world, users):
    rng = random.Random(7)
    for _ in range(40):
        _make(rng, world)
    # Judged now, not at the fixed moment the rollup test builds around (the list has no as_of).
    shift = timezone.now() - AS_OF
    Case.objects.update(**{f: F(f) + shift for f in ("reported_at", "close_due_at", "closed_at", "paused_at", "handled_at")})
    tree = world["tree"]
    client.force_login(users["street"])
    today = timezone.localdate()
    since = today - timedelta(days=29)
    start = timezone.make_aware(timezone.datetime.combine(since, timezone.datetime.min.time()))
    end = timezone.make_aware(timezone.datetime.combine(today + timedelta(days=1), timezone.datetime.min.time()))
    for region in (tree.street, tree.grid_a, tree.micro_a1):
        cases = Case.objects.filter(micro_grid=region) if region.level == "micro_grid" else Case.objects.filter(region__path__startswith=region.path)
        ind = indicators(cases, start=start, end=end)
        expected = {"cases": ind.cases, "open": ind.open, "overdue": ind.open_overdue, "closed": ind.closed, "on_time": ind.closed_on_time,
                    "late": ind.closed_late, "rated": ind.rated, "judged": ind.judged, "satisfied": ind.satisfied + ind.basic}
        for state, n in expected.items():
            assert _count(client, region=region.code, state=state, since=since.isoformat(), until=today.isoformat()) == n, (region.name, state)
    # Not a vacuous check: most states had cases to list.
    whole = indicators(Case.objects.all(), start=start, end=end)
    assert sum(n > 0 for n in (whole.closed_on_time, whole.closed_late, whole.open_overdue, whole.open, whole.rated, whole.closed)) >= 5


@pytest.mark.django_db
def test_list_filters_refuse_what_is_out_of_scope_or_malformed(client, world, users):
    client.force_login(users["community"])
    assert client.get("/cases/", {"region": world["tree"].other_street.code}).status_code == 404
    assert client.get("/cases/", {"state": "nonsense"}).status_code == 404
    assert client.get("/cases/", {"since": "2026-13-01"}).status_code == 404
    assert client.get("/cases/", {"board": "nope"}).status_code == 404
    assert client.get("/cases/", {"region": world["tree"].grid_a.code, "since": date(2026, 1, 1).isoformat()}).status_code == 200


@pytest.mark.rollups_unchecked  # shifts the cases' times with update()
@pytest.mark.django_db
def test_the_api_takes_the_pages_filters_and_names_a_bad_one(client, world, users):
    rng = random.Random(11)
    for _ in range(30):
        _make(rng, world)
    shift = timezone.now() - AS_OF
    Case.objects.update(**{f: F(f) + shift for f in ("reported_at", "close_due_at", "closed_at", "paused_at", "handled_at")})
    for case in Case.objects.all():
        Case.objects.filter(pk=case.pk).update(number=f"L{case.pk:06d}", step_due_at=case.close_due_at, step_warn_at=case.reported_at)
    tree = world["tree"]
    client.force_login(users["street"])
    today = timezone.localdate()
    since = (today - timedelta(days=20)).isoformat()
    board = world["matters"][0][0].board
    for state in ("cases", "open", "overdue", "closed", "on_time", "late", "judged", "rated", "satisfied", "step_overdue", "warning"):
        for params in ({"state": state}, {"state": state, "region": tree.grid_a.code, "since": since, "until": today.isoformat(), "board": board},
                       {"state": state, "region": tree.micro_a1.code, "matter": str(world["matters"][0][0].pk)}):
            body = client.get("/api/cases", {**params, "limit": 500}).json()
            assert body["count"] == _count(client, **params) == len(body["items"]), params
    # overdue=true is state=overdue; overdue=false the rest of the open cases.
    overdue, open_ = (client.get("/api/cases", {"state": s, "limit": 1}).json()["count"] for s in ("overdue", "open"))
    assert client.get("/api/cases", {"overdue": "true", "limit": 1}).json()["count"] == overdue
    assert client.get("/api/cases", {"overdue": "false", "limit": 1}).json()["count"] == open_ - overdue
    for params, field in (({"state": "late-ish"}, "state"), ({"board": "nope"}, "board"), ({"since": "2026-13-01"}, "since"),
                          ({"until": "yesterday"}, "until"), ({"since": "2026-03-10", "until": "2026-03-01"}, "since"),
                          ({"region": "999"}, "region"), ({"region": tree.other_street.code}, "region"), ({"matter": "no-such"}, "matter"),
                          ({"status": "lost"}, "status"), ({"department": "x"}, "department")):
        response = client.get("/api/cases", params)
        assert response.status_code == 422 and field in response.json()["detail"], (params, response.content[:200])
