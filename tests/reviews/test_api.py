"""/api/reviews/: weekly reports list, detail and request, within the caller's scope (the generic
scope tests skip these endpoints: they are for reviewers only)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.reviews.factories import weeklyreport
from yiwang.reviews.models import ReportStatus, WeeklyReport


@pytest.fixture
def reports(tree):
    return {"street": weeklyreport(tree.street), "community": weeklyreport(tree.community),
            "other": weeklyreport(tree.other_street, status=ReportStatus.DONE, figures={"kpis": []})}


def test_list_is_scoped_and_paginated(client, users, reports, tree):
    client.force_login(users["street"])
    body = client.get("/api/reviews/weekly", {"limit": 100}).json()
    assert body["count"] == 2 and {i["id"] for i in body["items"]} == {reports["street"].pk, reports["community"].pk}
    assert all(i["xlsx_url"] is None and i["status"] == "queued" for i in body["items"])
    assert client.get("/api/reviews/weekly", {"region": tree.community.code}).json()["count"] == 1
    client.force_login(users["community"])
    assert [i["id"] for i in client.get("/api/reviews/weekly").json()["items"]] == [reports["community"].pk]
    client.force_login(users["district"])
    items = client.get("/api/reviews/weekly").json()["items"]
    assert len(items) == 3
    done = next(i for i in items if i["id"] == reports["other"].pk)
    assert done["xlsx_url"] == f"/reviews/weekly/{reports['other'].pk}/xlsx/" and done["region_name"] == "汉丰街道"


def test_detail_is_scoped(client, users, reports):
    client.force_login(users["street"])
    assert client.get(f"/api/reviews/weekly/{reports['street'].pk}").json()["figures"] == {}
    assert client.get(f"/api/reviews/weekly/{reports['other'].pk}").status_code == 404
    client.force_login(users["district"])
    assert client.get(f"/api/reviews/weekly/{reports['other'].pk}").json()["figures"] == {"kpis": []}


@pytest.mark.parametrize("role", ["worker_a", "department", "resident"])
def test_non_reviewers_are_refused(client, users, reports, role):
    client.force_login(users[role])
    assert client.get("/api/reviews/weekly").status_code == 403
    assert client.get(f"/api/reviews/weekly/{reports['community'].pk}").status_code == 403
    assert client.post("/api/reviews/weekly", {"week_start": "2026-03-09"}, content_type="application/json").status_code == 403


def test_anonymous_is_refused(client, reports):
    assert client.get("/api/reviews/weekly").status_code == 401
    assert client.get("/api/reviews/daily").status_code == 401


def test_post_queues_a_report(client, users, tree):
    from django_tasks_db.models import DBTaskResult

    client.force_login(users["street"])
    # Any day of the week names its Monday; the region defaults to the caller's own.
    response = client.post("/api/reviews/weekly", {"week_start": "2026-03-12"}, content_type="application/json")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["region_code"] == tree.street.code and body["week_start"] == "2026-03-09" and body["status"] == "queued"
    report = WeeklyReport.objects.get(pk=body["id"])
    assert report.created_by == users["street"] and report.week_start == date(2026, 3, 9)
    assert DBTaskResult.objects.filter(task_path__endswith="generate_weekly_report", status="READY").count() == 1
    # Outside the scope: 404 (not even confirmed to exist); a future week: 422 naming the field.
    assert client.post("/api/reviews/weekly", {"region": tree.other_street.code, "week_start": "2026-03-09"},
                       content_type="application/json").status_code == 404
    future = client.post("/api/reviews/weekly", {"week_start": "2099-03-09"}, content_type="application/json")
    assert future.status_code == 422 and "week_start" in future.json()["detail"]
