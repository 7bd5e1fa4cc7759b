from tests.advisor.fixtures import block, busy_west  # noqa: F401 - fixtures for this folder
