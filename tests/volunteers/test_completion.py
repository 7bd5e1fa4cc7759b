"""Recording a task's completion: hours per person, points in the points banks (party members to
"party_member", volunteers to "volunteer"), the hours_by_person contract, stars and the evaluation
figures, and the .docx export read back with python-docx."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from docx import Document

from tests import factories
from yiwang.pointsbank.models import Bank, LedgerEntry
from yiwang.pointsbank.selectors import balance
from yiwang.volunteers import documents, selectors, services

pytestmark = pytest.mark.django_db


@pytest.fixture
def served(tree, confirmed, member, member_user, staff, make_task):
    """The member served 3.5 h on one task; a volunteer 2 h on the same; another task the member missed."""
    volunteer = services.register_volunteer(person=factories.person(tree.micro_b1), acting_user=staff)
    first = make_task(places=3, hours="4.0", title="垃圾分类宣传")
    member_claim = services.claim_task(task=first, person=member.person, acting_user=member_user)
    volunteer_claim = services.claim_task(task=first, person=volunteer.person, acting_user=staff)
    services.record_completion(first, acting_user=staff, outcomes={member_claim.pk: "3.5", volunteer_claim.pk: Decimal("2")},
                               now=first.ends_at)
    second = make_task(places=2, title="关爱空巢老人", days=4)
    missed = services.claim_task(task=second, person=member.person, acting_user=member_user)
    services.record_completion(second, acting_user=staff, outcomes={missed.pk: None}, now=second.ends_at)
    return {"volunteer": volunteer, "first": first, "member_claim": member_claim, "volunteer_claim": volunteer_claim}


def test_points_go_to_the_right_banks(served, member, staff):
    assert balance(bank_code="party_member", person=member.person) == 35
    assert balance(bank_code="volunteer", person=served["volunteer"].person) == 20
    assert balance(bank_code="volunteer", person=member.person) == 0
    entry = LedgerEntry.objects.get(pk=served["member_claim"].__class__.objects.get(pk=served["member_claim"].pk).ledger_entry_id)
    assert entry.bank.code == "party_member" and entry.points == 35 and entry.granted_by == staff
    assert entry.source == "volunteers" and f"volunteers.taskclaim:{served['member_claim'].pk}" in entry.evidence
    assert "垃圾分类宣传" in entry.reason


def test_hours_by_person_contract(tree, served, member):
    year = timezone.localtime(served["first"].starts_at).year
    tz = timezone.get_current_timezone()
    since, until = datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz)
    hours = selectors.hours_by_person(region_path=tree.community.path, since=since, until=until)
    assert hours == {member.person.pk: 3.5, served["volunteer"].person.pk: 2.0}
    assert selectors.hours_by_person(region_path=tree.other_street.path, since=since, until=until) == {}
    later = served["first"].starts_at + timedelta(minutes=1)
    assert selectors.hours_by_person(region_path=tree.community.path, since=later, until=until) == {}


def test_evaluation_carries_the_year_figures_and_stars(served, confirmed, staff, member):
    evaluation = services.issue_evaluation(confirmed, acting_user=staff, grade="competent", comment="按时参加服务，群众评价好")
    assert (evaluation.tasks, evaluation.hours, evaluation.points, evaluation.stars) == (1, Decimal("3.5"), 35, 1)
    assert evaluation.organization == member.organization


def test_docx_export_contains_the_member_figures(served, confirmed, staff, member):
    evaluation = services.issue_evaluation(confirmed, acting_user=staff, grade="excellent", comment="积极参与垃圾分类宣传")
    document = Document(io.BytesIO(documents.evaluation_docx(evaluation)))
    cells = {row.cells[0].text: row.cells[1].text for row in document.tables[0].rows}
    assert cells["姓名"] == member.person.name
    assert cells["所在党组织"] == member.organization.name
    assert cells["报到社区"] == "永先社区"
    assert cells["完成服务任务"] == "1项" and cells["服务时长"] == "3.5小时" and cells["服务积分"] == "35分"
    assert cells["评价等次"] == "优秀" and cells["社区评语"] == "积极参与垃圾分类宣传"
    assert cells["认领岗位"] == "政策宣传员"
    assert "本年度服务积分35分" in cells["星级计算"]
    text = "\n".join(p.text for p in document.paragraphs)
    assert f"致：{member.organization.name}" in text

    summary = Document(io.BytesIO(documents.organization_docx(member.organization, [evaluation], evaluation.year)))
    header, row = summary.tables[0].rows[0], summary.tables[0].rows[1]
    assert [c.text for c in header.cells][:3] == ["姓名", "报到社区", "年度"]
    assert [c.text for c in row.cells] == [member.person.name, "永先社区", str(evaluation.year), "1", "3.5", "35", "优秀"]


def test_points_bank_refusal_leaves_nothing_half_written(confirmed, member, member_user, staff, make_task):
    Bank.objects.filter(code="party_member").update(active=False)
    task = make_task()
    claim = services.claim_task(task=task, person=member.person, acting_user=member_user)
    with pytest.raises(ValidationError) as exc:
        services.record_completion(task, acting_user=staff, outcomes={claim.pk: "2"}, now=task.ends_at)
    assert "积分未能记入积分银行" in exc.value.message_dict["claims"][0]
    claim.refresh_from_db()
    task.refresh_from_db()
    assert claim.status == "claimed" and claim.hours is None and task.status == "open"
