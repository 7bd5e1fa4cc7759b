"""Fixtures for dual check-in: an in-service member of 永先社区 with their own resident login, the
community's posts, and a way to make tasks."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.volunteers.factories import in_service_member


@pytest.fixture
def staff(users):
    return users["community"]


@pytest.fixture
def member(tree):
    """An in-service party member who lives in micro-grid A1 of 永先社区."""
    return in_service_member(tree.micro_a1)


@pytest.fixture
def member_user(member, make_user):
    return make_user("dangyuan", "resident", None, person=member.person)


@pytest.fixture
def posts(tree, staff):
    from yiwang.volunteers import services

    return [services.create_post(acting_user=staff, region=tree.community, title="政策宣传员", kind="policy", capacity=2),
            services.create_post(acting_user=staff, region=tree.community, title="楼栋巡查员", kind="safety", capacity=10)]


@pytest.fixture
def make_task(tree, staff):
    from yiwang.volunteers import services

    def make(*, places=3, hours="2.0", days=3, region=None, **extra):
        starts = timezone.now() + timedelta(days=days)
        return services.post_task(acting_user=staff, region=region or tree.community, title=extra.pop("title", "清扫楼道"),
                                  starts_at=starts, ends_at=starts + timedelta(hours=2), places=places, hours=Decimal(hours), **extra)

    return make


@pytest.fixture
def confirmed(member, member_user, staff, posts):
    """The member's registration for this year, confirmed by the community."""
    from yiwang.volunteers import services

    registration = services.register_member(member=member, acting_user=member_user, posts=[posts[0]])
    return services.confirm_registration(registration, acting_user=staff)
