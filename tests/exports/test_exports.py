"""Exports as background jobs: the request answers at once with a job, the worker (the real task
function) writes the same file the synchronous export wrote, the page shows progress and the
download, only the owner downloads, a failure says what to do in Chinese, old files are pruned."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook

from tests import factories
from tests.exports.helpers import export_via_job, forms_nest, job_from_redirect, run_job
from yiwang.core import crypto
from yiwang.core.models import AuditEntry
from yiwang.exports import services
from yiwang.exports.kinds import KINDS, Kind
from yiwang.exports.models import ExportJob, ExportStatus, Failure
from yiwang.registry.exports import export_queryset, export_registry

pytestmark = pytest.mark.django_db


def sheet(data: bytes) -> list[tuple]:
    return [tuple(row) for row in load_workbook(io.BytesIO(data), read_only=True).worksheets[0].iter_rows(values_only=True)]


@pytest.fixture
def residents(tree):
    """Three residents in grid A, two in grid B (one community), one in the other street."""
    mine = [factories.person(tree.grid_a) for _ in range(3)] + [factories.person(tree.grid_b) for _ in range(2)]
    elsewhere = factories.person(factories_region(tree))
    return mine, elsewhere


def factories_region(tree):
    from yiwang.regions.models import Level, Region

    return Region.objects.create(parent=tree.other_street, level=Level.COMMUNITY, code="500154001001", name="汉丰社区")


def test_request_answers_at_once_with_a_job_not_the_file(client, users, residents):
    from django_tasks_db.models import DBTaskResult

    client.force_login(users["community"])
    response = client.post("/registry/export/persons.xlsx")
    job = job_from_redirect(response)
    assert "Content-Disposition" not in response
    assert (job.status, job.kind, job.params, job.created_by, job.scope_path) == (
        "queued", "registry", {"kind": "persons"}, users["community"], users["community"].scope_region.path)
    assert not job.file and job.progress == 0
    assert DBTaskResult.objects.get(task_path="yiwang.exports.tasks.run_export_job").status == "READY"
    page = client.get(response.url).content.decode()
    assert "排队中" in page and f'hx-get="/exports/{job.pk}/status"' in page and 'hx-trigger="every 2s"' in page
    assert "<script" not in page.split("<main>")[1].split("</main>")[0]  # polling by htmx attributes, no inline script
    # A double click queues nothing more; a GET of the old link only offers the button.
    assert job_from_redirect(client.post("/registry/export/persons.xlsx")).pk == job.pk
    offer = client.get("/registry/export/persons.xlsx")
    assert offer.status_code == 200 and 'data-testid="start-export"' in offer.content.decode() and ExportJob.objects.count() == 1


def test_worker_writes_what_the_synchronous_export_wrote(client, users, residents, tree):
    mine, elsewhere = residents
    client.force_login(users["community"])
    download = export_via_job(client, "/registry/export/persons.xlsx")
    rows = sheet(download.content)
    # Row for row what the old in-request export produced for the same user.
    assert rows == sheet(export_registry("persons", queryset=export_queryset("persons", user=users["community"])))
    assert [r[0] for r in rows[1:]] == [p.name for p in mine] and elsewhere.name not in {r[0] for r in rows}
    # ID numbers and phones masked; the clear values are nowhere in the file.
    header = rows[0]
    for person, row in zip(mine, rows[1:]):
        values = dict(zip(header, row))
        assert "*" in values["公民身份号码"] and "*" in values["联系方式"]
        assert crypto.decrypt(person.id_number_sealed) not in str(row) and crypto.decrypt(person.phone_sealed) not in str(row)
    job = download.job
    job.refresh_from_db()
    assert (job.status, job.progress, job.rows_written, job.filename, job.downloads) == ("done", 100, 5, "persons.xlsx", 1)
    assert download.response["Cache-Control"] == "private, no-store"
    export = AuditEntry.objects.get(action="registry.export")
    assert export.actor == users["community"] and export.detail["rows"] == 5 and export.detail["job"] == job.pk
    logged = AuditEntry.objects.get(action="exports.download")
    assert logged.actor == users["community"] and logged.target_id == str(job.pk)
    page = client.get(f"/exports/{job.pk}/").content.decode()
    assert "已完成" in page and f'href="/exports/{job.pk}/download"' in page and "hx-trigger" not in page


def test_houses_and_places_go_through_the_same_flow(client, users, tree):
    factories.house(tree.grid_a), factories.place(tree.grid_b)
    client.force_login(users["street"])
    for kind in ("houses", "places"):
        download = export_via_job(client, f"/registry/export/{kind}.xlsx")
        assert sheet(download.content) == sheet(export_registry(kind, queryset=export_queryset(kind, user=users["street"])))
        assert len(sheet(download.content)) == 2


def test_another_user_cannot_see_or_download_the_job(client, users, residents, make_user):
    client.force_login(users["community"])
    job = export_via_job(client, "/registry/export/persons.xlsx").job
    # Not even the district above it, nor a colleague of the same community.
    for other in (users["district"], make_user("colleague", "community", users["community"].scope_region)):
        client.force_login(other)
        for url in (f"/exports/{job.pk}/", f"/exports/{job.pk}/status", f"/exports/{job.pk}/download", f"/api/exports/{job.pk}",
                    f"/api/exports/{job.pk}/file"):
            assert client.get(url).status_code == 404, url
        assert client.post(f"/exports/{job.pk}/retry").status_code == 404
        assert f'data-job="{job.pk}"' not in client.get("/exports/").content.decode()
        assert client.get("/api/exports").json()["count"] == 0
    client.logout()
    assert client.get(f"/exports/{job.pk}/download").status_code == 302  # to the login page
    assert AuditEntry.objects.filter(action="exports.download").count() == 1  # the owner's only


def test_progress_moves_while_the_worker_writes(client, users, residents, monkeypatch):
    seen = []
    real = services._progress

    def recording(job_id, done, total):
        real(job_id, done, total)
        job = ExportJob.objects.get(pk=job_id)
        seen.append((job.status, job.progress, job.rows_written))
        # The page polled meanwhile shows the bar where the worker is.
        fragment = client.get(f"/exports/{job_id}/status").content.decode()
        assert f'value="{job.progress}"' in fragment and 'hx-trigger="every 2s"' in fragment and "生成中" in fragment

    monkeypatch.setattr(services, "_progress", recording)
    monkeypatch.setattr(services, "PROGRESS_EVERY", 2)
    client.force_login(users["community"])
    job = job_from_redirect(client.post("/registry/export/persons.xlsx"))
    assert run_job(job) == "done"
    assert seen == [("running", 40, 2), ("running", 80, 4)]
    job.refresh_from_db()
    assert (job.progress, job.rows_written, job.total_rows) == (100, 5, 5)


def test_a_failed_job_says_what_to_do_and_can_be_retried(client, users, residents, monkeypatch):
    spec = KINDS["registry"]

    def broken(run):
        raise RuntimeError("disk quota exceeded at /srv/secret")

    monkeypatch.setitem(KINDS, "registry", Kind(spec.key, spec.content_type, spec.prepare, broken))
    client.force_login(users["community"])
    job = job_from_redirect(client.post("/registry/export/persons.xlsx"))
    assert run_job(job) == "failed"
    assert job.failure == Failure.INTERNAL and "RuntimeError" in job.error and not job.file
    page = client.get(f"/exports/{job.pk}/").content.decode()
    assert "导出过程中出错，文件未生成。请点击“重试”；多次失败请联系系统管理员，并告知导出编号。" in page
    assert "RuntimeError" not in page and "/srv/secret" not in page and 'data-testid="retry"' in page
    assert client.get(f"/exports/{job.pk}/download").status_code == 404
    assert "导出过程中出错" in client.get(f"/api/exports/{job.pk}").json()["advice"]

    monkeypatch.setitem(KINDS, "registry", spec)
    assert client.post(f"/exports/{job.pk}/retry").status_code == 302
    job.refresh_from_db()
    assert (job.status, job.failure, job.error) == ("queued", "", "")
    assert run_job(job) == "done" and job.attempts == 2
    assert len(sheet(b"".join(client.get(f"/exports/{job.pk}/download").streaming_content))) == 6


def test_a_scope_changed_before_the_worker_runs_exports_nothing(client, users, residents, tree):
    user = users["community"]
    client.force_login(user)
    job = job_from_redirect(client.post("/registry/export/persons.xlsx"))
    # Moved to the whole district between the request and the worker: the frozen scope wins.
    user.scope_region = tree.district
    user.save(update_fields=["scope_region"])
    assert run_job(job) == "failed" and job.failure == Failure.SCOPE and not job.file
    page = client.get(f"/exports/{job.pk}/").content.decode()
    assert "导出期间您的账号权限或管辖范围发生了变化，文件未生成。请回到原页面重新导出。" in page


def test_pruning_removes_files_past_their_time(client, users, residents, settings):
    settings.YIWANG_EXPORT_KEEP_DAYS = 3
    client.force_login(users["community"])
    old = export_via_job(client, "/registry/export/persons.xlsx").job
    old.refresh_from_db()
    assert old.expires_at == old.finished_at + timedelta(days=3)
    storage, name = old.file.storage, old.file.name
    assert storage.exists(name)
    ExportJob.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    fresh = export_via_job(client, "/registry/export/houses.xlsx").job
    fresh.refresh_from_db()

    call_command("prune_exports", stdout=io.StringIO())

    old.refresh_from_db()
    assert old.status == ExportStatus.EXPIRED and not old.file and not storage.exists(name)
    assert client.get(f"/exports/{old.pk}/download").status_code == 404
    assert "文件已过保留期限并已删除" in client.get(f"/exports/{old.pk}/").content.decode()
    fresh.refresh_from_db()
    assert fresh.status == ExportStatus.DONE and storage.exists(fresh.file.name)
    # The row stays, as the record of who exported what; it can be made again.
    client.post(f"/exports/{old.pk}/retry")
    assert run_job(old) == "done" and storage.exists(old.file.name)


def test_prune_gives_up_on_a_job_whose_worker_died(users):
    job = ExportJob.objects.create(kind="registry", title="实有人口", params={"kind": "persons"}, created_by=users["street"],
                                   role="street", scope_path=users["street"].scope_region.path, status=ExportStatus.RUNNING,
                                   created_at=timezone.now() - timedelta(hours=2), started_at=timezone.now() - timedelta(hours=2),
                                   heartbeat_at=timezone.now() - timedelta(hours=1))
    services.prune_exports()
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED and job.failure == Failure.INTERRUPTED


def test_my_exports_lists_my_jobs_and_polls_while_one_is_pending(client, users, residents):
    client.force_login(users["street"])
    done = export_via_job(client, "/registry/export/houses.xlsx").job
    pending = job_from_redirect(client.post("/registry/export/persons.xlsx"))
    client.force_login(users["community"])
    theirs = job_from_redirect(client.post("/registry/export/places.xlsx"))
    client.force_login(users["street"])
    page = client.get("/exports/").content.decode()
    assert f'data-job="{done.pk}"' in page and f'data-job="{pending.pk}"' in page and f'data-job="{theirs.pk}"' not in page
    assert 'hx-trigger="every 3s"' in page and "文件保留 7 天" in page
    assert 'href="/exports/"' in client.get("/persons/").content.decode()  # in the menu
    fragment = client.get("/exports/", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.startswith('<div id="export-jobs"') and "<html" not in fragment


def test_persons_page_offers_the_export_as_a_button(client, users):
    client.force_login(users["community"])
    page = client.get("/persons/").content.decode()
    assert 'method="post" action="/registry/export/persons.xlsx" id="persons-export"' in page
    assert 'form="persons-export" data-testid="export"' in page and not forms_nest(page)


def test_api_queues_with_202_and_serves_the_file_to_its_owner(client, users, residents):
    client.force_login(users["community"])
    created = client.post("/api/exports", {"kind": "registry", "params": {"kind": "persons"}}, content_type="application/json")
    assert created.status_code == 202
    body = created.json()
    assert body["status"] == "queued" and body["url"] == f"/api/exports/{body['id']}" and body["file_url"] is None
    assert run_job(ExportJob.objects.get(pk=body["id"])) == "done"
    polled = client.get(body["url"]).json()
    assert polled["status"] == "done" and polled["progress"] == 100 and polled["rows_written"] == 5
    file = client.get(polled["file_url"])
    assert file.status_code == 200 and len(sheet(b"".join(file.streaming_content))) == 6
    # The same refusals as the page: grid workers may not export; unknown kinds do not exist.
    client.force_login(users["worker_a"])
    refused = client.post("/api/exports", {"kind": "registry", "params": {"kind": "persons"}}, content_type="application/json")
    assert refused.status_code == 403
    assert client.post("/api/exports", {"kind": "nothing"}, content_type="application/json").status_code == 404


def test_too_many_pending_exports_are_refused_in_chinese(client, users, tree):
    client.force_login(users["street"])
    for kind in ("persons", "houses", "places"):
        job_from_redirect(client.post(f"/registry/export/{kind}.xlsx"))
    for _ in range(2):
        services.request_export(kind="reviews.daily", params={"region": tree.community.code, "day": f"2026-03-1{_}"}, acting_user=users["street"])
    response = client.post("/registry/export/persons.xlsx", follow=False)
    assert job_from_redirect(response)  # the same export again: the pending job, not a sixth
    refused = client.post("/api/exports", {"kind": "reviews.daily", "params": {"region": tree.street.code}}, content_type="application/json")
    assert refused.status_code == 422 and "您已有5个导出正在排队或生成，请等它们完成后再导出。" in str(refused.json())


@pytest.mark.parametrize("ballot", ["²", "1" * 5000, True, -1, "3.5"])
def test_odd_ids_in_export_parameters_are_not_found_not_a_server_error(client, users, ballot):
    client.force_login(users["street"])
    response = client.post("/api/exports", {"kind": "votes.results", "params": {"ballot": ballot}}, content_type="application/json")
    assert response.status_code in (403, 404, 422), response.status_code
    assert not ExportJob.objects.exists()
