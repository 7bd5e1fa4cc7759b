"""The party tree of one street copy, parallel to its grids (seed article 000):
街道党工委 → 社区党委 → 网格党支部 → 楼栋党小组 → 党员中心户, plus functional branches,
and party members drawn from the residents."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from yiwang.party.models import OrgKind, PartyMember, PartyOrganization

from . import vocab
from .plan import CommunityPlan, GridPlan, StreetCopy
from .population import AS_OF, Resident, StreetResidents

BATCH_SIZE = 4000
FUNCTIONAL_BRANCHES_PER_COMMUNITY = 4  # 14 street topics + 10 × 4 = the article's 54
UNCOVERED_GRIDS = 4  # grids left without a branch, so the coverage view has gaps to show
MEMBER_HOUSEHOLDS_PER_COMMUNITY = 2


@dataclass
class StreetParty:
    organizations: int = 0
    members: int = 0
    uncovered_grids: list[str] = field(default_factory=list)
    community_secretaries: dict[str, Resident] = field(default_factory=dict)  # community code → secretary
    member_pks: set[int] = field(default_factory=set)


def _membership_rate(age: int) -> float:
    # About 3.5% of adults overall, more among the older.
    return 0.0 if age < 18 else 0.025 if age < 30 else 0.035 if age < 60 else 0.05


def _checked(organizations: list[PartyOrganization]) -> list[PartyOrganization]:
    """Model rules (ALLOWED_PARENTS, region inside the parent's region) before writing."""
    for organization in organizations:
        organization.clean()
    return organizations


class PartyBuilder:
    def __init__(self, *, seed: int, copy: StreetCopy, residents: StreetResidents):
        self.copy = copy
        self.residents = residents
        self.rng = random.Random(f"{seed}:party:{copy.index}")

    def _pick(self, candidates: list[Resident], *, low: int = 18, high: int = 120) -> Resident | None:
        fitting = [r for r in candidates if low <= r.age <= high]
        return self.rng.choice(fitting) if fitting else (self.rng.choice(candidates) if candidates else None)

    def build(self) -> StreetParty:
        rng = self.rng
        copy = self.copy
        result = StreetParty()
        members_by_micro: dict[str, list[Resident]] = {}
        for micro in copy.micros:
            chosen = [r for r in self.residents.by_micro.get(micro.region.code, []) if rng.random() < _membership_rate(r.age)]
            members_by_micro[micro.region.code] = chosen
        all_members = [m for ms in members_by_micro.values() for m in ms]

        def members_of(grids: list[GridPlan]) -> list[Resident]:
            return [m for grid in grids for micro in grid.micros for m in members_by_micro[micro.region.code]]

        street_secretary = self._pick(all_members, low=35, high=55)
        street_committee = PartyOrganization(kind=OrgKind.STREET_WORKING_COMMITTEE, name=f"{copy.street.name}党工委", region=copy.street,
                                             secretary_id=street_secretary.pk if street_secretary else None)
        PartyOrganization.objects.bulk_create(_checked([street_committee]))

        committees: list[PartyOrganization] = []
        for community in copy.communities:
            secretary = self._pick(members_of(community.grids), low=35, high=58)
            if secretary:
                result.community_secretaries[community.region.code] = secretary
            committees.append(PartyOrganization(kind=OrgKind.COMMUNITY_COMMITTEE, parent=street_committee, name=f"{community.region.name}党委",
                                                region=community.region, secretary_id=secretary.pk if secretary else None))
        street_functional = [
            PartyOrganization(kind=OrgKind.FUNCTIONAL_BRANCH, parent=street_committee, name=f"{copy.street.name}{topic}党支部", region=copy.street,
                              secretary_id=getattr(self._pick(all_members, low=25, high=65), "pk", None))
            for topic in vocab.STREET_FUNCTIONAL_TOPICS
        ]
        PartyOrganization.objects.bulk_create(_checked(committees + street_functional), batch_size=BATCH_SIZE)

        eligible = [grid for grid in copy.grids if not grid.dedicated_place][2:]  # keep 永先's grids 001/002 covered
        uncovered = {grid.region.code for grid in rng.sample(eligible, UNCOVERED_GRIDS)}
        result.uncovered_grids = sorted(uncovered)
        branches: dict[str, PartyOrganization] = {}
        community_functional: dict[str, list[PartyOrganization]] = {}
        for community, committee in zip(copy.communities, committees, strict=True):
            for grid in community.grids:
                if grid.region.code in uncovered:
                    continue
                secretary = self._pick(members_of([grid]), low=28, high=65)
                branches[grid.region.code] = PartyOrganization(kind=OrgKind.GRID_BRANCH, parent=committee, name=f"{grid.region.name}党支部",
                                                               region=grid.region, secretary_id=secretary.pk if secretary else None)
            topics = rng.sample(vocab.COMMUNITY_FUNCTIONAL_TOPICS, FUNCTIONAL_BRANCHES_PER_COMMUNITY)
            community_functional[community.region.code] = [
                PartyOrganization(kind=OrgKind.FUNCTIONAL_BRANCH, parent=committee, name=f"{community.region.name}{topic}党支部",
                                  region=community.region, secretary_id=getattr(self._pick(members_of(community.grids), low=25, high=65), "pk", None))
                for topic in topics
            ]
        functional = [org for orgs in community_functional.values() for org in orgs]
        PartyOrganization.objects.bulk_create(_checked(list(branches.values()) + functional), batch_size=BATCH_SIZE)

        # Building party groups where a micro-grid has enough members to meet (three or more).
        groups: dict[str, list[tuple[PartyOrganization, list[Resident]]]] = {}
        group_rows: list[PartyOrganization] = []
        for community in copy.communities:
            for grid in community.grids:
                branch = branches.get(grid.region.code)
                if branch is None:
                    continue
                for micro in grid.micros:
                    local = members_by_micro[micro.region.code]
                    if len(local) < 3 or rng.random() > 0.6:
                        continue
                    building, _ = Counter(m.building_name for m in local).most_common(1)[0]
                    leader = rng.choice(local)
                    group = PartyOrganization(kind=OrgKind.BUILDING_GROUP, parent=branch, name=f"{building}党小组", region=micro.region,
                                              secretary_id=leader.pk)
                    group_rows.append(group)
                    groups.setdefault(community.region.code, []).append((group, local))
        PartyOrganization.objects.bulk_create(_checked(group_rows), batch_size=BATCH_SIZE)

        # 党员中心户: a member's home that neighbours drop into, under the building group.
        households: list[PartyOrganization] = []
        for community_groups in groups.values():
            for group, local in rng.sample(community_groups, min(MEMBER_HOUSEHOLDS_PER_COMMUNITY, len(community_groups))):
                host = rng.choice(local)
                households.append(PartyOrganization(kind=OrgKind.MEMBER_HOUSEHOLD, parent=group, name=f"{host.name}党员中心户",
                                                    region=group.region, secretary_id=host.pk))
        PartyOrganization.objects.bulk_create(_checked(households), batch_size=BATCH_SIZE)

        result.members = self._members(copy.communities, committees, branches, community_functional, street_functional, members_by_micro)
        result.member_pks = {m.pk for m in all_members}
        result.organizations = 1 + len(committees) + len(street_functional) + len(branches) + len(functional) + len(group_rows) + len(households)
        return result

    def _members(self, communities: list[CommunityPlan], committees: list[PartyOrganization], branches: dict[str, PartyOrganization],
                 community_functional: dict[str, list[PartyOrganization]], street_functional: list[PartyOrganization],
                 members_by_micro: dict[str, list[Resident]]) -> int:
        rng = self.rng
        rows: list[PartyMember] = []
        for community, committee in zip(communities, committees, strict=True):
            for grid in community.grids:
                for micro in grid.micros:
                    for member in members_by_micro[micro.region.code]:
                        roll = rng.random()
                        if roll < 0.08:
                            organization = rng.choice(community_functional[community.region.code])
                        elif roll < 0.12:
                            organization = rng.choice(street_functional)
                        else:
                            # Members of a grid without a branch stay with the community committee.
                            organization = branches.get(grid.region.code, committee)
                        join_age = rng.randint(18, max(18, min(member.age, 45)))
                        joined = date(AS_OF.year - member.age + join_age, rng.randint(1, 12), rng.randint(1, 28))
                        in_service = 22 <= member.age <= 59 and rng.random() < 0.3
                        rows.append(PartyMember(person_id=member.pk, organization=organization, joined_on=min(joined, AS_OF),
                                                in_service=in_service, work_unit=rng.choice(vocab.WORK_UNITS) if in_service else ""))
        PartyMember.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        return len(rows)
