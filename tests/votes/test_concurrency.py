"""The same resident submitting twice at the same moment, on real connections (two phones, a
double tap): one vote is recorded, the other gets a clear refusal. And different residents voting
at once are all counted."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tests.concurrency import race
from tests.votes.conftest import answers_for
from yiwang.votes import selectors, services
from yiwang.votes.models import Answer, Vote

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_same_person_twice_at_once_one_vote_one_clear_refusal(make_ballot, people):
    ballot = make_ballot()
    first, second = answers_for(ballot, single="老年食堂"), answers_for(ballot, single="法律咨询")
    who = people.zhang
    results = race([
        lambda: services.cast_vote(ballot=ballot.pk, person=who.person, answers=first, acting_user=who.user),
        lambda: services.cast_vote(ballot=ballot.pk, person=who.person, answers=second, acting_user=who.user),
    ])
    recorded = [r for r in results if isinstance(r, services.CastOutcome)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(recorded) == 1 and len(refused) == 1, results
    assert refused[0].message_dict == {"person": ["您已参加过本次投票，每人限投一次"]}
    assert Vote.objects.filter(ballot=ballot, person=who.person).count() == 1
    # Only the winner's answers exist: one single-choice answer, not two.
    single = ballot.questions.get(position=1)
    assert Answer.objects.filter(question=single).count() == 1
    assert sum(o["count"] for o in selectors.results(ballot)[0]["options"]) == 1


def test_different_people_at_once_are_all_counted(make_ballot, people):
    ballot = make_ballot()
    voters = [people.zhang, people.li, people.wang, people.zhao]
    results = race([
        (lambda who=who: services.cast_vote(ballot=ballot.pk, person=who.person, answers=answers_for(ballot), acting_user=who.user))
        for who in voters
    ])
    assert all(isinstance(r, services.CastOutcome) for r in results), results
    assert selectors.results(ballot)[0]["options"][0]["count"] == 4
