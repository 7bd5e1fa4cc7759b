"""The closed-loop fixtures (matter catalogue, reporting, immediate tasks) for the Open311 tests."""

from tests.cases.conftest import _immediate_tasks, department, matters, png, report  # noqa: F401
