"""Grid forces of one street copy ("1+3+N"): grid chiefs, full- and part-time grid workers,
grid instructors and the N forces, their grid assignments and this week's duty roster."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from yiwang.forces.models import Assignment, DutyShift, ForceMember, ForceRole
from yiwang.regions.models import Region

from . import vocab
from .identity import NameMaker, random_phone
from .party_tree import StreetParty
from .places import StreetPlaces
from .plan import CommunityPlan, GridPlan, StreetCopy
from .population import Resident, StreetResidents

BATCH_SIZE = 4000
# 云枫街道 in the seed article: 59 grid instructors and 263 full- and part-time grid workers.
INSTRUCTORS_PER_STREET = 59
GRID_WORKERS_PER_STREET = 263
GRIDS_PER_CHIEF = 3
ASSIGNED_SINCE = date(2025, 1, 1)
SECRETARY_DUTY_WEEKDAYS = (1, 3)  # Tuesday and Thursday: the secretary is on duty twice a week


@dataclass
class StreetForces:
    members: int = 0
    assignments: int = 0
    shifts: int = 0
    full_time_by_grid: dict[str, ForceMember] = field(default_factory=dict)


def _apportion(total: int, weights: list[int]) -> list[int]:
    """Largest-remainder split of `total` in proportion to `weights`."""
    exact = [total * w / sum(weights) for w in weights]
    counts = [math.floor(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def current_week_start() -> date:
    today = timezone.localdate()
    return today - timedelta(days=today.weekday())


class ForcesBuilder:
    def __init__(self, *, seed: int, copy: StreetCopy, residents: StreetResidents, party: StreetParty, places: StreetPlaces, week_start: date):
        self.copy = copy
        self.residents = residents
        self.party = party
        self.places = places
        self.week_start = week_start
        self.rng = random.Random(f"{seed}:forces:{copy.index}")
        self.names = NameMaker(self.rng)
        self.used: set[int] = set()
        self.members: list[ForceMember] = []
        self.assignments: list[tuple[ForceMember, GridPlan, str]] = []
        # Instructors are street cadres and may live anywhere in the street.
        self.street_residents = [r for rs in residents.by_micro.values() for r in rs]

    def _residents_of(self, grids: list[GridPlan]) -> list[Resident]:
        return [r for grid in grids for micro in grid.micros for r in self.residents.by_micro.get(micro.region.code, [])]

    def _resident(self, grids: list[GridPlan], *, low: int, high: int, pool: list[Resident] | None = None) -> Resident | None:
        """A resident of these grids aged low-high and not already on the force, if any."""
        pool = pool if pool is not None else self._residents_of(grids)
        if not pool:
            return None
        # Random probes find one quickly in a big pool; the full scan settles the rare misses.
        for _ in range(64):
            probe = pool[self.rng.randrange(len(pool))]
            if low <= probe.age <= high and probe.pk not in self.used:
                self.used.add(probe.pk)
                return probe
        candidates = [r for r in pool if low <= r.age <= high and r.pk not in self.used]
        if not candidates:
            return None
        chosen = self.rng.choice(candidates)
        self.used.add(chosen.pk)
        return chosen

    def _member(self, *, role: str, region: Region, unit: str, resident: Resident | None = None) -> ForceMember:
        name = resident.name if resident else self.names.full(male=self.rng.random() < 0.6)
        member = ForceMember(name=name, role=role, region=region, unit=unit, person_id=resident.pk if resident else None)
        member.set_phone((resident.phone if resident else "") or random_phone(self.rng))
        self.members.append(member)
        return member

    def _assign(self, member: ForceMember, grids: list[GridPlan]) -> None:
        for grid in grids:
            self.assignments.append((member, grid, member.role))

    def build(self) -> StreetForces:
        rng = self.rng
        copy = self.copy
        street_short = copy.street.name.removesuffix("街道")
        result = StreetForces()
        staff_by_community: dict[str, list[ForceMember]] = {}
        secretary_by_community: dict[str, ForceMember] = {}

        part_time_counts = _apportion(GRID_WORKERS_PER_STREET - len(copy.grids), [1] * len(copy.grids))
        rng.shuffle(part_time_counts)
        part_time_by_grid = dict(zip((g.region.code for g in copy.grids), part_time_counts, strict=True))
        instructor_counts = _apportion(INSTRUCTORS_PER_STREET, [len(c.grids) for c in copy.communities])

        for community, instructor_count in zip(copy.communities, instructor_counts, strict=True):
            committee_unit = f"{community.region.name}居民委员会"
            staff: list[ForceMember] = staff_by_community.setdefault(community.region.code, [])
            # Grid chiefs: the community secretary and committee members, three grids each.
            chief_count = math.ceil(len(community.grids) / GRIDS_PER_CHIEF)
            for chief_index in range(chief_count):
                if chief_index == 0 and community.region.code in self.party.community_secretaries:
                    resident = self.party.community_secretaries[community.region.code]
                    self.used.add(resident.pk)
                else:
                    resident = self._resident(community.grids, low=30, high=58)
                chief = self._member(role=ForceRole.GRID_CHIEF, region=community.region, unit=committee_unit, resident=resident)
                if chief_index == 0:
                    secretary_by_community[community.region.code] = chief
                self._assign(chief, community.grids[chief_index * GRIDS_PER_CHIEF:(chief_index + 1) * GRIDS_PER_CHIEF])
                staff.append(chief)
            for grid in community.grids:
                worker = self._member(role=ForceRole.FULL_TIME_WORKER, region=community.region, unit=committee_unit,
                                      resident=self._resident([grid], low=23, high=50) or self._resident(community.grids, low=23, high=50))
                self._assign(worker, [grid])
                result.full_time_by_grid[grid.region.code] = worker
                staff.append(worker)
                for _ in range(part_time_by_grid[grid.region.code]):
                    helper = self._member(role=ForceRole.PART_TIME_WORKER, region=community.region, unit=committee_unit,
                                          resident=self._resident([grid], low=25, high=65))
                    self._assign(helper, [grid])
                # N: a volunteer living in the grid.
                volunteer = self._member(role=ForceRole.VOLUNTEER, region=community.region, unit=f"{copy.street.name}志愿服务队",
                                         resident=self._resident([grid], low=18, high=72))
                self._assign(volunteer, [grid])
            self._instructors(community, instructor_count)
            self._n_forces(community, street_short)

        for company, micro in self.places.property_companies:
            grid = next(g for g in copy.grids if micro in g.micros)
            community = next(c for c in copy.communities if grid in c.grids)
            for _ in range(rng.randint(1, 2)):
                staff_member = self._member(role=ForceRole.PROPERTY_STAFF, region=community.region, unit=company.name)
                self._assign(staff_member, [grid])

        ForceMember.objects.bulk_create(self.members, batch_size=BATCH_SIZE)
        assignment_rows = [
            Assignment(member=member, grid=grid.region, role=role, starts_on=ASSIGNED_SINCE + timedelta(days=rng.randrange(330)))
            for member, grid, role in self.assignments
        ]
        Assignment.objects.bulk_create(assignment_rows, batch_size=BATCH_SIZE)
        shifts = self._roster(secretary_by_community, staff_by_community)
        DutyShift.objects.bulk_create(shifts, batch_size=BATCH_SIZE)
        result.members, result.assignments, result.shifts = len(self.members), len(assignment_rows), len(shifts)
        return result

    def _instructors(self, community: CommunityPlan, count: int) -> None:
        """Street cadres (网格指导员), each guiding a run of neighbouring grids."""
        grids = community.grids
        for index in range(count):
            start, end = index * len(grids) // count, (index + 1) * len(grids) // count
            office = self.rng.choice(vocab.STREET_OFFICES)
            instructor = self._member(role=ForceRole.INSTRUCTOR, region=community.region, unit=f"{self.copy.street.name}{office}",
                                      resident=self._resident([], low=28, high=55, pool=self.street_residents))
            self._assign(instructor, grids[start:end])

    def _n_forces(self, community: CommunityPlan, street_short: str) -> None:
        rng = self.rng
        grids = community.grids
        police = self._member(role=ForceRole.POLICE, region=community.region, unit=f"开州区公安局{street_short}派出所")
        self._assign(police, grids)
        enforcement = self._member(role=ForceRole.ENFORCEMENT, region=community.region, unit="开州区城市管理综合执法支队")
        self._assign(enforcement, grids)
        for start in range(0, len(grids), 2):
            sweeper = self._member(role=ForceRole.SANITATION, region=community.region, unit="开州区环境卫生管理所")
            self._assign(sweeper, grids[start:start + 2])
        rider = self._member(role=ForceRole.DELIVERY_RIDER, region=community.region, unit="开州区快递外卖骑手联合会")
        self._assign(rider, rng.sample(grids, min(3, len(grids))))

    def _roster(self, secretaries: dict[str, ForceMember], staff_by_community: dict[str, list[ForceMember]]) -> list[DutyShift]:
        """This week's roster per community: a day shift every day (the secretary's on Tuesday
        and Thursday) and a night on-call shift, rotating through the community staff."""
        zone = timezone.get_current_timezone()
        shifts: list[DutyShift] = []
        for community in self.copy.communities:
            code = community.region.code
            secretary = secretaries[code]
            rota = [m for m in staff_by_community[code] if m is not secretary]
            self.rng.shuffle(rota)
            for day in range(7):
                on = self.week_start + timedelta(days=day)
                day_start = datetime.combine(on, time(8, 30), zone)
                day_end = datetime.combine(on, time(17, 30), zone)
                if day in SECRETARY_DUTY_WEEKDAYS:
                    shifts.append(DutyShift(region=community.region, member=secretary, starts_at=day_start, ends_at=day_end, note="书记值班"))
                else:
                    shifts.append(DutyShift(region=community.region, member=rota[(2 * day) % len(rota)], starts_at=day_start, ends_at=day_end, note="日间值班"))
                shifts.append(DutyShift(region=community.region, member=rota[(2 * day + 1) % len(rota)], starts_at=day_end,
                                        ends_at=datetime.combine(on + timedelta(days=1), time(8, 30), zone), note="夜间值守"))
        return shifts
