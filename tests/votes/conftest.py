"""Fixtures for the votes tests: residents of 永先社区 living in two buildings of grid A and one of
grid B, each with an account, and a helper that makes an open ballot with typed questions."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from tests import factories


def _resident(region, building, name: str, make_user, username: str):
    from yiwang.registry.models import House, Household

    house = House.objects.create(region=region, building=building, number=f"{name}-101")
    household = Household.objects.create(region=region, number=f"H-{username}", house=house)
    person = factories.person(region)
    person.name, person.household = name, household
    person.save(update_fields=["name", "household"])
    account = make_user(username, "resident", None, person=person)
    return SimpleNamespace(person=person, user=account)


@pytest.fixture
def people(tree, make_user):
    """张秀英 and 李建国 in building 1 (micro-grid A1), 王芳 in building 2 (micro-grid A2), 赵强 in
    building 3 (grid B), and 孙丽 of another street."""
    from yiwang.registry.models import Building

    b1 = Building.objects.create(region=tree.micro_a1, code="YX-B1", name="滨湖小区1栋")
    b2 = Building.objects.create(region=tree.micro_a2, code="YX-B2", name="滨湖小区2栋")
    b3 = Building.objects.create(region=tree.micro_b1, code="YX-B3", name="枫林苑3栋")
    other_b = Building.objects.create(region=tree.other_street, code="HF-B1", name="汉丰1栋")
    return SimpleNamespace(
        b1=b1, b2=b2, b3=b3,
        zhang=_resident(tree.micro_a1, b1, "张秀英", make_user, "zhang"),
        li=_resident(tree.micro_a1, b1, "李建国", make_user, "li"),
        wang=_resident(tree.micro_a2, b2, "王芳", make_user, "wang"),
        zhao=_resident(tree.micro_b1, b3, "赵强", make_user, "zhao"),
        sun=_resident(tree.other_street, other_b, "孙丽", make_user, "sun"),
    )


@pytest.fixture
def make_ballot(tree, users):
    """An open ballot of 永先社区 (scope: the community unless told) with a single choice, a
    multiple choice (at most 2), a rating and an optional free-text question."""
    from yiwang.votes import services

    def make(*, eligible_region=None, eligible_building=None, opens_in=timedelta(hours=-1), closes_in=timedelta(days=7),
             open_it=True, publish_on_close=True, kind="satisfaction", title="2026年社区服务满意度调查"):
        now = timezone.now()
        if eligible_region is None and eligible_building is None:
            eligible_region = tree.community
        ballot = services.create_ballot(
            acting_user=users["community"], region=tree.community, title=title, kind=kind,
            eligible_region=eligible_region, eligible_building=eligible_building,
            opens_at=now + opens_in, closes_at=now + closes_in, publish_on_close=publish_on_close,
            questions=[
                {"text": "最满意的服务", "kind": "single", "options": ["老年食堂", "便民理发", "法律咨询"]},
                {"text": "希望增加的活动", "kind": "multiple", "max_choices": 2, "options": ["广场舞", "书法", "太极", "合唱"]},
                {"text": "总体满意度", "kind": "rating"},
                {"text": "其他建议", "kind": "text", "required": False},
            ])
        if open_it:
            ballot = services.open_ballot(ballot, acting_user=users["community"])
        return ballot

    return make


def answers_for(ballot, *, single="老年食堂", multiple=("广场舞", "书法"), rating=5, text="多组织活动"):
    """A complete set of answers for make_ballot's questions, by label."""
    questions = {q.text: q for q in ballot.questions.prefetch_related("options")}

    def option_id(question, label):
        return next(o.pk for o in question.options.all() if o.label == label)

    q1, q2, q3, q4 = questions["最满意的服务"], questions["希望增加的活动"], questions["总体满意度"], questions["其他建议"]
    return {q1.pk: option_id(q1, single), q2.pk: [option_id(q2, label) for label in multiple], q3.pk: rating, q4.pk: text}
