"""How every import runs: read the file, check every row, write all or nothing, report.

An `Importer` reads a CSV or .xlsx file (`yiwang.core.tabular`), checks every row and collects
every problem as (row, column, reason). One problem anywhere and nothing is written: the caller
gets `ImportFailed` with the full list, so the file can be fixed in one pass. A clean file is
written in one transaction. What it did comes back as an `ImportReport`. Progress goes to a bar
on the terminal (`progress=True`) or to a callback `progress(done, total)`.

`ImportFailed` and `ImportReport` are the only ones: the boundary import (yiwang.regions), which
reads GeoJSON rather than a table, raises and returns them too.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction

from .tabular import Column, RowError, Table, TabularError, read_table

__all__ = ["Column", "ImportFailed", "ImportReport", "Importer", "Progress", "RowError", "Table"]

NO_FILE_NAME = "（上传数据）"


def _position(problem: Any) -> int:
    # RowError has its spreadsheet row; a boundary Problem its feature number. None (the file as
    # a whole) comes first; the sort is stable, so problems of one row keep their order.
    at = problem.row if isinstance(problem, RowError) else getattr(problem, "feature", None)
    return -1 if at is None else at


class ImportFailed(Exception):
    """Nothing was written; `problems` lists every problem found (by row and column, or by
    feature), `errors` those that refused the file (a warning does not)."""

    def __init__(self, problems: Iterable[Any], *, source: str = "", headline: str = "", first: str = "，第一处："):
        self.problems = sorted(problems, key=_position)
        self.source = source
        errors = self.errors
        self.headline = headline or f"导入失败：{len(errors)} 处错误"
        super().__init__(self.headline + (f"{first}{errors[0]}" if errors else ""))

    @property
    def errors(self) -> list:
        return [p for p in self.problems if getattr(p, "is_error", True)]


@dataclass
class ImportReport:
    """What an import did. The counts are every importer's; the rest belongs to some of them."""

    rows: int = 0  # data rows in the file
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    warnings: list = field(default_factory=list)
    skipped: list[RowError] = field(default_factory=list)  # bad rows left out, when the import was asked to
    source: str = ""
    # Case imports: cases written per status, median hours from report to close of the closed ones.
    by_status: dict[str, int] = field(default_factory=dict)
    median_hours: float | None = None
    # Boundary imports: the level imported, the boundary version after it, whether it only checked.
    level: str = ""
    boundary_version: int | None = None
    dry_run: bool = False


class Progress:
    """Rows done so far, told to a terminal bar (`report=True`), a callback(done, total), or no one."""

    def __init__(self, total: int, *, desc: str, report: bool | Callable[[int, int], None]):
        self.total = total
        self.done = 0
        self._callback = report if callable(report) else None
        self._bar = None
        if report is True:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=desc, unit="行", file=sys.stderr, leave=False)

    def update(self, rows: int) -> None:
        self.done += rows
        if self._bar is not None:
            self._bar.update(rows)
        if self._callback is not None:
            self._callback(self.done, self.total)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


class Importer:
    """One kind of import. A subclass names its `columns` and implements `check` (collect problems
    with `error`/`warn`, return what to write) and `write` (run inside one transaction, return the
    report). `run` does the rest: read, refuse the file on any error (or leave bad rows out when
    `skip_bad_rows`), write atomically, and on a unique-key clash ask `conflict` what to say."""

    columns: Sequence[Column] = ()

    def __init__(self, *, acting_user: Any = None, progress: bool | Callable[[int, int], None] = False, skip_bad_rows: bool = False):
        self.acting_user = acting_user
        self.progress = progress
        self.skip_bad_rows = skip_bad_rows
        self.errors: list[RowError] = []
        self.warnings: list[RowError] = []
        self.table: Table | None = None
        self._headers: dict[str, str] = {}

    # --- the steps ---------------------------------------------------------------------------

    def run(self, source: Any, *, mapping: Mapping[str, str] | None = None, encoding: str | None = None) -> ImportReport:
        self.authorize()
        table = self.read(source, mapping=mapping, encoding=encoding)
        plan = self.check(table)
        if self.errors and not self.skip_bad_rows:
            raise ImportFailed(self.errors)
        try:
            with transaction.atomic():
                report = self.write(plan)
        except IntegrityError:
            # Someone wrote some of the same rows while we checked: say which, if we can.
            problems = self.conflict(plan)
            if not problems:
                raise
            raise ImportFailed(problems) from None
        report.skipped = sorted(self.errors, key=_position) if self.skip_bad_rows else []
        if callable(self.progress):
            self.progress(report.rows, report.rows)
        return report

    def authorize(self) -> None:
        """Raise PermissionDenied when the acting user may not import this."""

    def read(self, source: Any, *, mapping: Mapping[str, str] | None = None, encoding: str | None = None) -> Table:
        try:
            table = read_table(source, columns=self.columns, mapping=mapping, encoding=encoding)
        except TabularError as exc:
            raise ImportFailed([exc.as_row_error()]) from None
        self.table = table
        self._headers = {c.field: table.headers.get(c.field, c.header) for c in self.columns}
        return table

    def check(self, table: Table) -> Any:
        raise NotImplementedError

    def write(self, plan: Any) -> ImportReport:
        raise NotImplementedError

    def conflict(self, plan: Any) -> list[RowError]:
        """The rows a unique-key clash during `write` is about; none re-raises the IntegrityError."""
        return []

    # --- helpers for subclasses ----------------------------------------------------------------

    def header(self, name: str) -> str:
        """The header a person sees for a field: the file's own, or ours if the column is absent."""
        return self._headers.get(name, name)

    def error(self, row: int | None, name: str, reason: str) -> None:
        self.errors.append(RowError(row, self.header(name), reason))

    def warn(self, row: int | None, name: str, reason: str) -> None:
        self.warnings.append(RowError(row, self.header(name), reason))

    def ignored_columns(self) -> list[RowError]:
        """A warning per header nobody asked for, so a typo in a header does not go unseen."""
        table = self.table
        return [RowError(table.header_row, header, "未识别的列，已忽略") for header in table.ignored] if table else []

    def file_label(self) -> str:
        return (self.table.source_name if self.table else "") or NO_FILE_NAME

    def progress_of(self, total: int, desc: str) -> Progress:
        return Progress(total, desc=desc, report=self.progress)
