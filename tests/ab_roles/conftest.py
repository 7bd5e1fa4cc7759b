"""A/B tests reuse the closed loop's fixtures (department, report, in-process tasks)."""

from tests.cases.conftest import _immediate_tasks, department, matters, png, report  # noqa: F401
