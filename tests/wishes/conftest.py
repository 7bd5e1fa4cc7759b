"""Wish fixtures: in 永先社区 a resident with an account who wishes, a neighbour without one, a
party member and a volunteer with accounts, an alliance unit with a member account; and a party
member living in another street."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest

from tests import factories


@dataclass
class Cast:
    wisher: object  # registry.Person with an account
    wisher_user: object
    neighbour: object  # registry.Person without an account
    member: object  # registry.Person, party member
    member_user: object
    volunteer: object  # registry.Person, volunteer
    volunteer_user: object
    unit: object  # matters.Department, alliance unit
    unit_user: object
    far_member_user: object  # a party member of 汉丰街道


def png_bytes(colour=(200, 40, 40)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def png_upload(name: str = "done.png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


@pytest.fixture
def cast(tree, make_user) -> Cast:
    from yiwang.forces.models import ForceMember
    from yiwang.matters.models import Department
    from yiwang.party.models import PartyMember, PartyOrganization

    wisher = factories.person(tree.micro_a1)
    wisher.name, wisher.address = "王秀英", "永先社区滨湖路8号2-1"
    wisher.save()
    neighbour = factories.person(tree.micro_b1)
    neighbour.name = "赵桂兰"
    neighbour.save()
    branch = PartyOrganization.objects.create(region=tree.grid_b, kind="grid_branch", name="永先社区第2网格党支部")
    member = factories.person(tree.micro_b1)
    member.name = "李建国"
    member.save()
    PartyMember.objects.create(person=member, organization=branch, in_service=True)
    volunteer = factories.person(tree.micro_a2)
    volunteer.name = "陈晓东"
    volunteer.save()
    ForceMember.objects.create(name=volunteer.name, role="volunteer", region=tree.community, person=volunteer)
    unit = Department.objects.create(code="ALLY01", name="开州区供电公司", kind="alliance", region=tree.district, is_alliance_unit=True)
    unit_user = make_user("ally", "department", tree.district, unit="开州区供电公司")
    unit.members.add(unit_user)
    far_branch = PartyOrganization.objects.create(region=tree.other_street, kind="branch", name="汉丰街道机关党支部")
    far = factories.person(tree.other_street)
    PartyMember.objects.create(person=far, organization=far_branch)
    return Cast(
        wisher=wisher, wisher_user=make_user("wisher", "resident", None, person=wisher), neighbour=neighbour,
        member=member, member_user=make_user("member", "resident", None, person=member),
        volunteer=volunteer, volunteer_user=make_user("volunteer", "resident", None, person=volunteer),
        unit=unit, unit_user=unit_user, far_member_user=make_user("far_member", "resident", None, person=far),
    )


@pytest.fixture
def posted(cast):
    """A wish the resident posted, waiting for review."""
    from yiwang.wishes import services

    return services.post_wish(acting_user=cast.wisher_user, title="想请人帮忙修一下老收音机", content="家里的收音机坏了，想听戏")


@pytest.fixture
def published(posted, users):
    from yiwang.wishes import services

    return services.approve_wish(posted, acting_user=users["community"])
