"""An alliance of 云枫街道 with three member units: the gas company (a catalogue department marked as
an alliance unit, with the `department` login on its staff), the power company (another catalogue
unit) and a hospital known only by name; plus an open need of grid A and two resources."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest


@dataclass
class Setup:
    alliance: object
    gas: object
    power: object
    hospital: object
    gas_department: object
    need: object
    hall: object
    doctors: object


@pytest.fixture
def departments(tree, users):
    from yiwang.matters.models import Department

    gas = Department.objects.create(code="T-RQ", name="燃气公司", kind="utility", region=tree.district, is_alliance_unit=True)
    power = Department.objects.create(code="T-GD", name="供电公司", kind="utility", region=tree.district, is_alliance_unit=True)
    bureau = Department.objects.create(code="T-CG", name="城管执法局", kind="urban_management", region=tree.district)
    gas.members.add(users["department"])
    return {"gas": gas, "power": power, "bureau": bureau}


@pytest.fixture
def setup(tree, users, departments) -> Setup:
    from yiwang.alliance import services

    street = users["street"]
    alliance = services.create_alliance(acting_user=street, name="云枫街道党建联盟", region=tree.street,
                                        founded_on=date.today() - timedelta(days=500))
    joined = date.today() - timedelta(days=400)
    gas = services.add_member(alliance, acting_user=street, department=departments["gas"], joined_on=joined)
    power = services.add_member(alliance, acting_user=street, department=departments["power"], joined_on=joined)
    hospital = services.add_member(alliance, acting_user=street, name="区人民医院", party_organization_name="区人民医院党委", joined_on=joined)
    need = services.raise_need(alliance, acting_user=users["worker_a"], region=tree.grid_a, title="独居老人燃气安全",
                               description="网格内独居老人希望有人上门检查燃气灶具", category="elderly", residents_affected=40)
    hall = services.offer_resource(alliance, acting_user=street, unit=power, kind="venue", description="供电所党员活动室", capacity="每月4次")
    doctors = services.offer_resource(alliance, acting_user=street, unit=hospital, kind="expertise", description="义诊医生", capacity="每季度1次,5人")
    return Setup(alliance, gas, power, hospital, departments["gas"], need, hall, doctors)
