"""Recording patrols and home visits: who may, what is checked, findings that open cases all or
nothing; setting and ending care plans; the work counted per grid worker."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests import factories
from yiwang.cases.models import Case
from yiwang.core.models import AuditEntry
from yiwang.gridwork import selectors, services
from yiwang.gridwork.models import CarePlan, Finding, HomeVisit, PatrolLog

pytestmark = pytest.mark.django_db


def _ago(**delta):
    return timezone.now() - timedelta(**delta)


def test_a_grid_worker_records_a_patrol_in_their_grid(tree, users):
    worker = users["worker_a"]
    worker.first_name = "张网格"
    worker.save()
    place = factories.place(tree.micro_a1)
    patrol = services.record_patrol(acting_user=worker, region=tree.micro_a1, at=_ago(hours=2), ended_at=_ago(hours=1),
                                    route="滨湖路—安康路", summary="  巡查背街小巷  ", place=place, lon=108.302, lat=31.105)
    assert (patrol.worker, patrol.worker_name, patrol.summary, patrol.place, patrol.recorded_by) == (worker, "张网格", "巡查背街小巷", place, worker)
    assert patrol.where == f"第1微网格 · {place.name}"
    entry = AuditEntry.objects.get(action="gridwork.patrol")
    assert entry.target_id == str(patrol.pk) and entry.detail["findings"] == 0


def test_a_visit_finding_opens_a_case_in_the_same_record(tree, users, matter, tagged):
    elder = tagged(tree.micro_a1, "elderly_alone")
    visit = services.record_visit(acting_user=users["worker_a"], at=_ago(minutes=30), summary="上门看望", persons=[elder],
                                  findings=[services.FindingInput(description="楼上漏水,两户纠纷", matter=matter),
                                            {"description": "楼道灯不亮"}])
    assert visit.region == tree.micro_a1  # where the person lives
    assert list(visit.persons.all()) == [elder]
    first, second = visit.findings.order_by("row")
    case = first.case
    assert case is not None and second.case is None
    assert (case.channel, case.matter, case.description, case.region, case.micro_grid) == ("grid_worker", matter, "楼上漏水,两户纠纷", tree.grid_a, tree.micro_a1)
    assert (case.external_source, case.external_id, case.reported_by) == ("gridwork", f"visit-{visit.pk}-1", users["worker_a"])
    assert AuditEntry.objects.get(action="gridwork.visit").detail["cases"] == [case.number]


def test_a_refused_case_leaves_nothing_written_and_names_the_finding(tree, users, matter, charging):
    cases_before = Case.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.record_patrol(acting_user=users["worker_a"], region=tree.grid_a, at=_ago(hours=1), summary="巡查",
                               findings=[{"description": "邻里纠纷", "matter": matter},
                                         {"description": "楼道里给电动车充电", "matter": charging}])  # its required question is unanswered
    keys = list(caught.value.message_dict)
    assert keys and all(key.startswith("findings[2].") for key in keys)
    assert "第2个问题无法立案" in str(caught.value)
    assert (PatrolLog.objects.count(), Finding.objects.count(), Case.objects.count()) == (0, 0, cases_before)
    assert not AuditEntry.objects.filter(action="gridwork.patrol").exists()


def test_every_bad_field_is_named_before_anything_is_written(tree, users, matter):
    with pytest.raises(ValidationError) as caught:
        services.record_patrol(acting_user=users["worker_a"], region=tree.grid_a, at=timezone.now() + timedelta(hours=1), summary=" ",
                               lon=108.3, lat=None, findings=[{"description": ""}, {"description": "积水", "urgency": "whenever"}])
    assert caught.value.message_dict.keys() == {"at", "summary", "lat", "findings[1].description", "findings[2].urgency"}
    with pytest.raises(ValidationError) as caught:
        services.record_patrol(acting_user=users["worker_a"], region=tree.grid_a, at=_ago(days=31), summary="补录",
                               ended_at=_ago(days=32))
    assert caught.value.message_dict.keys() == {"at", "ended_at"}
    with pytest.raises(ValidationError) as caught:
        services.record_visit(acting_user=users["worker_a"], region=tree.grid_a, at=_ago(hours=1), summary="走访", lon=200, lat=31)
    assert "lon" in caught.value.message_dict
    assert PatrolLog.objects.count() == HomeVisit.objects.count() == 0


def test_records_stay_inside_the_workers_scope(tree, users, tagged):
    with pytest.raises(PermissionDenied):
        services.record_patrol(acting_user=users["worker_a"], region=tree.grid_b, at=_ago(hours=1), summary="越界")
    for role in ("department", "resident"):
        with pytest.raises(PermissionDenied):
            services.record_patrol(acting_user=users[role], region=tree.grid_a, at=_ago(hours=1), summary="巡查")
    neighbour = tagged(tree.micro_b1, "elderly_alone")
    with pytest.raises(ValidationError) as caught:
        services.record_visit(acting_user=users["worker_a"], region=tree.grid_a, at=_ago(hours=1), summary="走访", persons=[neighbour])
    assert "persons" in caught.value.message_dict and "不在 永先社区第1网格 内" in caught.value.message_dict["persons"][0]
    # Without a region the record goes where the person lives: grid B, outside worker A's scope.
    with pytest.raises(PermissionDenied):
        services.record_visit(acting_user=users["worker_a"], at=_ago(hours=1), summary="走访", persons=[neighbour])
    with pytest.raises(ValidationError) as caught:
        services.record_patrol(acting_user=users["community"], region=tree.community, at=_ago(hours=1), summary="巡查")
    assert "region" in caught.value.message_dict
    assert PatrolLog.objects.count() == HomeVisit.objects.count() == 0


def test_staff_may_record_for_a_worker_who_covers_the_grid(tree, users):
    patrol = services.record_patrol(acting_user=users["community"], worker=users["worker_a"], region=tree.grid_a, at=_ago(hours=1),
                                    summary="补录网格员巡查")
    assert patrol.worker == users["worker_a"] and patrol.recorded_by == users["community"]
    with pytest.raises(ValidationError) as caught:
        services.record_patrol(acting_user=users["community"], worker=users["worker_b"], region=tree.grid_a, at=_ago(hours=1), summary="巡查")
    assert "worker" in caught.value.message_dict


def test_care_plans_are_set_by_community_and_above_and_replace_the_one_in_force(tree, users):
    first = services.set_care_plan(acting_user=users["community"], region=tree.community, group="elderly_alone", frequency_days=7)
    second = services.set_care_plan(acting_user=users["community"], region=tree.community, group="elderly_alone", frequency_days=14,
                                    note="每两周上门")
    first.refresh_from_db()
    assert (first.active, first.ends_on) == (False, timezone.localdate())
    assert second.active and CarePlan.objects.filter(active=True).count() == 1
    with pytest.raises(PermissionDenied):
        services.set_care_plan(acting_user=users["worker_a"], region=tree.community, group="disabled", frequency_days=30)
    with pytest.raises(PermissionDenied):  # the community cannot set the street's plan
        services.set_care_plan(acting_user=users["community"], region=tree.street, group="disabled", frequency_days=30)
    with pytest.raises(ValidationError) as caught:
        services.set_care_plan(acting_user=users["street"], region=tree.grid_a, group="nobody", frequency_days=5)
    assert caught.value.message_dict.keys() == {"region", "group", "frequency_days"}
    services.end_care_plan(second, acting_user=users["street"])
    assert not CarePlan.objects.filter(active=True).exists()
    with pytest.raises(ValidationError):
        services.end_care_plan(second, acting_user=users["street"])


def test_work_by_worker_counts_records_findings_and_cases(tree, users, matter):
    worker_a, worker_b = users["worker_a"], users["worker_b"]
    services.record_patrol(acting_user=worker_a, region=tree.grid_a, at=_ago(days=2), summary="巡查",
                           findings=[{"description": "纠纷", "matter": matter}, {"description": "路灯不亮"}])
    services.record_patrol(acting_user=worker_a, region=tree.grid_a, at=_ago(days=40 - 15), summary="巡查")
    services.record_visit(acting_user=worker_a, region=tree.grid_a, at=_ago(days=1), summary="走访", findings=[{"description": "漏水", "matter": matter}])
    services.record_visit(acting_user=worker_b, region=tree.grid_b, at=_ago(days=1), summary="走访")
    since, until = _ago(days=10), timezone.now()
    work = selectors.work_by_worker(region_path=tree.community.path, since=since, until=until)
    assert work == {worker_a.pk: {"patrols": 1, "visits": 1, "findings": 3, "cases_opened": 2},
                    worker_b.pk: {"patrols": 0, "visits": 1, "findings": 0, "cases_opened": 0}}
    assert selectors.work_by_worker(region_path=tree.grid_b.path, since=since, until=until) == {
        worker_b.pk: {"patrols": 0, "visits": 1, "findings": 0, "cases_opened": 0}}
    assert selectors.work_by_worker(region_path=tree.other_street.path, since=since, until=until) == {}
