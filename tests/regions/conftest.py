import pytest


@pytest.fixture(autouse=True)
def fresh_lookup_index():
    """Each test rolls its rows back, and BoundaryVersion with them, so a version number can
    repeat across tests with different rows: never let one test's index serve the next."""
    from yiwang.regions import lookup

    lookup.invalidate()
    yield
    lookup.invalidate()
