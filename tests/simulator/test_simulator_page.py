"""The 情景推演 page: a street's staff compose a what-if, the worker runs it (and the region's back-test
beside it, kept until new history comes), and the page shows today against the scenario with the
back-test's error beside each figure. Other streets' staff and grid workers cannot use it on ours."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.utils import timezone

from yiwang.simulator.models import RunKind, RunStatus, SimulationRun

from .history import make_history

GRID_A = "500154003001001"
STREET = "500154003000"


@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def form(**fields):
    data = {"region": STREET, "weeks": "4", "seed": "1", "staff_unit_1": GRID_A, "staff_delta_1": "1"}
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_page_queues_a_job_and_the_real_worker_completes_it(client, tree, users, settings):
    from tests.test_worker import _env_for_test_database

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    make_history(tree.grid_a, weeks=30)
    client.force_login(users["street"])
    assert "情景推演" in client.get("/simulator/").content.decode()
    response = client.post("/simulator/", form())
    run = SimulationRun.objects.get(kind=RunKind.SCENARIO)
    assert response.status_code == 302 and response["Location"] == f"/simulator/{run.pk}/"
    assert run.status == RunStatus.QUEUED and run.scenario == {"staff": [{"unit": GRID_A, "delta": 1}]}
    assert run.backtest.kind == RunKind.BACKTEST and run.backtest.status == RunStatus.QUEUED
    fragment = client.get(f"/simulator/{run.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "排队中" in fragment and 'hx-trigger="every 2s"' in fragment

    subprocess.run([sys.executable, "-m", "yiwang.manage", "worker", "--batch", "-v", "0"], env=_env_for_test_database(), check=True, timeout=300)

    run.refresh_from_db()
    run.backtest.refresh_from_db()
    assert run.status == RunStatus.DONE and run.progress == 100, run.error
    assert run.backtest.status == RunStatus.DONE, run.backtest.error
    page = client.get(f"/simulator/{run.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "every 2s" not in page  # finished: the page stops asking
    assert "按时办结率" in page and "期末在办件数" in page and "个百分点" in page and "永先社区第1网格" in page
    assert run.result["scenario"]["workload"] and run.backtest.result["backtest"]["on_time_rate"]["actual"] == 1.0


def test_a_backtest_serves_every_what_if_until_new_history(client, tree, users, immediate_tasks, django_capture_on_commit_callbacks):
    from tests import factories

    make_history(tree.grid_a, weeks=20)
    client.force_login(users["street"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/simulator/", form())
        client.post("/simulator/", form(staff_delta_1="2"))
    assert SimulationRun.objects.filter(kind=RunKind.BACKTEST).count() == 1
    assert SimulationRun.objects.filter(kind=RunKind.SCENARIO, status=RunStatus.DONE).count() == 2
    factories.case(tree.grid_a)  # new history: the next what-if gets a fresh back-test
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/simulator/", form())
    assert SimulationRun.objects.filter(kind=RunKind.BACKTEST).count() == 2
    run = SimulationRun.objects.filter(kind=RunKind.SCENARIO).first()
    page = client.get(f"/simulator/{run.pk}/").content.decode()
    assert 'data-testid="simulation-figures"' in page and "回测误差" in page


def test_a_scenario_removing_every_handler_fails_with_its_reason(client, tree, users, immediate_tasks, django_capture_on_commit_callbacks):
    make_history(tree.grid_a, weeks=20)
    client.force_login(users["street"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/simulator/", form(staff_delta_1="-1"))
    run = SimulationRun.objects.get(kind=RunKind.SCENARIO)
    assert run.status == RunStatus.FAILED
    page = client.get(f"/simulator/{run.pk}/").content.decode()
    assert "永先社区第1网格的全部办理人员，签收、处置环节将无人办理" in page


def test_form_errors_name_the_field(client, tree, users):
    client.force_login(users["street"])
    response = client.post("/simulator/", form(surge_from="2027-01-01", weeks="60", staff_delta_1=None))
    page = response.content.decode()
    assert response.status_code == 400
    assert "突发增量须同时填写开始日期、结束日期和倍数" in page and "请填写人数增减" in page
    assert not SimulationRun.objects.exists()
    response = client.post("/simulator/", form(extra="[1, 2]"))
    assert response.status_code == 400 and "其他调整应为 JSON 对象" in response.content.decode()


def test_other_streets_and_grid_workers_cannot_simulate_our_street(client, tree, users, make_user, immediate_tasks):
    run = SimulationRun.objects.create(kind=RunKind.SCENARIO, region=tree.street, weeks=4, created_at=timezone.now())
    neighbour = make_user("hanfeng", "street", tree.other_street)
    client.force_login(neighbour)
    assert client.get(f"/simulator/{run.pk}/").status_code == 404
    response = client.post("/simulator/", form())
    assert response.status_code == 400 and "请选择" in response.content.decode()
    assert SimulationRun.objects.count() == 1
    for name in ("worker_a", "community", "resident"):
        client.force_login(users[name])
        assert client.get("/simulator/").status_code == 403
        assert client.get(f"/simulator/{run.pk}/").status_code == 403
    client.force_login(users["district"])
    assert client.get(f"/simulator/{run.pk}/").status_code == 200  # the district sees its streets' runs
