"""Who may claim a wish (认领): the identities a user may act as (party member, volunteer, alliance
unit) and the areas where each may claim. Reads only: services, selectors and pages all ask here."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from yiwang.regions.models import Level, Region, ancestor_paths

from .models import ClaimantKind


@dataclass(frozen=True)
class Claimant:
    """Who a user may claim as: a party member or volunteer (a person) or an alliance unit, and
    the region paths (communities or wider) where they may claim."""

    kind: str
    person: object = None
    unit: object = None
    areas: tuple[str, ...] = field(default=())

    @property
    def key(self) -> tuple[str, int]:
        return (self.kind, self.unit.pk if self.unit is not None else self.person.pk)

    @property
    def label(self) -> str:
        kind = ClaimantKind(self.kind).label
        return f"{self.unit.name}({kind})" if self.unit is not None else f"{self.person.name}({kind})"

    def may_claim_at(self, region_path: str) -> bool:
        return any(region_path.startswith(area) for area in self.areas)


def _community_or_wider(path: str, level: str) -> str:
    """Wishes come from communities: a grid or micro-grid is widened to its community."""
    if level in (Level.GRID, Level.MICRO_GRID):
        community = Region.objects.filter(path__in=ancestor_paths(path), level=Level.COMMUNITY).values_list("path", flat=True).first()
        return community or path
    return path


def _areas(*regions) -> tuple[str, ...]:
    paths = {_community_or_wider(r.path, r.level) for r in regions if r is not None}
    return tuple(sorted(paths))


def _volunteer_communities(person) -> list:
    """Communities whose volunteer register (yiwang.volunteers, 志愿者登记) holds this person."""
    from yiwang.volunteers.models import Volunteer

    return [v.community for v in Volunteer.objects.filter(person=person, active=True).select_related("community")]


def claimant_identities(user) -> list[Claimant]:
    """Every claimant the logged-in user may act as: party member first, then volunteer, then
    the alliance units they work for."""
    from yiwang.forces.models import ForceMember, ForceRole
    from yiwang.matters.models import Department
    from yiwang.party.models import PartyMember

    if user is None or not user.is_authenticated or not user.is_active:
        return []
    found: list[Claimant] = []
    person = getattr(user, "person", None)
    if person is not None:
        member = PartyMember.objects.filter(person=person).select_related("organization__region").first()
        if member is not None:
            found.append(Claimant(ClaimantKind.PARTY_MEMBER, person=person, areas=_areas(person.region, member.organization.region)))
    volunteers = ForceMember.objects.filter(role=ForceRole.VOLUNTEER, active=True).select_related("region", "person__region")
    volunteer = (volunteers.filter(user=user).first() or (volunteers.filter(person=person).first() if person is not None else None))
    communities = _volunteer_communities(person) if person is not None else []
    if volunteer is not None and (volunteer.person or person) is not None:
        as_person = volunteer.person or person
        found.append(Claimant(ClaimantKind.VOLUNTEER, person=as_person, areas=_areas(as_person.region, volunteer.region, *communities)))
    elif communities:
        found.append(Claimant(ClaimantKind.VOLUNTEER, person=person, areas=_areas(person.region, *communities)))
    for unit in Department.objects.filter(members=user, is_alliance_unit=True, active=True).select_related("region").prefetch_related("areas"):
        found.append(Claimant(ClaimantKind.ALLIANCE_UNIT, unit=unit, areas=_areas(unit.region, *unit.areas.all())))
    return found


def claimant_for(*, person=None, unit=None) -> Claimant:
    """The claimant staff name when they dispatch a wish (社区派单): a party member, a volunteer or
    an alliance unit. Refuses anyone else, naming the field."""
    from yiwang.forces.models import ForceMember, ForceRole
    from yiwang.party.models import PartyMember

    if unit is not None:
        if not unit.is_alliance_unit or not unit.active:
            raise ValidationError({"unit": f"{unit.name}不是在册的共建单位"})
        return Claimant(ClaimantKind.ALLIANCE_UNIT, unit=unit, areas=_areas(unit.region, *unit.areas.all()))
    if person is None:
        raise ValidationError({"claimant": "请选择认领的党员、志愿者或共建单位"})
    member = PartyMember.objects.filter(person=person).select_related("organization__region").first()
    if member is not None:
        return Claimant(ClaimantKind.PARTY_MEMBER, person=person, areas=_areas(person.region, member.organization.region))
    volunteer = ForceMember.objects.filter(role=ForceRole.VOLUNTEER, active=True, person=person).select_related("region").first()
    if volunteer is not None:
        return Claimant(ClaimantKind.VOLUNTEER, person=person, areas=_areas(person.region, volunteer.region))
    communities = _volunteer_communities(person)
    if communities:
        return Claimant(ClaimantKind.VOLUNTEER, person=person, areas=_areas(person.region, *communities))
    raise ValidationError({"person": f"{person.name}不是党员或在册志愿者，不能认领"})
