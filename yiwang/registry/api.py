
from django.db.models import Q
from datetime import datetime

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils.translation import gettext
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from yiwang.accounts.addresses import client_address
from yiwang.api.common import acting_user, get_scoped, scoped
from yiwang.regions.selectors import under_region
from yiwang.regions.basemap import parse_bbox
from yiwang.api.params import Id, Moment, Page
from yiwang.api.fields import RegionCode
from yiwang.core.scope import Action

from . import access, groups, selectors, services
from .models import Building, Component, House, Household, Person, PersonAccessGrant, Place

router = Router(tags=["registry"])


class RegionRef(Schema):
    region_code: RegionCode
    region_name: str

    @staticmethod
    def resolve_region_name(obj):
        return obj.region.name


class PersonOut(RegionRef):
    id: int
    name: str
    gender: str
    # The year only: the full date is the masked middle of the ID number.
    birth_year: int | None
    residence_type: str
    id_number_masked: str
    phone_masked: str
    household_number: str | None
    is_household_head: bool
    tags: list[str]
    address: str

    @staticmethod
    def resolve_birth_year(obj):
        return obj.birth_date.year if obj.birth_date else None

    @staticmethod
    def resolve_household_number(obj):
        return obj.household.number if obj.household_id else None

    @staticmethod
    def resolve_tags(obj):
        return [t.tag for t in obj.tags.all()]


class PersonFilter(Schema):
    region: str | None = None
    tag: str | None = None
    q: str | None = None


class GroupOut(Schema):
    code: str
    name: str
    standard_class: str
    sensitive: bool
    code_source: str


@router.get("/groups", response=list[GroupOut])
def list_groups(request):
    """The person groups (GB/T 31000-2015's classes and our local X classes): reference data, no persons."""
    return list(groups.all_groups())


@router.get("/persons", response=list[PersonOut])
@paginate(Page)
def list_persons(request, filters: Query[PersonFilter]):
    user = acting_user(request)
    if filters.tag:
        # A group by its code, its name or its key from before GB/T 31000: the same rules and logs for each.
        filters.tag = groups.spelled(filters.tag) or filters.tag
    access.check_tag_filter(user, filters.tag)
    access.log_person_list(user=user, tag=filters.tag, channel="api", filters=filters.dict(), remote_addr=client_address(request))
    qs = scoped(request, Person).select_related("region", "household").prefetch_related("tags")
    qs = under_region(qs, filters.region)
    if filters.tag:
        qs = qs.filter(tags__tag=filters.tag)
    if filters.q:
        qs = qs.filter(name__contains=filters.q)
    return qs


@router.get("/persons/{person_id}", response=PersonOut)
def get_person(request, person_id: int):
    person = get_scoped(request, Person, pk=person_id)
    access.log_person_views(user=acting_user(request), persons=[person], channel="api", remote_addr=client_address(request))
    return person


class RevealedOut(Schema):
    id_number: str
    phone: str


@router.post("/persons/{person_id}/reveal", response=RevealedOut)
def reveal_person(request, person_id: int):
    """ID number and phone in clear; allowed to community staff and grid workers, and logged."""
    person = get_scoped(request, Person, Action.VIEW, pk=person_id)
    return services.reveal_person(person=person, acting_user=acting_user(request), channel="api",
                                  remote_addr=client_address(request))


class BuildingOut(RegionRef):
    id: int
    code: str
    name: str
    address: str
    floors: int | None
    lon: float | None
    lat: float | None


class HouseOut(RegionRef):
    id: int
    building_code: str
    unit: str | None
    number: str
    floor: int | None
    use: str
    occupancy: str

    @staticmethod
    def resolve_building_code(obj):
        return obj.building.code

    @staticmethod
    def resolve_unit(obj):
        return obj.unit.number if obj.unit_id else None


class HouseholdOut(RegionRef):
    id: int
    number: str
    house_id: int | None
    member_count: int

    @staticmethod
    def resolve_member_count(obj):
        return obj.members.count()


class PlaceOut(RegionRef):
    id: int
    name: str
    kind: str
    credit_code: str
    address: str
    contact_name: str
    phone_masked: str
    lon: float | None
    lat: float | None


class ComponentOut(RegionRef):
    id: int
    code: str
    type_code: str
    type_name: str
    name: str
    device_id: str
    status: str
    lon: float
    lat: float

    @staticmethod
    def resolve_type_code(obj):
        return obj.type.code

    @staticmethod
    def resolve_type_name(obj):
        return obj.type.name


class RegistryRegionFilter(Schema):
    region: str | None = None
    q: str | None = None


def _filtered(request, model, filters: RegistryRegionFilter, *, related=("region",), search=("name",)):
    qs = scoped(request, model).select_related(*related)
    qs = under_region(qs, filters.region)
    if filters.q:
        condition = Q()
        for field in search:
            condition |= Q(**{f"{field}__contains": filters.q})
        qs = qs.filter(condition)
    return qs


@router.get("/buildings", response=list[BuildingOut])
@paginate(Page)
def list_buildings(request, filters: Query[RegistryRegionFilter]):
    return _filtered(request, Building, filters, search=("name", "code", "address"))


@router.get("/buildings/{building_id}", response=BuildingOut)
def get_building(request, building_id: int):
    return get_scoped(request, Building, pk=building_id)


@router.get("/houses", response=list[HouseOut])
@paginate(Page)
def list_houses(request, filters: Query[RegistryRegionFilter]):
    return _filtered(request, House, filters, related=("region", "building", "unit"), search=("number", "building__name"))


@router.get("/houses/{house_id}", response=HouseOut)
def get_house(request, house_id: int):
    return get_scoped(request, House, pk=house_id)


@router.get("/households", response=list[HouseholdOut])
@paginate(Page)
def list_households(request, filters: Query[RegistryRegionFilter]):
    return _filtered(request, Household, filters, search=("number",))


@router.get("/households/{household_id}", response=HouseholdOut)
def get_household(request, household_id: int):
    return get_scoped(request, Household, pk=household_id)


@router.get("/places", response=list[PlaceOut])
@paginate(Page)
def list_places(request, filters: Query[RegistryRegionFilter]):
    return _filtered(request, Place, filters, search=("name", "address"))


@router.get("/places/{place_id}", response=PlaceOut)
def get_place(request, place_id: int):
    return get_scoped(request, Place, pk=place_id)


@router.get("/components", response=list[ComponentOut])
@paginate(Page)
def list_components(request, filters: Query[RegistryRegionFilter]):
    return _filtered(request, Component, filters, related=("region", "type"), search=("code", "name", "device_id"))


@router.get("/components/{component_id}", response=ComponentOut)
def get_component(request, component_id: int):
    return get_scoped(request, Component, pk=component_id)


# --- person access grants (need to know) ------------------------------------------------------

class GrantOut(Schema):
    id: int
    department_code: str
    department_name: str
    person_id: int | None
    group: str
    region_code: RegionCode
    reason: str
    expires_at: datetime
    granted_by: str | None
    granted_at: datetime
    revoked_at: datetime | None
    active: bool

    @staticmethod
    def resolve_department_code(obj):
        return obj.department.code

    @staticmethod
    def resolve_department_name(obj):
        return obj.department.name

    @staticmethod
    def resolve_granted_by(obj):
        return obj.granted_by.username if obj.granted_by_id else None

    @staticmethod
    def resolve_active(obj):
        from django.utils import timezone

        return obj.revoked_at is None and obj.expires_at > timezone.now() and obj.department.active


class GrantIn(Schema):
    department: str  # department code
    region: str  # region code: the person's region or above it, or where the group is granted
    person: Id | None = None
    group: str = ""
    reason: str
    expires_at: Moment


@router.get("/grants", response=list[GrantOut])
@paginate(Page)
def list_grants(request, active: bool | None = None):
    """Grants letting departments see persons: street and district staff see those in their scope,
    a department its own."""
    from django.utils import timezone

    grants = scoped(request, PersonAccessGrant).select_related("department", "region", "granted_by")
    if active is True:
        grants = grants.filter(pk__in=PersonAccessGrant.objects.active().values("pk"))
    elif active is False:
        grants = grants.exclude(pk__in=PersonAccessGrant.objects.active(timezone.now()).values("pk"))
    return grants


@router.post("/grants", response={201: GrantOut})
def create_grant(request, payload: GrantIn):
    """Let a department see one person, or one key group within a region, for a reason, until a time."""
    from django.utils import timezone

    from yiwang.core.scope import scope_path
    from yiwang.matters.models import Department
    from yiwang.regions.models import Region, ancestor_paths

    user = acting_user(request)
    region = Region.objects.restrict(user).filter(code=payload.region).first()
    if region is None:
        raise ValidationError({"region": f"没有区域 {payload.region!r}，或不在您的数据范围内"})
    # A department serving this area is usually registered at the district, above a street's scope.
    prefix = scope_path(user) or "/nowhere/"
    department = (Department.objects.filter(code=payload.department)
                  .filter(Q(region__path__startswith=prefix) | Q(region__path__in=ancestor_paths(prefix))).first())
    if department is None:
        raise ValidationError({"department": f"没有部门 {payload.department!r}，或不在您的数据范围内"})
    person = None
    if payload.person is not None:
        person = Person.objects.restrict(user).filter(pk=payload.person).first()
        if person is None:
            raise ValidationError({"person": f"没有编号为 {payload.person} 的人员，或不在您的数据范围内"})
    expires_at = payload.expires_at if timezone.is_aware(payload.expires_at) else timezone.make_aware(payload.expires_at)
    grant = services.grant_person_access(acting_user=user, department=department, region=region, reason=payload.reason,
                                         expires_at=expires_at, person=person, group=payload.group)
    return Status(201, PersonAccessGrant.objects.select_related("department", "region", "granted_by").get(pk=grant.pk))


@router.post("/grants/{int:grant_id}/revoke", response=GrantOut)
def revoke_grant(request, grant_id: int):
    grant = get_scoped(request, PersonAccessGrant, Action.CHANGE, pk=grant_id)
    return services.revoke_person_access(grant=grant, acting_user=acting_user(request))


def _required_bbox(bbox: str | None):
    box = parse_bbox(bbox)
    if box is None:
        raise ValidationError({"bbox": [gettext("请给出地图范围 bbox")]})
    return box


@router.get("/basemap", response=dict)
def basemap(request, bbox: str | None = None):
    """Named buildings and places inside the map's view, in your scope (at most 500 of each)."""
    return selectors.basemap_features(acting_user(request), _required_bbox(bbox))


@router.get("/basemap/public", response=dict, auth=None)
def public_basemap(request, response: HttpResponse, bbox: str | None = None):
    """Public places' names inside the map's view for residents' maps; no building, household or person."""
    response["Cache-Control"] = "public, max-age=300"
    return selectors.public_basemap_features(_required_bbox(bbox))
