"""Reading spreadsheets people hand in: CSV (UTF-8 or GBK/GB18030) and Excel .xlsx.

An importer describes the columns it understands (`Column`: our field name, the header we write
on exports, and the other headers people use for it). `read_table` finds the header row, maps
the file's headers onto those fields, and returns trimmed rows numbered the way a person sees
them in Excel (the header row of a plain file is row 1). Problems with the file as a whole raise
TabularError, which still names a row and a column where there is one.
"""

from __future__ import annotations

import csv
import io
import itertools
import operator
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, NamedTuple

from django.conf import settings

# A title line or two ("XX社区实有人口登记表") often sits above the header; look this far down for it.
HEADER_SEARCH_ROWS = 20


class RowError(NamedTuple):
    """One problem: spreadsheet row (None for the file as a whole), column header, reason."""

    row: int | None
    column: str
    reason: str

    def __str__(self) -> str:
        where = "文件" if self.row is None else f"第{self.row}行"
        return f"{where} {self.column}: {self.reason}" if self.column else f"{where}: {self.reason}"


class TabularError(ValueError):
    """The file cannot be read as a table at all."""

    def __init__(self, reason: str, *, row: int | None = None, column: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.row = row
        self.column = column

    def as_row_error(self) -> RowError:
        return RowError(self.row, self.column, self.reason)

    def __str__(self) -> str:
        return str(self.as_row_error())


@dataclass(frozen=True)
class Column:
    """A field an importer understands. `header` is what exports write (and is always recognised)."""

    field: str
    header: str
    aliases: tuple[str, ...] = ()
    required: bool = False

    def names(self) -> tuple[str, ...]:
        return (self.header, self.field, *self.aliases)


@dataclass
class Table:
    # field -> the header text as written in the file, for error messages.
    headers: dict[str, str]
    header_row: int
    # The fields found, in the order of each row's values.
    fields: tuple[str, ...]
    # (spreadsheet row number, trimmed values in `fields` order); lists rather than dicts because
    # a person import reads 10⁵ rows and a dict per row is a third of the reading time.
    rows: list[tuple[int, list[str]]]
    # Headers nobody asked for; importers mention them so a typo in a header does not go unseen.
    ignored: list[str] = field(default_factory=list)
    source_name: str = ""

    def position(self, name: str) -> int | None:
        """Where `name`'s value sits in each row, None if the file has no such column."""
        return self.fields.index(name) if name in self.fields else None

    def dicts(self) -> Iterator[tuple[int, dict[str, str]]]:
        """Rows as {field: value}; absent fields are simply missing."""
        fields = self.fields
        for number, values in self.rows:
            yield number, dict(zip(fields, values, strict=True))


_PARENTHESIS = re.compile(r"\(.*?\)")


def normalize_header(text: object) -> str:
    """Full-width to half-width, no spaces, lower case, no required-marker stars: "＊ 姓名 " -> "姓名"."""
    value = unicodedata.normalize("NFKC", str(text or "")).replace("\ufeff", "").replace("\u200b", "")
    return "".join(value.split()).lower().strip("*")


def _loose(header: str) -> str:
    # "姓名(必填)" and "联系电话(手机)" still mean 姓名 and 联系电话.
    return _PARENTHESIS.sub("", header)


# --- getting the bytes -------------------------------------------------------------------------

Source = str | os.PathLike | bytes | bytearray | IO[bytes]


def source_name(source: Source) -> str:
    if isinstance(source, (str, os.PathLike)):
        return Path(source).name
    if isinstance(source, (bytes, bytearray)):
        return ""
    return Path(str(getattr(source, "name", "") or "")).name


def _read_bytes(source: Source, limit: int) -> bytes:
    """All of the file, refusing anything over `limit` bytes before reading it where we can."""
    too_big = TabularError(f"文件超过允许的大小（{_human_size(limit)}），请拆分后分批导入")
    if isinstance(source, (bytes, bytearray)):
        if len(source) > limit:
            raise too_big
        return bytes(source)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            raise TabularError(f"找不到文件 {path}") from None
        if size > limit:
            raise too_big
        with path.open("rb") as f:
            data = f.read(limit + 1)
    else:
        size = getattr(source, "size", None)  # Django's UploadedFile knows its size
        if isinstance(size, int) and size > limit:
            raise too_big
        if hasattr(source, "seek"):
            source.seek(0)
        data = source.read(limit + 1)
        if isinstance(data, str):  # a file opened in text mode: already decoded
            data = data.encode("utf-8")
    if len(data) > limit:
        raise too_big
    return data


def _human_size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


# --- CSV ---------------------------------------------------------------------------------------


def decode_text(data: bytes, *, encoding: str | None = None) -> str:
    """UTF-8 (with or without BOM), else GB18030 (a superset of GBK); or exactly `encoding`."""
    if encoding:
        return _decode(data, encoding)
    if data.startswith(b"\xef\xbb\xbf"):
        return _decode(data, "utf-8-sig")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Excel's "Unicode text" export.
        return _decode(data, "utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise TabularError("无法识别文件编码（已尝试 UTF-8 和 GBK/GB18030），请另存为 UTF-8 或指定编码") from None


def _decode(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except LookupError:
        raise TabularError(f"不认识的编码 {encoding}") from None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise TabularError(f"这一行（或附近）有无法按 {encoding} 解码的字节，请确认文件编码", row=line) from None


def _csv_records(text: str) -> Iterator[list[str]]:
    first_line = text.split("\n", 1)[0]
    # Excel's "Unicode text" and some exports use tabs; commas otherwise.
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    # PostgreSQL cannot store NUL characters, and no one means to type them.
    return csv.reader(io.StringIO(text.replace("\0", ""), newline=""), delimiter=delimiter)


# --- Excel -------------------------------------------------------------------------------------


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        # A number typed into a cell comes back as 13800138000.0; integral values lose the ".0".
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _xlsx_records(data: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise TabularError(f"无法打开 Excel 文件：{exc}") from None
    try:
        if not book.worksheets:
            raise TabularError("Excel 文件中没有工作表")
        sheet = book.worksheets[0]
        # min_row=1 makes openpyxl yield empty rows too, so positions match Excel's row numbers.
        for values in sheet.iter_rows(min_row=1, values_only=True):
            yield [_cell_text(v) for v in values]
    finally:
        book.close()


# --- the table ---------------------------------------------------------------------------------


def _match_headers(cells: Sequence[str], lookup: Mapping[str, str]) -> dict[int, str]:
    """Column position -> field, first occurrence of each field wins."""
    found: dict[int, str] = {}
    taken: set[str] = set()
    for position, cell in enumerate(cells):
        key = normalize_header(cell)
        if not key:
            continue
        name = lookup.get(key) or lookup.get(_loose(key))
        if name and name not in taken:
            found[position] = name
            taken.add(name)
    return found


def _lookup(columns: Sequence[Column], mapping: Mapping[str, str] | None) -> dict[str, str]:
    by_field = {c.field: c for c in columns}
    lookup: dict[str, str] = {}
    mapped = set()
    for name, header in (mapping or {}).items():
        if name not in by_field:
            known = "、".join(by_field)
            raise TabularError(f"列映射中的字段 {name} 不存在（可用字段：{known}）", column=str(header))
        lookup[normalize_header(header)] = name
        mapped.add(name)
    for column in columns:
        if column.field in mapped:
            continue  # an explicit mapping replaces the usual names for that field
        for alias in column.names():
            lookup.setdefault(normalize_header(alias), column.field)
    return lookup


def read_table(
    source: Source,
    *,
    columns: Sequence[Column],
    mapping: Mapping[str, str] | None = None,
    encoding: str | None = None,
) -> Table:
    """Rows of a CSV or .xlsx file, trimmed and numbered as spreadsheet rows (see Table).

    `mapping` is {field: header in the file} for headers we would not recognise by ourselves.
    """
    limit = settings.IMPORT_MAX_BYTES
    data = _read_bytes(source, limit)
    if not data or data.isspace():
        raise TabularError("文件为空")
    name = source_name(source)
    if data.startswith(b"PK\x03\x04"):
        records: Iterable[list[str]] = _xlsx_records(data)
    elif data.startswith(b"\xd0\xcf\x11\xe0"):
        raise TabularError("不支持旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV")
    else:
        records = _csv_records(decode_text(data, encoding=encoding))
    del data

    try:
        return _table(records, columns=columns, mapping=mapping, name=name)
    except csv.Error as exc:
        line = getattr(records, "line_num", None)
        raise TabularError(f"CSV 格式错误：{exc}", row=line) from None


def _table(records: Iterable[list[str]], *, columns: Sequence[Column], mapping: Mapping[str, str] | None, name: str) -> Table:
    lookup = _lookup(columns, mapping)
    iterator = iter(records)
    header_row, positions, header_cells, below = _find_header(iterator, lookup, mapping)
    headers = {f: header_cells[p].strip() for p, f in positions.items()}

    missing = [c for c in columns if c.required and c.field not in headers]
    if missing:
        first = missing[0]
        raise TabularError(
            "缺少必需的列" + (f"（还缺 {'、'.join(c.header for c in missing[1:])}）" if len(missing) > 1 else "")
            + f"；可用的列名：{'、'.join(dict.fromkeys(first.names()))}",
            row=header_row,
            column=first.header,
        )
    ignored = [cell.strip() for p, cell in enumerate(header_cells) if p not in positions and cell.strip()]

    fields = tuple(positions.values())
    index = list(positions.keys())
    pick = operator.itemgetter(*index) if len(index) > 1 else (lambda record: (record[index[0]],))
    width = max(index) + 1
    strip = str.strip
    rows: list[tuple[int, list[str]]] = []
    append = rows.append
    number = header_row
    for record in itertools.chain(below, iterator):
        number += 1
        if len(record) < width:
            record = [*record, *[""] * (width - len(record))]
        values = list(map(strip, pick(record)))
        if any(values):  # blank lines and rows filled only in columns we ignore (序号 …) are skipped
            append((number, values))
    if not rows:
        raise TabularError("文件中没有数据行（只有表头）", row=header_row)
    return Table(headers=headers, header_row=header_row, fields=fields, rows=rows, ignored=ignored, source_name=name)


def _find_header(
    records: Iterator[list[str]], lookup: Mapping[str, str], mapping: Mapping[str, str] | None
) -> tuple[int, dict[int, str], list[str], list[list[str]]]:
    """The row among the top HEADER_SEARCH_ROWS that names the most of our columns (the first
    such on a tie); also the rows already read below it, which are data."""
    top: list[list[str]] = []
    for record in records:
        top.append(record)
        if len(top) >= HEADER_SEARCH_ROWS:
            break
    if not any(cell.strip() for record in top for cell in record):
        raise TabularError("文件为空")
    best: tuple[int, dict[int, str]] | None = None
    for number, record in enumerate(top, start=1):
        positions = _match_headers(record, lookup)
        if positions and (best is None or len(positions) > len(best[1])):
            best = (number, positions)
    if best is None:
        raise TabularError(f"在前{HEADER_SEARCH_ROWS}行中没有找到表头（没有可识别的列名）", row=1, column="表头")
    number, positions = best
    for name, header in (mapping or {}).items():
        if name not in positions.values():
            raise TabularError(f"列映射 {name}={header}：表头中没有这一列", row=number, column=str(header))
    return number, positions, top[number - 1], top[number:]
