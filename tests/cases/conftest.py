"""Fixtures for the closed loop: a department, matter types by tier, and a way to report."""

from __future__ import annotations

import io

import pytest


@pytest.fixture(autouse=True)
def _immediate_tasks(settings):
    # Tasks queued on commit run in-process here; tests/cases/test_worker.py runs the real db_worker.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def matters(db):
    from yiwang.matters.models import MatterType

    def get(code, kind=None):
        qs = MatterType.objects.filter(code=code)
        return (qs.filter(kind=kind) if kind else qs).get()

    return get


@pytest.fixture
def department(tree, users):
    from yiwang.matters.models import Department

    dept = Department.objects.create(code="KZ-CG", name="开州区城管执法局", kind="urban_management", region=tree.district)
    dept.areas.add(tree.street)
    dept.members.add(users["department"])
    return dept


def png_bytes(colour=(200, 30, 30)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def png():
    from django.core.files.uploadedfile import SimpleUploadedFile

    def make(name="photo.png"):
        return SimpleUploadedFile(name, png_bytes(), content_type="image/png")

    return make


# A point inside grid A (west) and one inside grid B (east) of the test tree.
POINT_A = (108.302, 31.105)
POINT_B = (108.315, 31.105)


@pytest.fixture
def report(matters):
    from yiwang.cases.models import Channel
    from yiwang.cases.services import Report, report_case

    def make(code="S0001", *, at=POINT_A, user=None, channel=Channel.DESK, **extra):
        lon, lat = at if at else (None, None)
        return report_case(Report(channel=channel, matter=matters(code), lon=lon, lat=lat, description="测试事件", **extra), acting_user=user)

    return make


@pytest.fixture(autouse=True)
def _rollups_follow_the_cases(request):
    """After every test here that touched the database, the rollups kept by Case.save (and the
    import, the sweep, region moves), once the worker has folded the saves' deltas, must equal a
    recount from the case rows. A test that writes
    cases behind Case.save on purpose marks itself `rollups_unchecked`."""
    marker = request.node.get_closest_marker("django_db")
    uses_db = marker is not None or bool({"db", "transactional_db"} & set(request.fixturenames))
    if not uses_db or request.node.get_closest_marker("rollups_unchecked"):
        yield
        return
    # Set up the database here, so that it is still there when the check below runs.
    transactional = "transactional_db" in request.fixturenames or (marker is not None and marker.kwargs.get("transaction"))
    request.getfixturevalue("transactional_db" if transactional else "db")
    yield
    from yiwang.cases import rollups
    from yiwang.cases.models import CaseRollup, OpenCaseRollup

    def state():
        counts = sorted(r for r in CaseRollup.objects.values_list("region", "grain", "period", "board", "department_key", *rollups.COUNTS) if any(r[5:]))
        opened = sorted(OpenCaseRollup.objects.values_list("region", "board", "department_key", "reported_on", "due_on", "open_cases", "flagged"))
        return counts, opened

    rollups.fold_all()  # what the worker does every second
    kept = state()
    rollups.rebuild()
    assert state() == kept, "the rollups drifted from the case rows"
