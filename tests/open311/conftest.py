"""The closed-loop fixtures (matter catalogue, reporting, immediate tasks) for the Open311 tests."""

import pytest

from tests.cases.conftest import _immediate_tasks, department, matters, png, report  # noqa: F401


@pytest.fixture(autouse=True)
def _fresh_grid_index():
    # The point-to-grid index is keyed by BoundaryVersion, which each rolled-back test resets to
    # the same value; on PostgreSQL the next test's tree has new ids, so start from a clean index.
    from yiwang.regions import lookup

    lookup.invalidate()
    yield
    lookup.invalidate()
