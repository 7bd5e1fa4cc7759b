"""The page and /api/command/: scope (a street sees only its street, grid workers and residents get
403), every number links to a case list holding exactly that many cases, the feed's cursor, and
one-click dispatch and summons through the closed loop's services."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from django.utils import timezone

from tests.cases.conftest import POINT_A
from yiwang.cases.indicators import indicators
from yiwang.cases.models import Case, CaseEvent, Status
from yiwang.command import figures
from yiwang.command.figures import Period
from yiwang.core.models import AuditEntry

pytestmark = pytest.mark.django_db

GET_ENDPOINTS = ["kpi", "ranking", "map-layer", "trend", "feed", "cases", "key-persons", "devices", "care"]


def _post(client, path, body):
    return client.post(path, json.dumps(body), content_type="application/json")


# Scope -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["worker_a", "resident", "department"])
def test_roles_without_a_screen_get_403(client, users, role, report):
    client.force_login(users[role])
    assert client.get("/command/").status_code == 403
    for path in GET_ENDPOINTS:
        assert client.get(f"/api/command/{path}").status_code == 403, path
    if role == "worker_a":
        case = report("S0001").case
        assert client.get(f"/api/command/cases/{case.number}/dispatch-options").status_code == 403


def test_a_street_sees_its_street_and_nothing_beside_or_above(client, users, tree, cases):
    client.force_login(users["street"])
    assert client.get("/command/").status_code == 200
    assert client.get("/command/", {"region": tree.grid_a.code}).status_code == 200
    assert client.get(f"/api/command/cases/{Case.objects.filter(region=tree.grid_a).first().number}/dispatch-options").status_code == 200
    for code in (tree.other_street.code, cases["other_grid"].code, tree.district.code):
        assert client.get("/command/", {"region": code}).status_code == 404
        for path in GET_ENDPOINTS:
            assert client.get(f"/api/command/{path}", {"region": code}).status_code == 404, (path, code)
    # Its feed and map points hold only its own cases.
    numbers = {i["number"] for i in client.get("/api/command/cases", {"limit": 1000}).json()["items"]}
    numbers |= {i["number"] for i in client.get("/api/command/feed").json()["items"]}
    assert numbers and not numbers & set(Case.objects.filter(region=cases["other_grid"]).values_list("number", flat=True))
    # A case of the other street cannot be dispatched or looked at from here.
    other = Case.objects.filter(region=cases["other_grid"], status=Status.REPORTED).first()
    assert client.get(f"/api/command/cases/{other.number}/dispatch-options").status_code == 404
    assert _post(client, f"/api/command/cases/{other.number}/dispatch", {}).status_code == 404


def test_breadcrumbs_stop_at_the_viewers_own_region(client, users, tree, cases):
    client.force_login(users["community"])
    html = client.get("/command/", {"region": tree.grid_a.code}).content.decode()
    crumbs = re.search(r'data-testid="crumbs".*?</nav>', html, re.S).group(0)
    assert tree.community.name in crumbs and tree.grid_a.name in crumbs
    assert tree.street.name not in crumbs and tree.district.name not in crumbs
    assert client.get("/command/", {"region": tree.street.code}).status_code == 404


def test_bad_filters_are_named(client, users, cases):
    client.force_login(users["street"])
    for params, field in (({"days": "12"}, "days"), ({"board": "x"}, "board"), ({"matter": "999999"}, "matter"), ({"indicator": "x"}, "indicator")):
        response = client.get("/api/command/kpi", params)
        assert response.status_code == 422 and field in response.json()["detail"], params
        page = client.get("/command/", params)
        assert page.status_code == 200 and field in page.content.decode()
    # Two bad fields at once are both named; digits that are not ASCII are not a matter id.
    page = client.get("/command/", {"days": "12", "board": "x"})
    assert page.status_code == 200 and "days" in page.content.decode() and "board" in page.content.decode()
    assert client.get("/command/", {"matter": "²"}).status_code == 200
    assert client.get("/api/command/kpi", {"matter": "²"}).status_code == 422
    assert client.get("/api/command/ranking", {"by": "grid", "region": ""}).status_code == 200
    client.force_login(users["district"])
    assert client.get("/api/command/ranking", {"by": "grid"}).status_code == 422


# Numbers and their lists -------------------------------------------------------------------------

def _links(html: str) -> dict[str, tuple[str, str]]:
    """data-testid → (number shown, href) for every linked figure of the KPI tiles and board table."""
    found = {}
    for m in re.finditer(r'<a [^>]*?href="([^"]+)"[^>]*?data-testid="((?:kpi|board)-[^"]+)"[^>]*>([^<]*)</a>', html):
        found[m.group(2)] = (m.group(3).strip(), unescape(m.group(1)))
    for m in re.finditer(r'<a [^>]*?data-testid="((?:kpi|board)-[^"]+)"[^>]*?href="([^"]+)"[^>]*>([^<]*)</a>', html):
        found[m.group(1)] = (m.group(3).strip(), unescape(m.group(2)))
    return found


@pytest.mark.parametrize("query", [{}, {"region": "500154003001001", "days": "90"}, {"board": "livelihood"}, {"days": "365", "matter": "first"}])
def test_every_linked_number_equals_its_case_list(client, users, tree, cases, query):
    if query.get("matter") == "first":
        query = {**query, "matter": str(cases["matters"][0].pk)}
    client.force_login(users["street"])
    html = client.get("/command/", query).content.decode()
    links = _links(html)
    assert {"kpi-today_reported", "kpi-open_now", "kpi-overdue_now", "kpi-on_time", "kpi-judged", "kpi-satisfied", "kpi-rated"} <= set(links)
    assert sum(1 for k in links if k.startswith("board-")) >= 3
    nonzero = 0
    for testid, (shown, href) in links.items():
        listing = client.get(href)
        assert listing.status_code == 200, href
        count = re.search(r'data-testid="case-count">(\d+)<', listing.content.decode()).group(1)
        assert count == shown, (testid, href)
        nonzero += shown != "0"
    assert nonzero >= 3


def test_page_numbers_equal_indicators_and_the_period_links_use_the_period(client, users, tree, cases):
    client.force_login(users["street"])
    html = client.get("/command/", {"days": "30"}).content.decode()
    period = Period.last_days(30)
    start = timezone.make_aware(timezone.datetime.combine(period.start, timezone.datetime.min.time()))
    end = timezone.make_aware(timezone.datetime.combine(period.end, timezone.datetime.min.time()))
    want = indicators(Case.objects.filter(region__path__startswith=tree.street.path), start=start, end=end)
    links = _links(html)
    assert links["kpi-judged"] == (str(want.judged), links["kpi-judged"][1])
    assert f"since={period.start.isoformat()}" in links["kpi-judged"][1] and f"until={period.last.isoformat()}" in links["kpi-judged"][1]
    assert "since" not in links["kpi-overdue_now"][1] and "state=overdue" in links["kpi-overdue_now"][1]
    data = json.loads(re.search(r'<script id="screen-data" type="application/json">(.*?)</script>', html, re.S).group(1))
    assert {f["properties"]["code"] for f in data["layer"]["features"]} == {tree.grid_a.code, tree.grid_b.code}
    assert set(data["rankings"]) == {"grid", "region", "department"}
    assert len(data["trend"]) == 30


# API ---------------------------------------------------------------------------------------------

def test_api_figures_are_the_selectors(client, users, tree, cases):
    client.force_login(users["district"])
    period = Period.last_days(90)
    as_of = timezone.now()
    kpi = client.get("/api/command/kpi", {"region": tree.street.code, "days": 90}).json()
    assert kpi["total"]["period_cases"] == figures.kpi(tree.street, period=period, as_of=as_of)["total"]["period_cases"]
    assert "state=open" in kpi["links"]["total"]["open_now"]
    layer = client.get("/api/command/map-layer", {"indicator": "open"}).json()
    assert layer["indicator"] == "open" and {f["properties"]["code"] for f in layer["features"]} == {tree.street.code, tree.other_street.code}
    ranking = client.get("/api/command/ranking", {"by": "department", "days": 365}).json()
    assert ranking and ranking[0]["label"] == "开州区城管执法局"
    assert len(client.get("/api/command/trend", {"days": 7}).json()) == 7
    care = client.get("/api/command/care").json()
    assert care["totals"]["under_plan"] == 0 and care["grids"] == []
    heat = client.get("/api/command/key-persons").json()
    assert heat == {"points": [], "persons": 0, "located": 0, "by_grid_centre": 0}


def _newer(body: dict, after: int) -> list[tuple[str, str]]:
    # The feed re-sends a few events just behind the cursor (late commits); the page skips those it showed.
    return [(i["number"], i["kind"]) for i in body["items"] if i["id"] > after]


def test_feed_cursor_returns_only_newer_events(client, users, tree, cases, report):
    client.force_login(users["street"])
    # The fixture's cases were written without the intake service: no "report" events yet.
    first = client.get("/api/command/feed").json()
    assert first["items"] == [] and isinstance(first["cursor"], int)
    cursor = first["cursor"]
    assert client.get("/api/command/feed", {"after": cursor}).json() == {"items": [], "cursor": cursor, "more": False}
    fresh = report("S0001").case
    newer = client.get("/api/command/feed", {"after": cursor}).json()
    assert _newer(newer, cursor) == [(fresh.number, "new")] and newer["cursor"] > cursor
    # An overdue mark appears as "overdue".
    from yiwang.cases.services import perform

    Case.objects.filter(pk=fresh.pk).update(step_due_at=timezone.now() - timezone.timedelta(minutes=1))
    perform(fresh.pk, "mark_overdue", system=True)
    later = client.get("/api/command/feed", {"after": newer["cursor"]}).json()
    assert _newer(later, newer["cursor"]) == [(fresh.number, "overdue")]


def test_a_burst_between_polls_comes_in_pages_without_a_gap(users, tree, cases, report):
    from yiwang.command import feed

    start = feed.feed(users["street"], tree.street)["cursor"]
    made = [report("S0001").case.number for _ in range(45)]
    seen, cursor, pages = [], start, 0
    while True:
        page = feed.feed(users["street"], tree.street, after=cursor, limit=20)
        seen += [i["number"] for i in page["items"] if i["id"] > cursor]
        cursor, pages = page["cursor"], pages + 1
        if not page["more"]:
            break
    assert seen == made and pages == 3


# One-click dispatch and summons ------------------------------------------------------------------

def test_one_click_accepts_and_dispatches_a_reported_case(client, users, tree, report):
    case = report("S0001").case
    client.force_login(users["community"])
    options = client.get(f"/api/command/cases/{case.number}/dispatch-options").json()
    assert options["dispatch_steps"] == ["accept", "dispatch"] and options["suggestion"]["target"] == tree.grid_a.name
    assert options["suggestion"]["reasons"] and any("网格" in r for r in options["suggestion"]["reasons"])
    response = _post(client, f"/api/command/cases/{case.number}/dispatch", {})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "dispatched" and response.json()["to"] == tree.grid_a.name
    events = list(CaseEvent.objects.filter(case=case).order_by("id").values_list("action", "actor__username"))
    assert events[-2:] == [("accept", "community"), ("dispatch", "community")]
    assert AuditEntry.objects.filter(action="command.dispatch", target_id=str(case.pk), actor=users["community"]).exists()
    # The grid worker now has it in the inbox.
    client.force_login(users["worker_a"])
    assert case.number in [c["number"] for c in client.get("/api/cases/inbox").json()["items"]]
    # A second click is refused and says why; nothing changes.
    client.force_login(users["community"])
    again = _post(client, f"/api/command/cases/{case.number}/dispatch", {})
    assert again.status_code == 409 and CaseEvent.objects.filter(case=case).count() == len(events)


def test_dispatch_to_a_chosen_department_and_a_refused_department(client, users, tree, report, command_department):
    case = report("S0001").case
    client.force_login(users["street"])
    from yiwang.matters.models import Department

    stranger = Department.objects.create(code="ELSE", name="别处的局", kind="other", region=tree.other_street)
    bad = _post(client, f"/api/command/cases/{case.number}/dispatch", {"department": stranger.pk})
    assert bad.status_code == 422 and "department" in bad.json()["detail"]
    assert Case.objects.get(pk=case.pk).status == Status.REPORTED
    ok = _post(client, f"/api/command/cases/{case.number}/dispatch", {"department": command_department.pk})
    assert ok.status_code == 200 and ok.json()["to"] == command_department.name
    assert Case.objects.get(pk=case.pk).handling_department == command_department


def test_summon_needs_a_reason_and_departments_then_whistles(client, users, tree, report, command_department):
    case = report("S0001").case
    client.force_login(users["street"])
    url = f"/api/command/cases/{case.number}/summon"
    assert "reason" in _post(client, url, {"reason": " ", "departments": [command_department.pk]}).json()["detail"]
    assert "departments" in _post(client, url, {"reason": "占道经营需执法", "departments": []}).json()["detail"]
    assert Case.objects.get(pk=case.pk).status == Status.REPORTED  # nothing half-written
    response = _post(client, url, {"reason": "占道经营需执法", "departments": [command_department.pk]})
    assert response.status_code == 200, response.content
    assert response.json()["parties"] == [command_department.name] and response.json()["status"] == "accepted"
    summons = case.summonses.get()
    assert summons.reason == "占道经营需执法" and summons.summoned_by == users["street"]
    assert AuditEntry.objects.filter(action="command.summon", actor=users["street"]).exists()


def test_workers_cannot_dispatch_from_the_screen(client, users, report):
    case = report("S0001", at=POINT_A).case
    client.force_login(users["worker_a"])
    assert _post(client, f"/api/command/cases/{case.number}/dispatch", {}).status_code == 403
    assert Case.objects.get(pk=case.pk).status == Status.REPORTED


def test_devices_and_their_recent_alerts(client, users, tree, report, matters):
    from yiwang.cases.models import Device, DeviceAlert, DeviceSource

    source = DeviceSource(name="smoke-platform")
    source.set_secret("s3cret")
    source.save()
    device = Device.objects.create(source=source, code="SMK-9", name="3栋烟感", matter=matters("S0005"), region=tree.grid_a, lon=POINT_A[0], lat=POINT_A[1])
    quiet = Device.objects.create(source=source, code="SMK-8", name="5栋烟感", matter=matters("S0005"), region=tree.grid_b, lon=108.315, lat=31.105)
    case = report("S0001").case
    DeviceAlert.objects.create(device=device, received_at=timezone.now(), kind="smoke", case=case, opened_case=True)
    client.force_login(users["street"])
    body = client.get("/api/command/devices", {"days": 7}).json()
    assert [(d["code"], d["alerts"]) for d in body["devices"]] == [("SMK-9", 1), ("SMK-8", 0)]
    assert [(a["device"], a["case"]) for a in body["alerts"]] == [("3栋烟感", case.number)]
    client.force_login(users["district"])
    assert client.get("/api/command/devices", {"region": tree.other_street.code}).json()["devices"] == []
    assert quiet.pk


def test_key_person_heat_leaves_out_sensitive_groups_for_viewers_without_the_permission(client, users, tree):
    """A heat point per building would show where persons under community correction or with a
    severe mental illness live: only viewers allowed to see those groups count them."""
    from django.contrib.auth.models import Permission

    from tests import factories
    from yiwang.registry.models import PersonTag

    elderly, sensitive = factories.person(tree.grid_a), factories.person(tree.grid_a)
    PersonTag.objects.create(person=elderly, tag="elderly_alone")
    PersonTag.objects.create(person=sensitive, tag="elderly_alone")
    PersonTag.objects.create(person=sensitive, tag="TS02")  # 社区矫正对象
    client.force_login(users["district"])
    assert client.get("/api/command/key-persons").json()["persons"] == 1
    users["district"].user_permissions.add(Permission.objects.get(codename="view_sensitive_group"))
    client.force_login(users["district"])
    assert client.get("/api/command/key-persons").json()["persons"] == 2
