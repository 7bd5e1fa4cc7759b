"""Stage deadlines as data (环节时限): versions per matter and level, their checks, each stage's light,
the sweep by stage, and the overdue penalty going to whoever held the late stage."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from yiwang.cases import services
from yiwang.cases.models import Level, StageLimit, StageTiming, Status
from yiwang.cases.stages import late_stage_counts, stage_rows
from yiwang.core.jobs import run_jobs
from yiwang.notify.models import Notification
from yiwang.points.models import PointEntry
from yiwang.worktime import calendar as work_calendar


def _to_signed(case, users, worker="worker_a"):
    services.do_accept_case(case, acting_user=users["community"])
    services.do_dispatch_case(case, acting_user=users["community"])
    services.do_sign_case(case, acting_user=users[worker])
    case.refresh_from_db()
    return case


def _working_seconds(case, start, end):
    return work_calendar.current().working_seconds_between(start, end)


def test_seeded_defaults_reproduce_the_matter_limits_at_80_and_100_percent(users, report, matters):
    defaults = StageLimit.objects.filter(matter__isnull=True, level="")
    assert sorted(defaults.values_list("stage", flat=True)) == ["accept", "dispatch", "handle", "sign", "verify"]
    assert all(row.amount is None and (row.yellow_percent, row.red_percent) == (80, 100) for row in defaults)

    case = report("S0001").case
    limit = work_calendar.current().limit_seconds(matters("S0001").accept_limit)
    assert _working_seconds(case, case.step_started_at, case.step_due_at) == pytest.approx(limit)
    assert _working_seconds(case, case.step_started_at, case.step_warn_at) == pytest.approx(limit * 0.8)
    timing = StageTiming.objects.get(case=case)
    assert timing.stage == "accept" and timing.limit_version == defaults.get(stage="accept") and timing.done_at is None
    assert timing.limit == matters("S0001").accept_limit


def test_a_matter_and_level_version_overrides_and_cases_keep_the_version_they_started_under(users, report, matters):
    matter = matters("S0001")
    today = timezone.localdate()
    handle_now = StageLimit.objects.create(matter=matter, level=Level.GRID, stage="handle", amount=2, unit="h",
                                           yellow_percent=50, red_percent=100, effective_from=today - timedelta(days=1))
    case = _to_signed(report("S0001").case, users)
    assert case.level == Level.GRID and case.step == "handle"
    assert _working_seconds(case, case.step_started_at, case.step_due_at) == pytest.approx(2 * 3600)
    assert _working_seconds(case, case.step_started_at, case.step_warn_at) == pytest.approx(3600)
    started_under = StageTiming.objects.get(case=case, stage="handle")
    assert started_under.limit_version == handle_now and started_under.limit == "2h"

    # A new version from tomorrow: the running stage keeps its version and its clock.
    StageLimit.objects.create(matter=matter, level=Level.GRID, stage="handle", amount=6, unit="h", effective_from=today + timedelta(days=1))
    due = case.step_due_at
    services.do_supervise_case(case, acting_user=users["street"], note="请抓紧")
    case.refresh_from_db()
    assert case.step_due_at == due and StageTiming.objects.get(case=case, stage="handle").limit_version == handle_now

    # Another level is not touched by the grid's version: the default (the matter's 3d) applies there.
    other = report("S0001").case
    services.do_accept_case(other, acting_user=users["community"])
    services.do_dispatch_case(other, acting_user=users["community"], region=users["community"].scope_region)
    services.do_sign_case(other, acting_user=users["community"])
    other.refresh_from_db()
    assert other.level == Level.COMMUNITY
    assert StageTiming.objects.get(case=other, stage="handle").limit == matter.handle_limit


def test_stage_limit_checks_name_the_field_in_chinese(matters, db):
    matter = matters("S0001")
    start = date(2026, 1, 1)
    with pytest.raises(ValidationError) as negative:
        StageLimit.objects.create(matter=matter, stage="handle", amount=-1, unit="h", effective_from=start)
    assert "负数" in negative.value.message_dict["amount"][0]
    with pytest.raises(ValidationError) as backwards:
        StageLimit.objects.create(matter=matter, stage="handle", amount=4, unit="h", yellow_percent=90, red_percent=80, effective_from=start)
    assert "黄灯" in backwards.value.message_dict["red_percent"][0]
    with pytest.raises(ValidationError) as too_long:
        StageLimit.objects.create(matter=matter, stage="handle", amount=40, unit="d", effective_from=start)
    assert matter.name in too_long.value.message_dict["amount"][0] and "办结时限" in too_long.value.message_dict["amount"][0]
    with pytest.raises(ValidationError) as undated:
        StageLimit(matter=matter, stage="handle", amount=4, unit="h", effective_from=None).full_clean()
    assert "effective_from" in undated.value.message_dict
    assert not StageLimit.objects.filter(matter=matter).exists()


def test_a_version_cases_run_under_cannot_be_changed(users, report):
    case = report("S0001").case
    default = StageTiming.objects.get(case=case).limit_version
    default.yellow_percent = 60
    with pytest.raises(ValidationError) as used:
        default.save()
    assert "新增一个版本" in used.value.message_dict["yellow_percent"][0]
    default.refresh_from_db()
    default.note = "说明可以改"
    default.save()


def test_admin_refuses_a_negative_limit_with_the_field_named(client, users, matters):
    client.force_login(users["district"])
    response = client.post("/admin/cases/stagelimit/add/", {
        "matter": matters("S0001").pk, "level": "grid", "stage": "handle", "amount": "-2", "unit": "h",
        "yellow_percent": 80, "red_percent": 100, "effective_from": "2026-01-01", "note": ""})
    assert response.status_code == 200
    assert "时限须大于零，不能为负数或零" in response.content.decode()
    assert not StageLimit.objects.filter(matter__isnull=False).exists()
    ok = client.post("/admin/cases/stagelimit/add/", {
        "matter": matters("S0001").pk, "level": "grid", "stage": "handle", "amount": "2", "unit": "h",
        "yellow_percent": 80, "red_percent": 100, "effective_from": "2026-01-01", "note": ""})
    assert ok.status_code == 302 and StageLimit.objects.get(matter__isnull=False).created_by == users["district"]


def test_each_stage_shows_its_times_and_light(users, report, client):
    case = report("S0001").case
    services.do_accept_case(case, acting_user=users["community"])
    case.refresh_from_db()
    rows = {row["stage"]: row for row in stage_rows(case, now=case.step_started_at)}
    assert rows["accept"]["light"]["colour"] == "green" and rows["accept"]["done_at"] is not None
    assert rows["dispatch"]["light"]["colour"] == "green" and rows["dispatch"]["due_at"] == case.step_due_at
    assert rows["sign"]["light"]["colour"] == "grey" and rows["sign"]["started_at"] is None
    yellow = {row["stage"]: row for row in stage_rows(case, now=case.step_warn_at + timedelta(seconds=1))}
    assert yellow["dispatch"]["light"]["colour"] == "yellow"
    red = {row["stage"]: row for row in stage_rows(case, now=case.step_due_at + timedelta(seconds=1))}
    assert red["dispatch"]["light"]["colour"] == "red" and red["dispatch"]["light"]["text"] == "超时"

    client.force_login(users["community"])
    page = client.get(f"/cases/{case.number}/").content.decode()
    assert 'data-testid="stages"' in page and 'data-stage="verify"' in page and "按时完成" in page and "未开始" in page


def test_a_stage_done_after_its_red_moment_shows_red(users, report):
    case = report("S0001").case
    late = case.step_due_at + timedelta(minutes=5)
    services.perform(case, "accept", acting_user=users["community"], now=late)
    rows = {row["stage"]: row for row in stage_rows(case, now=late)}
    assert rows["accept"]["light"] == {"colour": "red", "text": "超时完成"}


def test_the_sweep_warns_and_marks_each_stage_once(users, report, django_capture_on_commit_callbacks):
    case = _to_signed(report("S0001").case, users)
    with django_capture_on_commit_callbacks(execute=True):
        assert run_jobs(now=case.step_warn_at + timedelta(seconds=1))["cases.reminders"] == 1
    assert run_jobs(now=case.step_warn_at + timedelta(seconds=2))["cases.reminders"] == 0
    handle = StageTiming.objects.get(case=case, stage="handle")
    assert handle.warned_at is not None
    assert "处置环节" in Notification.objects.get(user=users["worker_a"], kind="remind", case=case).text
    result = run_jobs(now=case.step_due_at + timedelta(seconds=1))
    assert result["cases.overdue"] == 1
    assert run_jobs(now=case.step_due_at + timedelta(seconds=2))["cases.overdue"] == 0
    handle.refresh_from_db()
    assert handle.overdue_at is not None and handle.owner == users["worker_a"] and handle.owner_region_id == case.handling_region_id
    # The handling grid worker held the late handling: the penalty is theirs, once.
    assert PointEntry.objects.filter(case=case, event="overdue", worker=users["worker_a"]).count() == 1

    # The next stage (verification, the community's) gets its own warning.
    services.do_handle_case(case, acting_user=users["worker_a"], note="已处理", photos=None)
    case.refresh_from_db()
    assert case.step == "verify" and StageTiming.objects.get(case=case, stage="handle").done_at is not None
    assert run_jobs(now=case.step_warn_at + timedelta(seconds=1))["cases.reminders"] == 1
    assert StageTiming.objects.get(case=case, stage="verify").warned_at is not None


def test_a_late_community_verification_does_not_penalise_the_grid_worker(users, report, tree):
    from yiwang.cases.models import Channel

    # The grid worker reported it, signed it and handled it; the community then verified late.
    case = _to_signed(report("S0001", user=users["worker_a"], channel=Channel.GRID_WORKER).case, users)
    services.do_handle_case(case, acting_user=users["worker_a"], note="已调解")
    case.refresh_from_db()
    assert case.status == Status.HANDLED and case.handler == users["worker_a"] and case.level == Level.GRID
    assert run_jobs(now=case.step_due_at + timedelta(seconds=1))["cases.overdue"] == 1
    case.refresh_from_db()
    assert case.step_overdue
    assert not PointEntry.objects.filter(event="overdue").exists()
    verify = StageTiming.objects.get(case=case, stage="verify")
    assert verify.owner is None and verify.owner_region == tree.community and verify.owner_department is None
    # The unit's assessment counts it.
    since, until = verify.overdue_at - timedelta(days=1), verify.overdue_at + timedelta(days=1)
    from yiwang.cases.models import Case

    assert late_stage_counts(Case.objects.all(), since=since, until=until, by="region") == {tree.community.pk: 1}


def test_a_department_late_to_sign_counts_in_its_assessment_and_costs_no_points(users, report, department):
    from yiwang.assessment import selectors as assessment
    from yiwang.cases.models import Case, SummonsPart

    case = report("S0001").case
    services.do_accept_case(case, acting_user=users["community"])
    case.refresh_from_db()
    services.do_dispatch_case(case, acting_user=users["street"], department=department)
    case.refresh_from_db()
    assert case.level == Level.DEPARTMENT and case.step == "sign"
    assert run_jobs(now=case.step_due_at + timedelta(seconds=1))["cases.overdue"] == 1
    sign = StageTiming.objects.get(case=case, stage="sign")
    assert sign.owner_department == department and sign.owner is None
    assert not PointEntry.objects.filter(event="overdue").exists()
    rows = assessment.department_scores(cases=Case.objects.restrict(users["district"]), parts=SummonsPart.objects.restrict(users["district"]),
                                        since=sign.overdue_at - timedelta(days=1), until=sign.overdue_at + timedelta(days=1))
    assert [(row.department, row.late_stages) for row in rows] == [(department, 1)]
