"""The daily supervision sheet (日督导): which cases, grouped how, judged by the case pages' light,
scoped to the viewer, and the same rows in its .xlsx and JSON."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from tests.exports.helpers import export_via_job
from tests.reviews.conftest import at
from yiwang.cases.models import Case, Status
from yiwang.reviews.selectors import daily_sheet, sheet_moment

NOW = at(2026, 3, 11, 15)  # Wednesday 15:00


@pytest.fixture
def cases(tree, make_case, department, make_user):
    handler = make_user("li_si", "grid_worker", tree.grid_a, first_name="李四")
    assignee = make_user("wang_wu", "community", tree.community, first_name="王五")
    made = {
        # Red: due yesterday, handled by the department.
        "red_dept": make_case(step_warn_at=at(2026, 3, 10, 9), step_due_at=at(2026, 3, 10, 15), handling_department=department,
                              handler=handler, assignee=assignee),
        # Red by 2 hours, in grid B, handled by the community.
        "red_region": make_case(region=tree.grid_b, handling_region=tree.community, step_warn_at=at(2026, 3, 11, 11), step_due_at=at(2026, 3, 11, 13)),
        # Yellow: warned, due in an hour.
        "yellow": make_case(handling_region=tree.community, step_warn_at=at(2026, 3, 11, 14), step_due_at=at(2026, 3, 11, 16), assignee=assignee),
        # Green, paused past due, closed past due, no clock: none of them is on the sheet.
        "green": make_case(step_warn_at=at(2026, 3, 12, 9), step_due_at=at(2026, 3, 12, 15)),
        "paused": make_case(step_warn_at=at(2026, 3, 10, 9), step_due_at=at(2026, 3, 10, 15), paused_at=at(2026, 3, 10, 16), status=Status.ON_HOLD),
        "closed": make_case(Status.CLOSED, step_warn_at=at(2026, 3, 10, 9), step_due_at=at(2026, 3, 10, 15), closed_at=at(2026, 3, 10, 20)),
        "unclocked": make_case(),
        # Past the whole case's deadline (超期未结) while its step is still green: counted, not listed.
        "late_case": make_case(step_warn_at=at(2026, 3, 12, 9), step_due_at=at(2026, 3, 12, 15), close_due_at=at(2026, 3, 11, 9)),
        # Red, but in the other street.
        "elsewhere": make_case(region=tree.other_street, step_warn_at=at(2026, 3, 10, 9), step_due_at=at(2026, 3, 10, 15)),
    }
    return made


def test_sheet_lists_red_and_yellow_by_unit(tree, cases, department):
    sheet = daily_sheet(Case.objects.all(), region=tree.street, day=date(2026, 3, 11), now=NOW)
    assert sheet.as_of == NOW and (sheet.step_overdue, sheet.warning, sheet.overdue) == (2, 1, 1)
    # Most overdue first, then most warnings.
    assert [(u.label, u.kind, u.step_overdue, u.warning) for u in sheet.units] == [
        ("永先社区", "region", 1, 1), ("开州区城管执法局", "department", 1, 0)]
    dept_row = sheet.units[1].rows[0]
    assert dept_row.case == cases["red_dept"] and dept_row.handler == "李四" and dept_row.assignee == "王五"
    assert dept_row.overdue_hours == 24.0 and dept_row.overdue_text == "1天0小时"
    community = sheet.units[0]
    # Red before yellow; yellow shows time left.
    assert [r.case for r in community.rows] == [cases["red_region"], cases["yellow"]]
    assert community.rows[0].overdue_text == "2小时0分" and community.rows[1].left_text == "1小时0分"


def test_sheet_uses_the_case_pages_light(tree, cases):
    """Exactly the cases whose light (yiwang.cases.indicators.light_of) is red or yellow are listed."""
    from yiwang.cases.indicators import light_of

    sheet = daily_sheet(Case.objects.all(), region=tree.district, day=date(2026, 3, 11), now=NOW)
    listed = {row.case.pk: row.light.value for unit in sheet.units for row in unit.rows}
    expected = {}
    for case in Case.objects.open():
        light = light_of(case, NOW)
        if light and light["colour"] in ("red", "yellow"):
            expected[case.pk] = light["colour"]
    assert listed == expected and len(listed) == 4


def test_other_days_are_judged_at_the_end_of_the_day(tree, cases):
    assert sheet_moment(date(2026, 3, 10), NOW) == at(2026, 3, 11, 0)
    # At the end of Tuesday only the department's case was past due; nothing else had warned.
    sheet = daily_sheet(Case.objects.all(), region=tree.street, day=date(2026, 3, 10), now=NOW)
    assert [(row.case, row.light.value) for unit in sheet.units for row in unit.rows] == [(cases["red_dept"], "red")]
    # Friday: the green case is red by then (due Thursday 15:00).
    sheet = daily_sheet(Case.objects.all(), region=tree.street, day=date(2026, 3, 13), now=NOW)
    assert sheet.step_overdue == 5 and sheet.warning == 0


@pytest.fixture
def frozen_now(monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: NOW)


def test_page_groups_links_and_totals(client, users, cases, frozen_now):
    client.force_login(users["street"])
    page = client.get("/reviews/daily/").content.decode()
    assert 'data-testid="total-step_overdue">2<' in page and 'data-testid="total-warning">1<' in page
    assert 'data-testid="total-overdue">1<' in page
    # Each total links to the list that holds exactly its cases, the same list the command screen's tiles open.
    for state, n in (("overdue", 1), ("step_overdue", 2), ("warning", 1)):
        link = f"/cases/?region={users['street'].scope_region.code}&amp;state={state}"
        assert f'href="{link}"' in page
        listed = client.get(link.replace("&amp;", "&")).content.decode()
        assert f'data-testid="case-count">{n}<' in listed, state
    for key in ("red_dept", "red_region", "yellow"):
        assert f'href="/cases/{cases[key].number}/"' in page
    for key in ("green", "paused", "closed", "elsewhere"):
        assert cases[key].number not in page
    assert "开州区城管执法局" in page and "李四" in page and "已超 1天0小时" in page


def test_xlsx_has_the_same_rows_and_totals(client, users, cases, frozen_now, tree):
    client.force_login(users["street"])
    download = export_via_job(client, f"/reviews/daily/xlsx/?region={tree.street.code}&day=2026-03-11")
    assert download.job.filename == f"daily-{tree.street.code}-20260311.xlsx"
    book = load_workbook(io.BytesIO(download.content))
    rows = list(book["督导清单"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[1], r[2], r[9]) for r in rows] == [
        ("永先社区", cases["red_region"].number, "超时", 2.0), ("永先社区", cases["yellow"].number, "预警", 0.0),
        ("开州区城管执法局", cases["red_dept"].number, "超时", 24.0)]
    totals = list(book["单位汇总"].iter_rows(min_row=2, values_only=True))
    assert totals == [("永先社区", "区域", 1, 1, 2), ("开州区城管执法局", "部门", 1, 0, 1), ("合计", None, 2, 1, 3)]


def test_scope_of_the_sheet(client, users, cases, tree, make_user, frozen_now):
    # A community user asking for the other street: 404; the district sees it.
    client.force_login(users["community"])
    assert client.get("/reviews/daily/", {"region": tree.other_street.code}).status_code == 404
    assert client.get("/api/reviews/daily", {"region": tree.other_street.code}).status_code == 404
    client.force_login(users["district"])
    body = client.get("/api/reviews/daily", {"region": tree.other_street.code, "day": "2026-03-11"}).json()
    assert [c["number"] for u in body["units"] for c in u["cases"]] == [cases["elsewhere"].number]
    # Default region: the user's own; the district sees all four.
    assert client.get("/api/reviews/daily").json()["step_overdue"] == 3
    # Grid workers, departments and residents are not reviewers.
    for role in ("worker_a", "department", "resident"):
        client.force_login(users[role])
        assert client.get("/reviews/daily/").status_code == 403
        assert client.get("/api/reviews/daily").status_code == 403
    client.logout()
    assert client.get("/reviews/daily/").status_code == 302
    superuser = make_user("root", "district", None, is_superuser=True, is_staff=True)
    client.force_login(superuser)
    assert client.get("/api/reviews/daily").json()["region"]["code"] == tree.district.code


def test_api_sheet_matches_page_figures(client, users, cases, frozen_now):
    client.force_login(users["street"])
    body = client.get("/api/reviews/daily").json()
    assert body["day"] == "2026-03-11" and (body["step_overdue"], body["warning"], body["overdue"]) == (2, 1, 1)
    first = body["units"][1]
    assert first["label"] == "开州区城管执法局" and first["cases"][0] | {"step_warn_at": None, "step_due_at": None} == {
        "number": cases["red_dept"].number, "light": "red", "status": "处置中", "matter": cases["red_dept"].matter.name,
        "grid": "永先社区第1网格", "handler": "李四", "assignee": "王五", "step": "", "step_warn_at": None, "step_due_at": None,
        "overdue_hours": 24.0, "url": f"/cases/{cases['red_dept'].number}/"}
    assert date.fromisoformat(body["day"]) - timedelta(days=0) == date(2026, 3, 11)
