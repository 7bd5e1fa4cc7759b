"""The weekly report's tables, and the same tables written as .xlsx (openpyxl) and .pdf (fpdf2).

`report_tables(figures)` is the one layout: the report page, the Excel workbook (one sheet per
table, numbers as numbers with a display format) and the PDF all render it, so they cannot differ.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Cell kinds: how a value is shown (and formatted in Excel).
TEXT, COUNT, RATE, DELTA, POINTS = "text", "count", "rate", "delta", "points"
EXCEL_FORMATS = {COUNT: "0", RATE: "0.0%", DELTA: "+0;-0;0", POINTS: "+0.0%;-0.0%;0.0%"}
EMPTY = "—"

# The project's own CJK font: Noto Sans SC (SIL Open Font License 1.1), from the npm package
# @expo-google-fonts/noto-sans-sc, copied here by scripts/copy_assets.py (`make setup`).
BUNDLED_FONT = Path(settings.BASE_DIR) / "var" / "fonts" / "NotoSansSC-Regular.ttf"
DEFAULT_FONT_INDEX = 2  # only read for a collection (.ttc): Simplified Chinese in Debian's Noto CJK


def display(value, kind: str) -> str:
    """How a cell reads on screen and in the PDF: 0.857 → "85.7%", +3 → "+3", None → "—"."""
    if value is None:
        return EMPTY
    if kind == RATE:
        return f"{value * 100:.1f}%"
    if kind == POINTS:
        return f"{value * 100:+.1f}%"
    if kind == DELTA:
        return f"{value:+d}" if value else "0"
    return str(value)


@dataclass
class Column:
    title: str
    kind: str
    width: float = 1.0  # relative width in the PDF


@dataclass
class Table:
    key: str
    title: str  # also the Excel sheet's name (<= 31 characters)
    columns: list[Column]
    rows: list[list]


def _ranking_table(key: str, title: str, unit: str, items: list[dict]) -> Table:
    columns = [Column("按期排名", COUNT, 0.8), Column(unit, TEXT, 2.2), Column("上报事件", COUNT), Column("已结案", COUNT),
               Column("在办超期", COUNT), Column("按期结案率", RATE), Column("上周按期率", RATE), Column("按期率变化", POINTS),
               Column("上周上报", COUNT), Column("上报变化", DELTA), Column("上报排名", COUNT, 0.8)]
    rows = [[item["rank_on_time"], item["label"], item["cases"], item["closed"], item["open_overdue"], item["on_time_rate"],
             item["last_on_time_rate"], item["change_on_time_rate"], item["last_cases"], item["change_cases"], item["rank_cases"]]
            for item in items]
    return Table(key, title, columns, rows)


def report_tables(figures: dict) -> list[Table]:
    kpi_rows = []
    for kpi in figures["kpis"]:
        kind = RATE if kpi["kind"] == "rate" else COUNT
        kpi_rows.append([kpi["label"], (kpi["this"], kind), (kpi["last"], kind), (kpi["change"], POINTS if kind == RATE else DELTA)])
    summons = figures["summons"]
    summons_rows = []
    for key, label, kind in (("summonses", "吹哨次数", COUNT), ("parts", "报到任务", COUNT), ("checked_in", "已报到", COUNT),
                             ("on_time", "按时报到", COUNT), ("done", "已完成", COUNT), ("checkin_rate", "报到率", RATE),
                             ("on_time_rate", "按时报到率", RATE), ("done_rate", "完成率", RATE)):
        this, last = summons["this"][key], summons["last"][key]
        change = None if this is None or last is None else (round(this - last, 6) if kind == RATE else this - last)
        summons_rows.append([label, (this, kind), (last, kind), (change, POINTS if kind == RATE else DELTA)])
    trend = figures["trend"]
    return [
        # Mixed kinds per row: a (value, kind) pair overrides the column's kind.
        Table("kpis", "本周指标", [Column("指标", TEXT, 2), Column("本周", COUNT), Column("上周", COUNT), Column("变化", DELTA)], kpi_rows),
        # Reports made before the national indicators existed have none: the table is then empty.
        Table("national", "国标评价指标", [Column("指标", TEXT, 1.6), Column("本周", RATE), Column("分子", COUNT), Column("分母", COUNT),
                                        Column("上周", RATE), Column("上周分子", COUNT), Column("上周分母", COUNT), Column("变化", POINTS),
                                        Column("口径（分子/分母）", TEXT, 2.4)],
              [[n["label"], n["this"], n["this_numerator"], n["this_denominator"], n["last"], n["last_numerator"], n["last_denominator"],
                n["change"], f"{n['numerator_label']}/{n['denominator_label']}"] for n in figures.get("national", [])]),
        _ranking_table("region_ranking", "区域排名", "区域", figures["region_ranking"]),
        _ranking_table("department_ranking", "部门排名", "部门", figures["department_ranking"]),
        Table("top_matters", "高发问题", [Column("排名", COUNT, 0.6), Column("事项", TEXT, 3), Column("本周", COUNT), Column("上周", COUNT), Column("变化", DELTA)],
              [[rank, item["label"], item["cases"], item["last_cases"], item["change"]] for rank, item in enumerate(figures["top_matters"], start=1)]),
        Table("summons", "吹哨报到", [Column("项目", TEXT, 2), Column("本周", COUNT), Column("上周", COUNT), Column("变化", DELTA)], summons_rows),
        Table("summons_parties", "报到单位", [Column("报到单位/人员", TEXT, 3), Column("报到任务", COUNT), Column("已报到", COUNT),
                                           Column("按时报到", COUNT), Column("已完成", COUNT)],
              [[p["label"], p["parts"], p["checked_in"], p["on_time"], p["done"]] for p in summons["by_party"]]),
        Table("overdue_units", "超期单位", [Column("办理单位", TEXT, 3), Column("类型", TEXT), Column("在办", COUNT), Column("在办超期", COUNT)],
              [[u["label"], "部门" if u["kind"] == "department" else "区域", u["open"], u["open_overdue"]] for u in figures["overdue_units"]]),
        Table("trend", "每日上报", [Column("日期", TEXT), Column("本周", COUNT), Column("上周", COUNT), Column("变化", DELTA)],
              [[day, this, last, this - last] for day, this, last in zip(trend["days"], trend["this"], trend["last"])]),
    ]


def cells(table: Table, row: list) -> list[tuple]:
    """(value, kind) for each cell of a row."""
    return [cell if isinstance(cell, tuple) else (cell, column.kind) for cell, column in zip(row, table.columns)]


def display_rows(table: Table) -> list[list[str]]:
    return [[display(value, kind) for value, kind in cells(table, row)] for row in table.rows]


def title_of(figures: dict) -> str:
    return f"{figures['region']['name']}周调度报告"


def period_of(figures: dict) -> str:
    return f"{figures['week_start']} 至 {figures['week_end']} · 数据截至 {figures['as_of'][:16].replace('T', ' ')}"


# Excel -----------------------------------------------------------------------------------------------

def render_xlsx(figures: dict) -> bytes:
    """One sheet per table, header in row 1; numbers are numbers, None is an empty cell."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    about = book.active
    about.title = "说明"
    for line in (("报告", title_of(figures)), ("区域代码", figures["region"]["code"]), ("周期", f"{figures['week_start']} 至 {figures['week_end']}"),
                 ("数据截至", figures["as_of"]), ("上周", figures["last_week_start"])):
        about.append(line)
    about.column_dimensions["A"].width, about.column_dimensions["B"].width = 12, 40
    bold = Font(bold=True)
    for table in report_tables(figures):
        sheet = book.create_sheet(table.title)
        sheet.append([column.title for column in table.columns])
        for cell in sheet[1]:
            cell.font = bold
        for position, column in enumerate(table.columns, start=1):
            sheet.column_dimensions[get_column_letter(position)].width = max(10, 2 * len(column.title) + 4) if column.kind != TEXT else 24
        for row_number, row in enumerate(table.rows, start=2):
            for position, (value, kind) in enumerate(cells(table, row), start=1):
                cell = sheet.cell(row=row_number, column=position, value=value)
                if kind == TEXT:
                    cell.data_type = "s"  # a name starting with "=" stays text
                elif value is not None:
                    cell.number_format = EXCEL_FORMATS[kind]
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# PDF -------------------------------------------------------------------------------------------------

def font_file() -> tuple[Path, int]:
    """The CJK font for PDFs: settings.YIWANG_REPORT_FONT when set (a .ttf/.otf/.ttc, with
    YIWANG_REPORT_FONT_INDEX inside a collection), else the bundled Noto Sans SC, so that no system
    font is needed; a clear error when the file is missing."""
    configured = getattr(settings, "YIWANG_REPORT_FONT", "")
    path = Path(configured) if configured else BUNDLED_FONT
    if not path.is_file():
        hint = "请把 YIWANG_REPORT_FONT 设为含中文字形的字体" if configured else "请运行 make setup（scripts/copy_assets.py 会复制该字体）"
        raise ImproperlyConfigured(f"报表字体不存在：{path}。{hint}。")
    return path, int(getattr(settings, "YIWANG_REPORT_FONT_INDEX", DEFAULT_FONT_INDEX))


BLUE, GREY, RED = (47, 111, 185), (160, 160, 160), (200, 60, 50)


class _Pdf:
    """A4 portrait; tables from report_tables() and charts drawn with fpdf2's lines and rectangles."""

    def __init__(self, figures: dict):
        from fpdf import FPDF

        path, index = font_file()
        self.figures = figures
        self.pdf = pdf = FPDF(orientation="P", unit="mm", format="A4")
        pdf.set_title(title_of(figures))
        pdf.set_creator("Yiwang")
        pdf.add_font("cjk", fname=str(path), collection_font_number=index)
        pdf.set_auto_page_break(auto=True, margin=15)
        pdf.set_margins(12, 12, 12)

    def text(self, size: float, line: str, height: float = 7, colour=(0, 0, 0)):
        self.pdf.set_font("cjk", size=size)
        self.pdf.set_text_color(*colour)
        self.pdf.multi_cell(0, height, line, new_x="LMARGIN", new_y="NEXT")
        self.pdf.set_text_color(0, 0, 0)

    def heading(self, title: str):
        if self.pdf.get_y() > self.pdf.h - 40:
            self.pdf.add_page()
        self.pdf.ln(3)
        self.text(13, title, 8)

    def table(self, table: Table):
        from fpdf.fonts import FontFace

        pdf = self.pdf
        self.heading(table.title)
        pdf.set_font("cjk", size=8)
        if not table.rows:
            self.text(9, "（无）", 6, GREY)
            return
        aligns = ["LEFT" if c.kind == TEXT else "RIGHT" for c in table.columns]
        pdf.set_fill_color(255, 255, 255)  # a chart's bar colour must not leak into the cells
        with pdf.table(col_widths=[c.width for c in table.columns], wrapmode="CHAR", text_align=aligns, line_height=5,
                       headings_style=FontFace(emphasis=None, fill_color=(230, 236, 245)), padding=1) as grid:
            header = grid.row()
            for column in table.columns:
                header.cell(column.title)
            for texts in display_rows(table):
                row = grid.row()
                for text in texts:
                    row.cell(text)

    def space(self, height: float) -> float:
        """The y to draw a chart of `height` at, on a new page if this one has no room."""
        if self.pdf.get_y() + height > self.pdf.h - 15:
            self.pdf.add_page()
        return self.pdf.get_y()

    def bar_chart(self, title: str, labels: list[str], values: list[float | None], *, rate: bool):
        """Horizontal bars, one per label; a rate scales to 100%, a count to the largest value."""
        pdf = self.pdf
        self.heading(title)
        labels, values = labels[:15], values[:15]
        if not labels:
            self.text(9, "（无）", 6, GREY)
            return
        bar, gap, label_width = 5.0, 2.0, 45.0
        top = self.space(len(labels) * (bar + gap) + 4)
        left = pdf.l_margin + label_width
        width = pdf.w - pdf.r_margin - left - 22
        scale = 1.0 if rate else max([v for v in values if v is not None] + [1])
        pdf.set_font("cjk", size=8)
        for i, (label, value) in enumerate(zip(labels, values)):
            y = top + i * (bar + gap)
            pdf.set_xy(pdf.l_margin, y)
            pdf.cell(label_width - 2, bar, label[:14], align="R")
            if value is not None and value > 0:
                pdf.set_fill_color(*BLUE)
                pdf.rect(left, y, width * value / scale, bar, style="F")
            pdf.set_xy(left + (width * (value or 0) / scale) + 1, y)
            pdf.cell(20, bar, display(value, RATE if rate else COUNT))
        pdf.set_draw_color(*GREY)
        pdf.line(left, top - 1, left, top + len(labels) * (bar + gap))
        pdf.set_draw_color(0, 0, 0)
        pdf.set_fill_color(255, 255, 255)
        pdf.set_xy(pdf.l_margin, top + len(labels) * (bar + gap) + 2)

    def line_chart(self, title: str, days: list[str], series: list[tuple[str, list[int], tuple]]):
        """Daily counts as lines with dots, one series per week, with a legend and a y scale."""
        pdf = self.pdf
        self.heading(title)
        height, top = 55.0, self.space(75)
        left, right = pdf.l_margin + 12, pdf.w - pdf.r_margin - 5
        bottom = top + height
        # Integer ticks: the top of the scale is the peak rounded up to a multiple of 4.
        peak = max([max(values) for _, values, _ in series] + [1])
        peak = max(4, -(-peak // 4) * 4)
        pdf.set_font("cjk", size=7)
        pdf.set_draw_color(*GREY)
        for step in range(5):  # y grid with labels
            value = peak * step / 4
            y = bottom - height * step / 4
            pdf.line(left, y, right, y)
            pdf.set_xy(pdf.l_margin, y - 2)
            pdf.cell(10, 4, f"{value:.0f}", align="R")
        xs = [left + (right - left) * (i + 0.5) / len(days) for i in range(len(days))]
        for x, day in zip(xs, days):
            pdf.set_xy(x - 8, bottom + 1)
            pdf.cell(16, 4, day, align="C")
        for name, values, colour in series:
            pdf.set_draw_color(*colour)
            pdf.set_fill_color(*colour)
            pdf.set_line_width(0.6)
            points = [(x, bottom - height * v / peak) for x, v in zip(xs, values)]
            pdf.polyline(points)
            for x, y in points:
                pdf.circle(x=x, y=y, radius=0.9, style="F")
        pdf.set_line_width(0.2)
        legend_y = bottom + 7
        x = left
        for name, values, colour in series:
            pdf.set_fill_color(*colour)
            pdf.rect(x, legend_y + 1, 6, 2, style="F")
            pdf.set_xy(x + 7, legend_y)
            pdf.cell(40, 4, f"{name}（合计 {sum(values)}）")
            x += 50
        pdf.set_draw_color(0, 0, 0)
        pdf.set_fill_color(255, 255, 255)
        pdf.set_xy(pdf.l_margin, legend_y + 7)

    def render(self) -> bytes:
        figures, pdf = self.figures, self.pdf
        tables = {table.key: table for table in report_tables(figures)}
        pdf.add_page()
        self.text(18, title_of(figures), 10)
        self.text(10, f"{figures['region']['level']} {figures['region']['code']} · {period_of(figures)}", 6, GREY)
        self.table(tables["kpis"])
        trend = figures["trend"]
        self.line_chart("每日上报趋势（本周与上周）", trend["days"], [("本周", trend["this"], BLUE), ("上周", trend["last"], RED)])
        self.table(tables["region_ranking"])
        ranking = figures["region_ranking"]
        self.bar_chart("区域按期结案率", [r["label"] for r in ranking], [r["on_time_rate"] for r in ranking], rate=True)
        by_cases = sorted(ranking, key=lambda r: r["rank_cases"])
        self.bar_chart("区域上报事件数", [r["label"] for r in by_cases], [r["cases"] for r in by_cases], rate=False)
        self.table(tables["department_ranking"])
        self.table(tables["top_matters"])
        matters = figures["top_matters"]
        self.bar_chart("高发问题事件数", [m["label"] for m in matters], [m["cases"] for m in matters], rate=False)
        self.table(tables["summons"])
        self.table(tables["summons_parties"])
        self.table(tables["overdue_units"])
        self.table(tables["trend"])
        return bytes(pdf.output())


def render_pdf(figures: dict) -> bytes:
    return _Pdf(figures).render()
