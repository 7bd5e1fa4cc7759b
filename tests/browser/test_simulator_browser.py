"""情景推演 in Chromium: a street user composes a what-if (one more grid worker), the page shows it queued
and polls; when the worker has run it the figures appear, today against the scenario, with the
back-test's error beside each."""

import pytest

from tests.simulator.history import make_history

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def _catalogue():
    # See tests/browser/test_cases_browser.py: the matter catalogue may be missing in a transactional test.
    from yiwang.matters import catalogue

    catalogue.ensure()


def test_street_user_runs_a_what_if_and_reads_the_figures(page, login, live_server, users, tree, settings):
    from yiwang.simulator.models import SimulationRun
    from yiwang.simulator.services import run_job

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    make_history(tree.grid_a, weeks=20)
    login("street")
    page.goto(f"{live_server.url}/simulator/")
    page.select_option("select[name=region]", tree.street.code)
    page.fill("input[name=weeks]", "4")
    page.get_by_test_id("staff-unit-1").fill(tree.grid_a.code)
    page.get_by_test_id("staff-delta-1").fill("1")
    page.get_by_test_id("simulator-start").click()
    page.wait_for_url(f"{live_server.url}/simulator/*/")
    status = page.get_by_test_id("run-status")
    assert status.inner_text() == "排队中"

    # The worker's part, in this process: the back-test, then the what-if.
    for run in SimulationRun.objects.order_by("pk"):
        run_job(run_id=run.pk)

    figures = page.get_by_test_id("simulation-figures")
    figures.wait_for(state="visible", timeout=20_000)  # the page polls every 2 s
    assert status.inner_text() == "已完成" if status.count() else True
    on_time = [c.strip() for c in page.get_by_test_id("figure-on-time").locator("td").all_inner_texts()]
    assert on_time[0] == "按时办结率" and on_time[1].endswith("%") and on_time[2].endswith("%") and "个百分点" in on_time[3]
    workload = page.get_by_test_id("simulation-workload")
    row = workload.locator(f"tr[data-unit='{tree.grid_a.code}']")
    cells = [c.strip() for c in row.locator("td").all_inner_texts()]
    assert cells[0].startswith(tree.grid_a.name) and cells[1:3] == ["1", "2"]
