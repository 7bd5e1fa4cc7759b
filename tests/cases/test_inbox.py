"""The inbox for real volume: tabs by step with counts that match their rows (page and API, each role),
filters (grid, matter, light, age) and order, paging that keeps the place, the department's cases to
sign, and notifications cleared when the work they announced is done."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from yiwang.cases import selectors, services
from yiwang.cases.indicators import light_of
from yiwang.cases.lifecycle import STEP_OF
from yiwang.cases.models import Case, Status
from yiwang.cases.selectors import InboxQuery, inbox, inbox_counts
from yiwang.notify.models import Notification

from .conftest import POINT_B

ROLES = ["district", "street", "community", "worker_a", "worker_b", "department"]


@pytest.fixture
def loop(tree, users, report, department):
    """Cases at every step: two waiting to be accepted, one each further round the loop for grid A,
    one signed in grid B, and two street cases with the department (one to sign, one signed)."""
    community, worker_a = users["community"], users["worker_a"]
    made = {"reported": [report("S0001").case, report("S0002", at=POINT_B).case]}
    steps = {"accepted": ["accept"], "dispatched": ["accept", "dispatch"], "signed": ["accept", "dispatch", "sign"],
             "handled": ["accept", "dispatch", "sign", "handle"], "verified": ["accept", "dispatch", "sign", "handle", "verify"]}
    for status, actions in steps.items():
        case = report("S0001").case
        for action in actions:
            actor = worker_a if action in ("sign", "handle") else community
            services.perform(case, action, acting_user=actor, note="已处理" if action == "handle" else "")
        made[status] = [case]
    b = report("S0001", at=POINT_B).case
    for action, actor in (("accept", community), ("dispatch", community), ("sign", users["worker_b"])):
        services.perform(b, action, acting_user=actor)
    made["signed"].append(b)
    made["department"] = []
    for sign in (False, True):
        case = report("06001").case
        services.do_accept_case(case, acting_user=users["street"])
        services.do_dispatch_case(case, acting_user=users["street"])
        if sign:
            services.do_sign_case(case, acting_user=users["department"])
        made["department"].append(case)
    return made


def test_the_tabs_are_the_lifecycle_steps_in_order():
    assert [key for key, _label in selectors.inbox_steps()] == [str(status) for status in STEP_OF]
    assert [label for _key, label in selectors.inbox_steps()] == ["待受理", "待派遣", "待签收", "办理中", "待核查", "待结案"]


@pytest.mark.parametrize("role", ROLES)
def test_each_tab_counts_the_rows_it_lists(client, users, loop, role):
    user = users[role]
    counts = inbox_counts(user)
    assert counts["all"] == inbox(user).count() == sum(v for k, v in counts.items() if k != "all")
    for step, count in counts.items():
        assert inbox(user, InboxQuery(step=step)).count() == count, step
    # The page shows the same tabs and counts, and each tab lists as many cards as its count.
    client.force_login(user)
    for step, count in counts.items():
        html = client.get(reverse("case-inbox"), {"step": step}).content.decode()
        shown = dict(re.findall(r'data-step="(\w+)">[^<]*<span class="inbox-count" data-testid="inbox-count">(\d+)</span>', html))
        assert {k: int(v) for k, v in shown.items()} == counts
        assert html.count('data-testid="inbox-card"') == min(count, 20), step
    # ... and so does the API.
    body = client.get("/api/cases/inbox").json()
    assert {tab["step"]: tab["count"] for tab in body["tabs"]} == counts
    for step, count in counts.items():
        listed = client.get("/api/cases/inbox", {"step": step}).json()
        assert listed["count"] == len(listed["items"]) == count


def test_who_sees_which_steps(users, loop):
    counts = {role: inbox_counts(users[role]) for role in ROLES}
    assert counts["community"] == {"reported": 2, "accepted": 1, "dispatched": 0, "signed": 0, "handled": 1, "verified": 1, "all": 5}
    assert counts["worker_a"] == {"dispatched": 1, "signed": 1, "all": 2}
    assert counts["worker_b"] == {"dispatched": 0, "signed": 1, "all": 1}
    assert counts["department"] == {"dispatched": 1, "signed": 1, "all": 2}
    # The street coordinates everything in its area but handles only street-level work (none here).
    assert counts["street"]["reported"] == 2 and counts["street"]["dispatched"] == 0
    numbers = [c.number for c in inbox(users["department"], InboxQuery(step="dispatched"))]
    assert numbers == [loop["department"][0].number]


def test_a_pending_extension_waits_in_the_coordinators_tab(users, loop):
    case = loop["signed"][0]
    assert case not in inbox(users["community"], InboxQuery(step="signed"))
    services.do_request_extension(case, acting_user=users["worker_a"], amount="2d", reason="材料未到")
    assert list(inbox(users["community"], InboxQuery(step="signed"))) == [case]
    assert inbox_counts(users["community"])["signed"] == 1


@pytest.mark.rollups_unchecked  # deadlines and report times are set behind Case.save
def test_light_filter_is_the_light_of_each_case(users, loop):
    now = timezone.now()
    cases = list(inbox(users["community"]))
    red, yellow, green, paused = cases[:4]
    Case.objects.filter(pk=red.pk).update(step_warn_at=now - timedelta(hours=3), step_due_at=now - timedelta(hours=1))
    Case.objects.filter(pk=yellow.pk).update(step_warn_at=now - timedelta(hours=1), step_due_at=now + timedelta(hours=1))
    Case.objects.filter(pk=green.pk).update(step_warn_at=now + timedelta(hours=1), step_due_at=now + timedelta(hours=2))
    Case.objects.filter(pk=paused.pk).update(paused_at=now - timedelta(hours=1), step_due_at=now - timedelta(hours=1))
    everything = list(inbox(users["community"], now=now))
    seen = set()
    for colour in ("red", "yellow", "green", "paused"):
        listed = set(inbox(users["community"], InboxQuery(light=colour), now=now))
        assert listed == {c for c in everything if (light_of(c, now) or {}).get("colour") == colour}, colour
        assert inbox_counts(users["community"], InboxQuery(light=colour), now=now)["all"] == len(listed)
        seen |= listed
    assert {red, yellow, green, paused} <= seen


@pytest.mark.rollups_unchecked  # deadlines and report times are set behind Case.save
def test_grid_matter_and_age_filters(users, loop, matters):
    community = users["community"]
    in_b = {c for c in inbox(community) if c.region.code.endswith("002")}
    grid_b = loop["reported"][1].region
    assert set(inbox(community, InboxQuery(grid=grid_b))) == in_b and in_b
    s0002 = matters("S0002").pk
    assert [c.matter_id for c in inbox(community, InboxQuery(matter=s0002))] == [s0002]
    old = loop["reported"][0]
    Case.objects.filter(pk=old.pk).update(reported_at=timezone.now() - timedelta(days=5))
    assert list(inbox(community, InboxQuery(age="older"))) == [old]
    assert old not in inbox(community, InboxQuery(age="1d")) and old not in inbox(community, InboxQuery(age="3d"))
    assert inbox(community, InboxQuery(age="1d")).count() == inbox(community).count() - 1


@pytest.mark.rollups_unchecked  # deadlines and report times are set behind Case.save
def test_most_urgent_or_newest_first(users, loop):
    community = users["community"]
    now = timezone.now()
    first, second = loop["reported"]
    # The older report is due later: urgent order follows the due time, newest order the report time.
    Case.objects.filter(pk=first.pk).update(reported_at=now - timedelta(hours=2), step_due_at=now + timedelta(hours=9))
    Case.objects.filter(pk=second.pk).update(reported_at=now - timedelta(hours=1), step_due_at=now + timedelta(hours=1))
    assert list(inbox(community, InboxQuery(step="reported"))) == [second, first]
    Case.objects.filter(pk=second.pk).update(reported_at=now - timedelta(hours=3))
    assert list(inbox(community, InboxQuery(step="reported", sort="newest"))) == [first, second]
    assert list(inbox(community, InboxQuery(step="reported"))) == [second, first]


def test_bad_filters_get_a_chinese_message_naming_the_field(client, users, loop):
    client.force_login(users["community"])
    response = client.get(reverse("case-inbox"), {"light": "purple", "grid": "999", "matter": "x", "age": "forever", "sort": "up", "step": "nope"})
    html = response.content.decode()
    assert response.status_code == 200
    for words in ("“时限灯”只能是", "编码为“999”的网格", "事项应从列表中选择", "“上报时间”只能是", "“排序”只能是", "没有“nope”这个环节"):
        assert words in html
    assert html.count('data-testid="inbox-card"') == 2  # the rest still works: the default tab, unfiltered
    api = client.get("/api/cases/inbox", {"light": "purple"})
    assert api.status_code == 422 and "时限灯" in api.json()["detail"]["light"][0]
    # A grid outside the user's scope is refused like an unknown one.
    assert "网格" in client.get("/api/cases/inbox", {"grid": "500154001000"}).json()["detail"]["grid"][0]


def test_the_default_tab_is_the_first_step_with_work(client, users, loop):
    client.force_login(users["community"])
    html = client.get(reverse("case-inbox")).content.decode()
    assert 'aria-current="page" data-testid="inbox-tab" data-step="reported"' in html
    assert all(f'data-number="{c.number}"' in html for c in loop["reported"])
    client.force_login(users["department"])
    html = client.get(reverse("case-inbox")).content.decode()
    assert 'aria-current="page" data-testid="inbox-tab" data-step="dispatched"' in html
    assert f'data-number="{loop["department"][0].number}"' in html and "待签收" in html


def test_paging_keeps_the_place_and_coming_back_returns_there(client, users, tree, report):
    for _ in range(23):
        report("S0001")
    client.force_login(users["community"])
    html = client.get(reverse("case-inbox"), {"step": "reported", "sort": "newest", "age": "1d"}).content.decode()
    assert html.count('data-testid="inbox-card"') == 20
    assert 'href="?step=reported&amp;age=1d&amp;sort=newest&amp;page=2"' in html
    html = client.get(reverse("case-inbox"), {"step": "reported", "sort": "newest", "age": "1d", "page": "2"}).content.decode()
    assert html.count('data-testid="inbox-card"') == 3
    # A tab keeps the filters; a case acted on sends the user back to /cases/inbox/, which shows page 2 again.
    assert 'href="?age=1d&amp;sort=newest&amp;step=accepted"' in html
    again = client.get(reverse("case-inbox")).content.decode()
    assert again.count('data-testid="inbox-card"') == 3 and "2 / 2" in again and '<option value="newest" selected>' in again


def unread(user, **extra) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True, **extra).count()


def test_a_department_signs_and_its_unread_count_drops(client, users, tree, report, department, django_capture_on_commit_callbacks):
    dept_user = users["department"]
    cases = []
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            case = report("06001").case
            services.do_accept_case(case, acting_user=users["street"])
            services.do_dispatch_case(case, acting_user=users["street"])
            cases.append(case)
    # What it must sign, and its messages, agree.
    assert inbox_counts(dept_user)["dispatched"] == unread(dept_user, kind="dispatch") == unread(dept_user) == 3
    with django_capture_on_commit_callbacks(execute=True):
        services.do_sign_case(cases[0], acting_user=dept_user)
    assert inbox_counts(dept_user)["dispatched"] == unread(dept_user) == 2
    client.force_login(dept_user)
    html = client.get(reverse("case-inbox")).content.decode()
    assert re.search(r'data-testid="unread-count">2<', html)
    assert re.search(r'data-step="dispatched">待签收<span class="inbox-count" data-testid="inbox-count">2<', html)


def test_notices_are_read_once_the_case_leaves_their_step(users, report, department, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = report("S0001").case
    coordinators = [users["community"], users["street"], users["district"]]
    assert [unread(u, case=case) for u in coordinators] == [1, 1, 1]
    with django_capture_on_commit_callbacks(execute=True):
        services.do_accept_case(case, acting_user=users["community"])
    # Accepted by one, the report's notice is answered for all of them.
    assert [unread(u, case=case) for u in coordinators] == [0, 0, 0]
    with django_capture_on_commit_callbacks(execute=True):
        services.do_dispatch_case(case, acting_user=users["community"])
        services.do_sign_case(case, acting_user=users["worker_a"])
    assert unread(users["worker_a"], case=case) == 0
    # A request answered without leaving the step: its notice is read, the others stay.
    with django_capture_on_commit_callbacks(execute=True):
        services.perform(case, "urge", acting_user=users["community"], note="请尽快")
        services.do_request_extension(case, acting_user=users["worker_a"], amount="1d", reason="等配件")
    assert unread(users["community"], case=case, kind="request_extension") == 1 and unread(users["worker_a"], kind="urge") == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.do_decide_extension(case, acting_user=users["community"], approve=True)
    assert unread(users["community"], case=case, kind="request_extension") == 0 and unread(users["worker_a"], kind="urge") == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.do_handle_case(case, acting_user=users["worker_a"], note="已修好")
    assert unread(users["worker_a"], case=case) == 0
    assert unread(users["community"], case=case, kind="handle") == 1  # the new step's notice


def test_clearing_is_part_of_the_transition(users, report, django_capture_on_commit_callbacks, monkeypatch):
    """A transition that fails leaves the notices unread: they are marked in its transaction."""
    with django_capture_on_commit_callbacks(execute=True):
        case = report("S0001").case

    def broken(event):
        raise RuntimeError("queue down")

    monkeypatch.setattr(services.notices, "announce", broken)
    with pytest.raises(RuntimeError):
        services.do_accept_case(case, acting_user=users["community"])
    assert unread(users["community"], case=case) == 1
    assert Case.objects.get(pk=case.pk).status == Status.REPORTED


def test_a_summons_notice_is_not_about_the_step(users, report, department, django_capture_on_commit_callbacks):
    case = report("06001").case
    services.do_accept_case(case, acting_user=users["street"])
    with django_capture_on_commit_callbacks(execute=True):
        services.do_summon(case, acting_user=users["street"], reason="多部门会商", parts=[{"department": department, "task": "到场处置"}])
    assert unread(users["department"], kind="summon") == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.do_dispatch_case(case, acting_user=users["street"])
    assert unread(users["department"], kind="summon") == 1


def test_a_notice_delivered_after_its_step_is_done_arrives_read(users, report):
    from yiwang.cases import notices

    case = report("S0001").case
    services.do_accept_case(case, acting_user=users["community"])
    # The worker runs the report's delivery again, late (as a slow or retried worker would).
    reported = case.events.get(action="report")
    assert notices.deliver_event(reported.pk) == 3
    assert Notification.objects.filter(case=case, kind="report").count() == 6
    assert Notification.objects.filter(case=case, read_at__isnull=True).count() == 0
