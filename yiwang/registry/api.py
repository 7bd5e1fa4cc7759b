
from django.db.models import Q
from ninja import Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from yiwang.api.common import acting_user, get_scoped, scoped, under_region
from yiwang.core.scope import Action

from . import services
from .models import Building, Component, House, Household, Person, Place

router = Router(tags=["registry"])


class RegionRef(Schema):
    region_code: str
    region_name: str

    @staticmethod
    def resolve_region_code(obj):
        return obj.region.code

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


@router.get("/persons", response=list[PersonOut])
@paginate(LimitOffsetPagination)
def list_persons(request, filters: Query[PersonFilter]):
    qs = scoped(request, Person).select_related("region", "household").prefetch_related("tags")
    qs = under_region(qs, filters.region)
    if filters.tag:
        qs = qs.filter(tags__tag=filters.tag)
    if filters.q:
        qs = qs.filter(name__contains=filters.q)
    return qs


@router.get("/persons/{person_id}", response=PersonOut)
def get_person(request, person_id: int):
    return get_scoped(request, Person, pk=person_id)


class RevealedOut(Schema):
    id_number: str
    phone: str


@router.post("/persons/{person_id}/reveal", response=RevealedOut)
def reveal_person(request, person_id: int):
    """ID number and phone in clear; allowed to community staff and grid workers, and logged."""
    person = get_scoped(request, Person, Action.VIEW, pk=person_id)
    return services.reveal_person(person=person, acting_user=acting_user(request), channel="api",
                                  remote_addr=request.META.get("REMOTE_ADDR", ""))


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


class RegionFilter(Schema):
    region: str | None = None
    q: str | None = None


def _filtered(request, model, filters: RegionFilter, *, related=("region",), search=("name",)):
    qs = scoped(request, model).select_related(*related)
    qs = under_region(qs, filters.region)
    if filters.q:
        condition = Q()
        for field in search:
            condition |= Q(**{f"{field}__contains": filters.q})
        qs = qs.filter(condition)
    return qs


@router.get("/buildings", response=list[BuildingOut])
@paginate(LimitOffsetPagination)
def list_buildings(request, filters: Query[RegionFilter]):
    return _filtered(request, Building, filters, search=("name", "code", "address"))


@router.get("/buildings/{building_id}", response=BuildingOut)
def get_building(request, building_id: int):
    return get_scoped(request, Building, pk=building_id)


@router.get("/houses", response=list[HouseOut])
@paginate(LimitOffsetPagination)
def list_houses(request, filters: Query[RegionFilter]):
    return _filtered(request, House, filters, related=("region", "building", "unit"), search=("number", "building__name"))


@router.get("/houses/{house_id}", response=HouseOut)
def get_house(request, house_id: int):
    return get_scoped(request, House, pk=house_id)


@router.get("/households", response=list[HouseholdOut])
@paginate(LimitOffsetPagination)
def list_households(request, filters: Query[RegionFilter]):
    return _filtered(request, Household, filters, search=("number",))


@router.get("/households/{household_id}", response=HouseholdOut)
def get_household(request, household_id: int):
    return get_scoped(request, Household, pk=household_id)


@router.get("/places", response=list[PlaceOut])
@paginate(LimitOffsetPagination)
def list_places(request, filters: Query[RegionFilter]):
    return _filtered(request, Place, filters, search=("name", "address"))


@router.get("/places/{place_id}", response=PlaceOut)
def get_place(request, place_id: int):
    return get_scoped(request, Place, pk=place_id)


@router.get("/components", response=list[ComponentOut])
@paginate(LimitOffsetPagination)
def list_components(request, filters: Query[RegionFilter]):
    return _filtered(request, Component, filters, related=("region", "type"), search=("code", "name", "device_id"))


@router.get("/components/{component_id}", response=ComponentOut)
def get_component(request, component_id: int):
    return get_scoped(request, Component, pk=component_id)
