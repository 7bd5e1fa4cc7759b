"""Factories for this app's scoped models: `def <model_name>(region)` makes one row inside `region`
(a micro-grid or grid). tests/factories.py finds them by model name."""

from __future__ import annotations

import itertools

from django.utils import timezone

_seq = itertools.count(1)


def _grid_worker(region):
    from yiwang.accounts.models import User

    return User.objects.create_user(username=f"assess_worker_{next(_seq)}", password="x", role="grid_worker", scope_region=region)


def managedarea(region):
    from yiwang.assessment.models import ManagedArea
    from yiwang.registry.models import Place, PlaceKind

    company = Place.objects.create(region=region, name=f"物业公司{next(_seq)}", kind=PlaceKind.PROPERTY_COMPANY)
    return ManagedArea.objects.create(company=company, region=region, households=100)


def workerreview(region):
    from yiwang.assessment.models import WorkerReview

    return WorkerReview.objects.create(worker=_grid_worker(region), region=region, year=2026, score=10, grade="good",
                                       computation={}, reviewed_at=timezone.now())


def honourround(region):
    from yiwang.assessment.models import HonourRound

    return HonourRound.objects.create(kind="grid_worker", title=f"评优{next(_seq)}", region=region, year=2000 + next(_seq) % 50, places=1)


def nomination(region):
    from yiwang.assessment.models import Nomination

    return Nomination.objects.create(round=honourround(region), name=f"候选人{next(_seq)}", source="manual", reason="推荐")
