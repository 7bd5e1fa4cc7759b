"""Factories for this app's scoped models: `def <model_name>(region)` makes one row inside `region`
(a micro-grid or grid). tests/factories.py finds them by model name."""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

_seq = itertools.count(1)


def _community(region):
    from yiwang.regions.selectors import community_of

    return community_of(region)


def in_service_member(region):
    """An in-service party member living in `region`."""
    from tests import factories
    from yiwang.party.models import PartyMember

    return PartyMember.objects.create(person=factories.person(region), organization=factories.partyorganization(region),
                                      in_service=True, work_unit="开州区税务局")


def servicepost(region):
    from yiwang.volunteers.models import ServicePost

    return ServicePost.objects.create(region=region, community=_community(region), title=f"政策宣传岗{next(_seq)}", kind="policy", capacity=5)


def registration(region, *, status="confirmed", member=None):
    from yiwang.volunteers.models import Registration

    member = member or in_service_member(region)
    now = timezone.now()
    return Registration.objects.create(member=member, person=member.person, region=member.person.region, community=_community(region),
                                       organization=member.organization, work_unit=member.work_unit, year=timezone.localtime(now).year,
                                       status=status, registered_at=now)


def volunteer(region):
    from tests import factories
    from yiwang.volunteers.models import Volunteer

    return Volunteer.objects.create(person=factories.person(region), region=region, community=_community(region), registered_at=timezone.now())


def servicetask(region, *, days=3, places=5, hours=Decimal("2.0")):
    from yiwang.volunteers.models import ServiceTask

    starts = timezone.now() + timedelta(days=days)
    return ServiceTask.objects.create(region=region, community=_community(region), title=f"清扫楼道{next(_seq)}", starts_at=starts,
                                      ends_at=starts + timedelta(hours=2), places=places, hours=hours)


def taskclaim(region):
    from yiwang.volunteers.models import TaskClaim

    person_volunteer = volunteer(region)
    return TaskClaim.objects.create(task=servicetask(region), person=person_volunteer.person, role="volunteer", volunteer=person_volunteer,
                                    claimed_at=timezone.now())


def evaluation(region):
    from yiwang.volunteers.models import Evaluation

    reg = registration(region)
    return Evaluation.objects.create(registration=reg, organization=reg.organization, year=reg.year, grade="competent", comment="服务认真",
                                     tasks=0, hours=Decimal("0.0"), points=0, stars=0, issued_at=timezone.now())
