"""Writing .xlsx exports.

openpyxl's write-only mode streams rows to a temporary file instead of keeping every cell in
memory, so an export of a whole street's residents stays small. Querysets are iterated in chunks.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

Getter = Callable[[Any], Any] | str
CHUNK_SIZE = 2000


def _value(row: Any, getter: Getter) -> Any:
    if callable(getter):
        return getter(row)
    value = row
    for part in getter.split("__"):  # "region__code" follows relations like a queryset lookup
        value = value.get(part) if isinstance(value, dict) else getattr(value, part, None)
        if value is None:
            break
    return value


def _cell_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        # Excel has no time zones: write the local wall time people expect.
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, date):
        return value
    # Control characters are not allowed in the XML of a sheet.
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


def _rows(queryset_or_rows: QuerySet | Iterable[Any]) -> Iterable[Any]:
    if isinstance(queryset_or_rows, QuerySet):
        return queryset_or_rows.iterator(chunk_size=CHUNK_SIZE)
    return queryset_or_rows


def export_xlsx(*, queryset_or_rows: QuerySet | Iterable[Any], columns: Sequence[tuple[str, Getter]], sheet_title: str) -> bytes:
    """An .xlsx with one header row and one row per item; getters are callables or attribute paths."""
    buffer = io.BytesIO()
    write_xlsx(buffer, queryset_or_rows=queryset_or_rows, columns=columns, sheet_title=sheet_title)
    return buffer.getvalue()


def write_xlsx(out: Any, *, queryset_or_rows: QuerySet | Iterable[Any], columns: Sequence[tuple[str, Getter]], sheet_title: str,
               progress: Callable[[int], None] | None = None, every: int = CHUNK_SIZE) -> int:
    """`export_xlsx` into `out` (a path or a binary file), calling `progress(rows so far)` every
    `every` rows so a background export can report how far it is. Returns the rows written."""
    book = Workbook(write_only=True)
    # Sheet titles are at most 31 characters and may not contain []:*?/\ .
    sheet = book.create_sheet(title=("".join(ch for ch in sheet_title if ch not in "[]:*?/\\") or "Sheet")[:31])
    for position, (header, _) in enumerate(columns, start=1):
        # CJK characters are about two Latin widths; ID numbers need 20.
        sheet.column_dimensions[get_column_letter(position)].width = max(10, min(40, 2 * len(header) + 4))
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for header, _ in columns:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)

    getters = [getter for _, getter in columns]
    written = 0
    for row in _rows(queryset_or_rows):
        values = [_cell_value(_value(row, getter)) for getter in getters]
        for position, value in enumerate(values):
            if isinstance(value, str) and value.startswith("="):
                # openpyxl would write a formula; a name or address must stay text.
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"
                values[position] = cell
        sheet.append(values)
        written += 1
        if progress is not None and written % every == 0:
            progress(written)

    book.save(out)
    return written
