"""The daily supervision sheet (日督导) as .xlsx: the cases, one row each, and the totals per unit."""

from __future__ import annotations

import io

from django.utils import timezone

from .selectors import DailySheet

CASE_COLUMNS = ("办理单位", "编号", "灯色", "状态", "事项", "网格", "处置人", "承办人", "环节时限", "超时（小时）", "超时时长", "剩余时间")
UNIT_COLUMNS = ("办理单位", "类型", "环节超时", "环节预警", "合计")


def _local(moment):
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None


def daily_sheet_xlsx(sheet: DailySheet) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    cases = book.active
    cases.title = "督导清单"
    cases.append(list(CASE_COLUMNS))
    for unit in sheet.units:
        for row in unit.rows:
            case = row.case
            cases.append([unit.label, row.number, "超时" if row.light == "red" else "预警", case.get_status_display(), case.matter.name,
                          case.region.name, row.handler, row.assignee, _local(case.step_due_at), row.overdue_hours,
                          row.overdue_text, row.left_text])
            cases.cell(row=cases.max_row, column=9).number_format = "yyyy-mm-dd hh:mm"
    totals = book.create_sheet("单位汇总")
    totals.append(list(UNIT_COLUMNS))
    for unit in sheet.units:
        totals.append([unit.label, "部门" if unit.kind == "department" else "区域", unit.step_overdue, unit.warning, unit.step_overdue + unit.warning])
    totals.append(["合计", "", sheet.step_overdue, sheet.warning, sheet.step_overdue + sheet.warning])
    about = book.create_sheet("说明")
    for line in (("区域", sheet.region.name), ("区域代码", sheet.region.code), ("日期", sheet.day.isoformat()),
                 ("判定时刻", timezone.localtime(sheet.as_of).strftime("%Y-%m-%d %H:%M")),
                 ("超期未结（超过结案时限）", sheet.overdue)):
        about.append(line)
    for sheet_ in (cases, totals):
        for cell in sheet_[1]:
            cell.font = Font(bold=True)
        sheet_.freeze_panes = "A2"
        for letter in "ABCDEFGHIJKL"[: sheet_.max_column]:
            sheet_.column_dimensions[letter].width = 16
    for sheet_ in (cases, totals):
        for row in sheet_.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # a name, never a formula
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
