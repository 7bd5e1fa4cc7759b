"""The yearly evaluation as a Word document (.docx) for the member's own party organization:
one evaluation, or every evaluation sent to one organization (a summary table, then one page each)."""

from __future__ import annotations

import io

from django.utils import timezone
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from . import rules
from .models import Evaluation

FONT = "SimSun"


def _base_document() -> Document:
    document = Document()
    style = document.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(11)
    # East Asian text takes its font from this attribute, not from font.name.
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    return document


def _figures_rows(evaluation: Evaluation) -> list[tuple[str, str]]:
    registration = evaluation.registration
    stars = rules.star_rating(evaluation.points)
    posts = "、".join(p.title for p in registration.posts.all()) or "（未认领岗位）"
    return [
        ("姓名", registration.person.name),
        ("工作单位", registration.work_unit or "—"),
        ("所在党组织", evaluation.organization.name),
        ("报到社区", registration.community.name),
        ("年度", f"{evaluation.year}年"),
        ("认领岗位", posts),
        ("完成服务任务", f"{evaluation.tasks}项"),
        ("服务时长", f"{evaluation.hours}小时"),
        ("服务积分", f"{evaluation.points}分"),
        ("星级", f"{'★' * evaluation.stars}{'☆' * (5 - evaluation.stars)}（{evaluation.stars}星）"),
        ("星级计算", stars.explanation),
        ("评价等次", evaluation.get_grade_display()),
        ("社区评语", evaluation.comment),
        ("出具日期", f"{timezone.localtime(evaluation.issued_at):%Y年%m月%d日}"),
    ]


def _add_evaluation(document: Document, evaluation: Evaluation) -> None:
    heading = document.add_heading(f"在职党员到社区报到服务{evaluation.year}年度评价表", level=1)
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_paragraph(f"致：{evaluation.organization.name}")
    table = document.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in _figures_rows(evaluation):
        cells = table.add_row().cells
        cells[0].text, cells[1].text = label, value
    document.add_paragraph()
    signature = document.add_paragraph(f"{evaluation.registration.community.name}党组织（盖章）")
    signature.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    dated = document.add_paragraph(f"{timezone.localtime(evaluation.issued_at):%Y年%m月%d日}")
    dated.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def evaluation_docx(evaluation: Evaluation) -> bytes:
    document = _base_document()
    _add_evaluation(document, evaluation)
    return _bytes(document)


def organization_docx(organization, evaluations: list[Evaluation], year: int | None) -> bytes:
    """Every evaluation sent to `organization`: a summary table first, then one page per member."""
    document = _base_document()
    title = document.add_heading(f"{organization.name}在职党员双报到{f'{year}年度' if year else ''}评价汇总", level=1)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    table = document.add_table(rows=1, cols=7)
    table.style = "Table Grid"
    for cell, label in zip(table.rows[0].cells, ["姓名", "报到社区", "年度", "任务", "时长（小时）", "积分", "等次"]):
        cell.text = label
    for evaluation in evaluations:
        cells = table.add_row().cells
        values = [evaluation.registration.person.name, evaluation.registration.community.name, str(evaluation.year),
                  str(evaluation.tasks), str(evaluation.hours), str(evaluation.points), evaluation.get_grade_display()]
        for cell, value in zip(cells, values):
            cell.text = value
    for evaluation in evaluations:
        document.add_page_break()
        _add_evaluation(document, evaluation)
    return _bytes(document)


def _bytes(document: Document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
