"""The demo hook on the small test tree: a published project vote per grid of 永先社区 with a
winner each, an open satisfaction survey, a closed honour vote naming grid workers; delete()
removes every row."""

from __future__ import annotations

import random

import pytest

from tests import factories
from yiwang.demo.generator import delete_rows
from yiwang.votes import demo, selectors
from yiwang.votes.models import Answer, Ballot, Option, Question, Vote

pytestmark = pytest.mark.django_db


@pytest.fixture
def residents(tree):
    from yiwang.forces.models import ForceMember

    for region in (tree.micro_a1, tree.micro_a2, tree.micro_b1):
        for _ in range(30):
            factories.person(region)
    for name, grid in (("刘芳", tree.grid_a), ("陈刚", tree.grid_b)):
        ForceMember.objects.create(name=name, role="full_time_worker", region=grid)


def test_build_then_delete(tree, residents):
    summary = demo.build(rng=random.Random("7:votes"), district=tree.district, street=tree.street)
    assert summary.startswith("votes: 4 ballots in 永先社区")

    projects = Ballot.objects.filter(kind="project").order_by("eligible_region__code")
    assert [(b.eligible_region, b.phase()) for b in projects] == [(tree.grid_a, "published"), (tree.grid_b, "published")]
    for ballot in projects:
        result = selectors.results(ballot)[0]
        assert result["answered"] == ballot.votes.count() > 0
        assert len(result["top_option_ids"]) >= 1
        # Voters live in the ballot's grid.
        assert all(path.startswith(ballot.eligible_region.path) for path in ballot.votes.values_list("person__region__path", flat=True))

    survey = Ballot.objects.get(kind="satisfaction")
    assert survey.phase() == "voting" and survey.votes.exists()
    rating = selectors.results(survey)[0]
    assert 1 <= rating["average"] <= 5

    honour = Ballot.objects.get(kind="honour")
    assert honour.phase() == "closed" and not selectors.results_visible(honour, staff=False)
    assert sorted(Option.objects.filter(question__ballot=honour).values_list("label", flat=True)) == ["刘芳", "陈刚"]
    # One vote per person held everywhere.
    assert Vote.objects.values("ballot", "person").distinct().count() == Vote.objects.count()

    demo.delete(tree.district.path, delete_rows)
    for model in (Ballot, Question, Option, Vote, Answer):
        assert not model.objects.exists(), model
