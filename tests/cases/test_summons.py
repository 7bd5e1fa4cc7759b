"""Summonses (吹哨报到) on the web: people as well as departments, late check-ins flagged and
counted, and the summons list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from yiwang.cases import selectors, services
from yiwang.cases.models import SummonsPart

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def named(users):
    worker = users["worker_b"]
    worker.first_name = "王五"
    worker.unit = ""
    worker.save()
    return worker


@pytest.fixture
def accepted(users, report):
    """A street-level case in grid A that the street has accepted, so the street may summon."""
    case = report("06001").case
    services.do_accept_case(case, acting_user=users["street"])
    return case


def _summon(case, user, *, parts, ago=timedelta(0)):
    return services.do_summon(case, acting_user=user, reason="违建需联合执法", parts=parts, now=timezone.now() - ago)


def test_the_form_offers_people_by_name_with_their_unit(client, users, accepted, named, department):
    client.force_login(users["street"])
    html = client.get(reverse("case-detail", args=[accepted.number])).content.decode()
    assert 'name="part-0-member"' in html
    assert f'<option value="{named.pk}">王五（永先社区第2网格）</option>' in html
    # Names, not login names, and nobody outside the street.
    assert ">worker_b<" not in html and "resident" not in html


def test_the_form_summons_a_person_through_the_service(client, users, accepted, named, department):
    client.force_login(users["street"])
    client.post(reverse("case-summon", args=[accepted.number]), {
        "reason": "违建需联合执法", "part-0-member": str(named.pk), "part-0-task": "到场劝导", "part-0-hours": "1",
        "part-1-department": str(department.pk), "part-1-task": "到场拆除"})
    parts = list(accepted.summonses.get().parts.order_by("id"))
    assert [(p.member, p.department, p.task) for p in parts] == [(named, None, "到场劝导"), (None, department, "到场拆除")]


@pytest.mark.parametrize("row, message", [
    ({"part-0-member": "outsider"}, "请从列表中选择人员"),
    ({"part-0-member": "named", "part-0-department": "department"}, "每行只选一个部门或一名人员"),
    ({"part-0-member": "999999"}, "请从列表中选择人员"),
])
def test_a_person_outside_reach_or_a_double_row_is_refused(client, users, accepted, named, department, make_user, tree, row, message):
    outsider = make_user("other_street", "street", tree.other_street, first_name="赵六")
    values = {"outsider": str(outsider.pk), "named": str(named.pk), "department": str(department.pk)}
    data = {"reason": "违建需联合执法", "part-0-task": "到场", **{k: values.get(v, v) for k, v in row.items()}}
    client.force_login(users["street"])
    response = client.post(reverse("case-summon", args=[accepted.number]), data, follow=True)
    assert message in response.content.decode()
    assert not accepted.summonses.exists()


def test_a_check_in_after_the_deadline_is_late_on_the_case_and_the_list(client, users, accepted, named, department):
    late = _summon(accepted, users["street"], parts=[{"member": named, "task": "到场", "checkin_hours": 1}], ago=timedelta(days=10))
    on_time = _summon(accepted, users["street"], parts=[{"department": department, "task": "拆除", "checkin_hours": 8}])
    late_part, on_time_part = late.parts.get(), on_time.parts.get()
    assert late_part.checkin_due_at < timezone.now()  # the summons time plus its working hours
    services.do_check_in(late_part, acting_user=named)
    services.do_check_in(on_time_part, acting_user=users["department"])

    states = dict(selectors.with_checkin_state(SummonsPart.objects.all()).values_list("pk", "checkin_state"))
    assert states == {late_part.pk: "late", on_time_part.pk: "on_time"}

    client.force_login(users["street"])
    detail = client.get(reverse("case-detail", args=[accepted.number])).content.decode()
    assert 'data-state="late"' in detail and "迟到" in detail and 'data-state="on_time"' in detail
    listing = client.get(reverse("summons-list")).content.decode()
    assert f'data-part="{late_part.pk}" data-state="late"' in listing and "迟到" in listing
    assert 'data-count="late">1<' in listing and 'data-count="on_time">1<' in listing
    assert selectors.summons_counts(users["street"])["late"] == 1
    yearly = client.get("/api/cases/summons/yearly").json()
    assert [(row["department__name"], row["late"]) for row in yearly] == [(department.name, 0)]


def test_a_late_department_is_counted_by_year(users, accepted, department):
    part = _summon(accepted, users["street"], parts=[{"department": department, "task": "拆除", "checkin_hours": 1}], ago=timedelta(days=10)).parts.get()
    services.do_check_in(part, acting_user=users["department"])
    rows = selectors.yearly_summons_counts(SummonsPart.objects.all())
    assert [(row["asked"], row["late"]) for row in rows] == [(1, 1)]


def test_not_yet_checked_in_is_shown_as_such(client, users, accepted, named):
    part = _summon(accepted, users["street"], parts=[{"member": named, "task": "到场", "checkin_hours": 1}], ago=timedelta(days=10)).parts.get()
    assert selectors.with_checkin_state(SummonsPart.objects.filter(pk=part.pk)).get().checkin_state == "missed"
    client.force_login(users["street"])
    listing = client.get(reverse("summons-list")).content.decode()
    assert "超时未报到" in listing and 'data-count="not_yet">1<' in listing


def test_the_list_filters_by_state(client, users, accepted, named, department):
    open_one = _summon(accepted, users["street"], parts=[{"member": named, "task": "到场", "checkin_hours": 1}])
    done = _summon(accepted, users["street"], parts=[{"department": department, "task": "拆除", "checkin_hours": 8}])
    part = done.parts.get()
    services.do_check_in(part, acting_user=users["department"])
    services.do_finish_part(part, acting_user=users["department"], result="已拆除", rating_of_summoner=5)
    services.do_rate_participant(part, acting_user=users["street"], stars=4)
    client.force_login(users["street"])

    def shown(state=""):
        html = client.get(reverse("summons-list"), {"state": state} if state else {}).content.decode()
        return {int(pk) for pk in __import__("re").findall(r'data-summons="(\d+)"', html)}, html

    everything, html = shown()
    assert everything == {open_one.pk, done.pk}
    assert "吹哨方评价 4★" in html and "报到方评价 5★" in html
    assert shown("open")[0] == {open_one.pk}
    assert shown("closed")[0] == {done.pk}
    assert shown("waiting")[0] == {open_one.pk}
    assert shown("late")[0] == set()
    assert shown("nonsense")[0] == everything  # an unknown filter shows everything rather than failing


def test_the_list_keeps_to_the_scope_and_shows_a_named_person_their_own(client, users, report, named):
    case = report("06001").case
    services.do_accept_case(case, acting_user=users["street"])
    summons = _summon(case, users["street"], parts=[{"member": named, "task": "到场", "checkin_hours": 2}])
    part = summons.parts.get()
    # worker_a's grid holds the case; worker_b is named by the summons though the case is outside their grid.
    client.force_login(users["worker_b"])
    html = client.get(reverse("summons-list")).content.decode()
    assert f'data-summons="{summons.pk}"' in html and 'data-testid="list-check-in"' in html
    response = client.post(reverse("summons-part", args=[part.pk, "check-in"]), {"back": "list"})
    assert response.status_code == 302 and response["Location"] == reverse("summons-list")
    part.refresh_from_db()
    assert part.checked_in_by == named

    client.force_login(users["community"])
    assert f'data-summons="{summons.pk}"' in client.get(reverse("summons-list")).content.decode()
    client.force_login(users["resident"])
    assert client.get(reverse("summons-list")).status_code == 403


def test_someone_neither_in_scope_nor_named_cannot_act_on_a_part(client, users, accepted, department, make_user, tree):
    part = _summon(accepted, users["street"], parts=[{"department": department, "task": "拆除", "checkin_hours": 2}]).parts.get()
    outsider = make_user("other_street", "street", tree.other_street)
    client.force_login(outsider)
    assert client.post(reverse("summons-part", args=[part.pk, "check-in"])).status_code == 404
    part.refresh_from_db()
    assert part.checked_in_at is None
