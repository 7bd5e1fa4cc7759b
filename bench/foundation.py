"""`uv run yiwang bench foundation`: point-to-grid lookups and registry import speed."""

from bench.common import emit


def main(*, quick: bool) -> None:
    from bench import grid_lookup, person_import

    for row in grid_lookup.measurements(quick=quick):
        emit(row)
    for row in person_import.measurements(quick=quick):
        emit(row)
