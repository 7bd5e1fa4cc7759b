"""Duty lists from spreadsheets: a CSV or .xlsx file as a new list, or as a proposal that makes an
existing list exactly what the file says. The whole file is checked first; if any row is wrong
nothing is written and every problem is listed by row and column."""

from __future__ import annotations

from typing import Any

from yiwang.core.importing import ImportFailed
from yiwang.core.tabular import Column, RowError, TabularError, read_table
from yiwang.regions.models import Region

from . import services
from .models import DutyList, DutyListVersion

COLUMNS = [
    Column("key", "编号", ("事项编号", "清单编号", "编码"), required=True),
    Column("title", "事项名称", ("名称", "清单事项", "职责事项", "事项内容"), required=True),
    Column("category", "类别", ("分类", "事项类别")),
    Column("owner_unit", "责任单位", ("主责单位", "牵头单位", "责任科室")),
    Column("department", "对口部门编号", ("部门编号", "对口部门")),
    Column("legal_basis", "法律依据", ("依据", "设定依据", "政策依据")),
    Column("matter_types", "涵盖事项", ("事项编码", "涵盖事项编码")),
    Column("note", "备注", ("说明",)),
]
HEADERS = {column.field: column.header for column in COLUMNS}


def read_rows(source, *, encoding: str | None = None) -> list[dict[str, Any]]:
    """The file's rows as item dicts, or ImportFailed listing every bad row."""
    try:
        table = read_table(source, columns=COLUMNS, encoding=encoding)
    except TabularError as exc:
        raise ImportFailed([exc.as_row_error()]) from None
    errors: list[RowError] = []
    rows: list[dict[str, Any]] = []
    first_row: dict[str, int] = {}
    for number, values in table.dicts():
        problems = services.Problems()
        key = services.check_key(values.get("key"), "", problems)
        services.apply_fields(services.ItemContent(title=""), values, "", problems)
        if key and key in first_row:
            problems.add("", "key", f"编号 {key} 与第{first_row[key]}行重复")
        first_row.setdefault(key, number)
        for _, field_name, message in problems.items:
            errors.append(RowError(number, table.headers.get(field_name, HEADERS.get(field_name, field_name)), message))
        rows.append(values)
    if errors:
        raise ImportFailed(errors)
    return rows


def import_list(*, region: Region, kind: str, source, acting_user, reason: str, name: str = "",
                encoding: str | None = None) -> DutyList:
    return services.create_list(region=region, kind=kind, name=name, rows=read_rows(source, encoding=encoding),
                                acting_user=acting_user, reason=reason)


def import_proposal(duty_list: DutyList, *, source, acting_user, reason: str, encoding: str | None = None) -> DutyListVersion:
    return services.propose_replacement(duty_list, rows=read_rows(source, encoding=encoding), acting_user=acting_user, reason=reason)
