"""Factories for A/B roles: `def <model_name>(region)` makes one row inside `region`."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone


def desk(region):
    from yiwang.ab_roles.models import Desk

    return Desk.objects.create(kind="unit", region=region)


def leave(region):
    from yiwang.ab_roles.models import Leave
    from yiwang.accounts.models import User

    user = User.objects.create_user(username=f"leave-{region.code}-{User.objects.count()}", role="grid_worker", scope_region=region)
    now = timezone.now()
    return Leave.objects.create(user=user, region=region, starts_at=now, ends_at=now + timedelta(days=1), reason="病假", recorded_at=now)
