"""The demo's service applications: a small share of its history, of many items, in several states."""

from __future__ import annotations

import pytest
from django.utils import timezone

from yiwang.cases.models import OPEN_STATUSES, Case
from yiwang.demo.history import EXTERNAL_SOURCE, SERVICE_SHARE, build_history
from yiwang.matters.models import MatterKind

pytestmark = pytest.mark.django_db


def test_the_history_has_applications_of_several_items_in_different_states(tree):
    build_history(cases=4000, root=tree.district, years=1, seed=7, now=timezone.now())
    cases = Case.objects.filter(external_source=EXTERNAL_SOURCE)
    applications = cases.filter(matter__kind=MatterKind.SERVICE)
    share = applications.count() / cases.count()
    assert SERVICE_SHARE / 2 < share < SERVICE_SHARE * 2, share
    assert applications.values("matter").distinct().count() >= 10
    statuses = set(applications.values_list("status", flat=True))
    assert statuses & set(OPEN_STATUSES) and statuses - set(OPEN_STATUSES), statuses
