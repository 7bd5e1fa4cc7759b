"""One factory per scoped model: each makes a row that belongs to the given grid or micro-grid.

tests/test_scope.py fails when a scoped model has no factory here, so a new model cannot ship
without its scope being tested."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from django.utils import timezone

_seq = itertools.count(1)


def _n() -> int:
    return next(_seq)


def valid_id_number(seventeen: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(seventeen, weights))
    return seventeen + "10X98765432"[total % 11]


def region(region):
    from yiwang.regions.models import Level, Region

    return Region.objects.create(parent=region, level=Level.MICRO_GRID, code=f"{region.code}{_n() % 90 + 10:02d}", name=f"测试微网格{_n()}")


def building(region):
    from yiwang.registry.models import Building

    return Building.objects.create(region=region, code=f"B{_n():06d}", name=f"{_n()}栋")


def buildingunit(region):
    from yiwang.registry.models import BuildingUnit

    return BuildingUnit.objects.create(building=building(region), number=str(_n()))


def house(region):
    from yiwang.registry.models import House

    b = building(region)
    return House.objects.create(region=region, building=b, number=f"{_n()}")


def household(region):
    from yiwang.registry.models import Household

    return Household.objects.create(region=region, number=f"H{_n():08d}", house=house(region))


def person(region):
    from yiwang.registry.models import Person

    n = _n()
    p = Person(region=region, name=f"居民{n}", gender="M", birth_date=date(1980, 1, 1))
    p.set_id_number(valid_id_number(f"50015419800101{n % 1000:03d}"))
    p.set_phone(f"138{n:08d}")
    p.save()
    return p


def persontag(region):
    from yiwang.registry.models import PersonTag

    return PersonTag.objects.create(person=person(region), tag="elderly_alone")


def place(region):
    from yiwang.registry.models import Place

    return Place.objects.create(region=region, name=f"商户{_n()}", kind="shop")


def component(region):
    from yiwang.registry.models import Component, ComponentType

    return Component.objects.create(region=region, type=ComponentType.objects.get(code="01054"), code=f"C{_n():08d}", lon=108.3, lat=31.1)


def partyorganization(region):
    from yiwang.party.models import PartyOrganization

    return PartyOrganization.objects.create(region=region, kind="grid_branch", name=f"{region.name}党支部{_n()}")


def partymember(region):
    from yiwang.party.models import PartyMember

    return PartyMember.objects.create(person=person(region), organization=partyorganization(region))


def forcemember(region):
    from yiwang.forces.models import ForceMember

    return ForceMember.objects.create(region=region, name=f"网格员{_n()}", role="full_time_worker")


def assignment(region):
    from yiwang.forces.models import Assignment

    return Assignment.objects.create(member=forcemember(region), grid=region, role="full_time_worker", starts_on=date.today() - timedelta(days=30))


def dutyshift(region):
    from yiwang.forces.models import DutyShift

    now = timezone.now()
    return DutyShift.objects.create(region=region, member=forcemember(region), starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=3))


def department(region):
    from yiwang.matters.models import Department

    return Department.objects.create(code=f"D{_n():05d}", name=f"部门{_n()}", kind="urban_management", region=region)


def personaccessgrant(region):
    """A grant for one person registered in `region`, running for a week."""
    from yiwang.registry.models import PersonAccessGrant

    return PersonAccessGrant.objects.create(department=department(region), person=person(region), region=region, reason="测试授权",
                                            expires_at=timezone.now() + timedelta(days=7))


def case(region):
    """A case at `region` straight in the table (the services are tested in tests/cases)."""
    from yiwang.cases.models import Case
    from yiwang.matters.models import MatterType
    from yiwang.matters.services import current_version

    matter = MatterType.objects.get(kind="community", code="S0001")
    now = timezone.now()
    n = _n()
    return Case.objects.create(number=f"T{n:08d}", channel="desk", matter=matter, matter_version=current_version(matter),
                               board=matter.board, tier="A", level="grid", region=region, handling_region=region, reported_at=now,
                               description=f"测试事件{n}")


def caserollup(region):
    from yiwang.cases.models import CaseRollup

    return CaseRollup.objects.create(region=region, grain="d", period=timezone.localdate(), board="livelihood", cases=1, department_key=_n())


def opencaserollup(region):
    from yiwang.cases.models import OpenCaseRollup

    return OpenCaseRollup.objects.create(region=region, board="livelihood", reported_on=timezone.localdate(), due_on=timezone.localdate(),
                                         open_cases=1, department_key=_n())


def caseevent(region):
    from yiwang.cases.models import CaseEvent

    return CaseEvent.objects.create(case=case(region), at=timezone.now(), action="report", to_status="reported")


def casephoto(region):
    from yiwang.cases.models import CasePhoto

    return CasePhoto.objects.create(case=case(region), kind="report", image="cases/test.png", content_type="image/png", size=1)


def casepublication(region):
    from yiwang.cases.models import CasePublication

    return CasePublication.objects.create(case=case(region), source="reporter", created_at=timezone.now())


def publicationchange(region):
    from yiwang.cases.models import PublicationChange

    return PublicationChange.objects.create(publication=casepublication(region), at=timezone.now(), action="release")


def reporterban(region):
    from yiwang.cases.models import ReporterBan

    return ReporterBan.objects.create(phone_digest=f"d{_n()}", region=region, reason="测试", banned_at=timezone.now())


def routingdecision(region):
    from yiwang.cases.models import RoutingDecision

    c = case(region)
    return RoutingDecision.objects.create(case=c, at=timezone.now(), matter_version=c.matter_version, tier="A", level="grid", region=region)


def extensionrequest(region):
    from yiwang.cases.models import ExtensionRequest

    return ExtensionRequest.objects.create(case=case(region), requested_at=timezone.now(), amount="1d", reason="测试")


def summons(region):
    from yiwang.cases.models import Summons

    return Summons.objects.create(case=case(region), region=region, reason="测试哨令", created_at=timezone.now())


def summonspart(region):
    from yiwang.cases.models import SummonsPart

    return SummonsPart.objects.create(summons=summons(region), department=department(region), task="到场", checkin_due_at=timezone.now())


def supervisionorder(region):
    from yiwang.cases.models import SupervisionOrder

    c, now = case(region), timezone.now()
    return SupervisionOrder.objects.create(case=c, region=c.region, unit_level=c.level, unit_region=c.handling_region, text="测试督办",
                                           issued_at=now, limit="3d", warn_at=now + timedelta(days=2), due_at=now + timedelta(days=3))


def supervisionstep(region):
    from yiwang.cases.models import SupervisionStep

    return SupervisionStep.objects.create(order=supervisionorder(region), action="issue", to_status="open", at=timezone.now())


def device(region):
    from yiwang.cases.models import Device, DeviceSource
    from yiwang.matters.models import MatterType

    source, _ = DeviceSource.objects.get_or_create(name="test-iot", defaults={"secret_sealed": ""})
    return Device.objects.create(source=source, code=f"DEV{_n()}", name="烟感", matter=MatterType.objects.get(kind="community", code="S0005"),
                                 region=region, lon=108.3, lat=31.1)


def devicealert(region):
    from yiwang.cases.models import DeviceAlert

    return DeviceAlert.objects.create(device=device(region), received_at=timezone.now(), case=case(region))


def pointentry(region):
    from yiwang.accounts.models import User
    from yiwang.points.models import PointEntry

    worker = User.objects.create_user(username=f"pw{_n()}", role="grid_worker", scope_region=region)
    return PointEntry.objects.create(worker=worker, region=region, case=case(region), event="reported", points=1, at=timezone.now())


def webhookendpoint(region):
    from yiwang.notify.models import WebhookEndpoint

    return WebhookEndpoint.objects.create(name=f"机器人{_n()}", url="http://127.0.0.1:9/robot", region=region)


# Apps that keep their factories beside their tests, in tests/<app label>/factories.py.
APP_FACTORY_APPS = ("duties", "links", "ab_roles", "activities", "gridwork", "campaigns", "wishes", "volunteers", "pointsbank",
                    "deliberation", "votes", "alliance", "assessment", "command", "analysis", "reviews", "advisor")


def for_model(model):
    """The factory for `model`: its own app's module first (two apps may both have, say, a
    Registration), then the shared ones here."""
    import importlib

    label = model._meta.app_label
    if label in APP_FACTORY_APPS:
        return getattr(importlib.import_module(f"tests.{label}.factories"), model._meta.model_name, None)
    return globals().get(model._meta.model_name)
