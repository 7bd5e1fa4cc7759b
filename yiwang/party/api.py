
from datetime import date

from ninja import Router, Schema
from ninja.pagination import paginate

from yiwang.api.common import get_scoped, scoped
from yiwang.regions.selectors import under_region
from yiwang.api.params import Page
from yiwang.api.fields import RegionCode
from yiwang.regions.models import Region

from . import selectors
from .models import PartyMember, PartyOrganization

router = Router(tags=["party"])


class OrganizationOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    parent_id: int | None
    region_code: RegionCode
    member_count: int

    @staticmethod
    def resolve_kind_label(obj):
        return obj.get_kind_display()

    @staticmethod
    def resolve_member_count(obj):
        return obj.members.count()


class MemberOut(Schema):
    id: int
    name: str
    organization_id: int
    organization_name: str
    joined_on: date | None
    in_service: bool
    work_unit: str

    @staticmethod
    def resolve_name(obj):
        return obj.person.name

    @staticmethod
    def resolve_organization_name(obj):
        return obj.organization.name


@router.get("/organizations", response=list[OrganizationOut])
@paginate(Page)
def list_organizations(request, region: str | None = None, kind: str | None = None):
    qs = under_region(scoped(request, PartyOrganization).select_related("region"), region)
    return qs.filter(kind=kind) if kind else qs


@router.get("/organizations/{org_id}", response=OrganizationOut)
def get_organization(request, org_id: int):
    return get_scoped(request, PartyOrganization, pk=org_id)


@router.get("/members", response=list[MemberOut])
@paginate(Page)
def list_members(request, region: str | None = None):
    qs = scoped(request, PartyMember).select_related("person", "organization")
    return under_region(qs, region, "organization__region__path")


@router.get("/members/{member_id}", response=MemberOut)
def get_member(request, member_id: int):
    return get_scoped(request, PartyMember, pk=member_id)


@router.get("/coverage", response=dict)
def coverage(request, region: str | None = None):
    """Each grid in scope with or without its grid party branch."""
    rows = selectors.grid_coverage(regions=under_region(scoped(request, Region), region, "path"))
    return {"summary": selectors.coverage_summary(rows), "grids": rows}
