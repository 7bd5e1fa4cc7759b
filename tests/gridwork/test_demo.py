"""The grid-work demo on the small test tree (its community carries 永先's demo code): plans from the
street and the community, patrols in every grid, care visits with some persons overdue in each of
the two grid workers' grids, cases opened through the intake; the delete leaves nothing behind."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from tests import factories
from yiwang.cases.models import Case
from yiwang.demo.generator import delete_rows
from yiwang.gridwork import demo, selectors
from yiwang.gridwork.models import CarePlan, Finding, HomeVisit, PatrolLog
from yiwang.registry.models import PersonTag

pytestmark = pytest.mark.django_db


def test_build_and_delete(tree, make_user):
    workers = {g.pk: make_user(name, "grid_worker", g) for name, g in (("gridworker1", tree.grid_a), ("gridworker2", tree.grid_b))}
    make_user("street", "street", tree.street)
    make_user("community", "community", tree.community)
    for region in (tree.micro_a1, tree.micro_a2, tree.micro_b1) * 6:
        PersonTag.objects.create(person=factories.person(region), tag=random.Random(region.pk).choice(["elderly_alone", "disabled"]))
    summary = demo.build(rng=random.Random(1), district=tree.district, street=tree.street)
    assert summary.startswith("gridwork: ") and "cases opened" in summary
    assert CarePlan.objects.filter(region=tree.street).count() == len(demo.STREET_PLANS)
    assert CarePlan.objects.filter(region=tree.community).count() == len(demo.YONGXIAN_PLANS)
    rows = selectors.care_rows(region_path=tree.street.path)
    assert len(rows) == 18
    late = selectors.overdue(rows)
    for grid_id in workers:
        assert sum(1 for r in late if r.grid.pk == grid_id) >= 1
        assert PatrolLog.objects.filter(region_id=grid_id, worker=workers[grid_id]).count() >= 9
    work = selectors.work_by_worker(region_path=tree.street.path, since=min(PatrolLog.objects.values_list("at", flat=True)),
                                    until=max(PatrolLog.objects.values_list("at", flat=True)) + timedelta(seconds=1))
    assert all(work[w.pk]["cases_opened"] == len(demo.CASE_FINDINGS) for w in workers.values())
    opened = Finding.objects.filter(case__isnull=False)
    assert opened.count() == 2 * len(demo.CASE_FINDINGS)

    demo.delete(tree.district.path, delete_rows)
    assert not (PatrolLog.objects.exists() or HomeVisit.objects.exists() or Finding.objects.exists() or CarePlan.objects.exists())
    assert not HomeVisit.persons.through.objects.exists()
    assert not Case.objects.filter(gridwork_findings__isnull=False).exists()
