
from datetime import date, datetime

from ninja import Router, Schema
from ninja.pagination import paginate

from yiwang.api.common import get_scoped, scoped
from yiwang.regions.selectors import under_region
from yiwang.api.params import Page
from yiwang.api.fields import RegionCode

from .models import Assignment, DutyShift, ForceMember

router = Router(tags=["forces"])


class ForceMemberOut(Schema):
    id: int
    name: str
    role: str
    role_label: str
    region_code: RegionCode
    unit: str
    phone_masked: str
    active: bool

    @staticmethod
    def resolve_role_label(obj):
        return obj.get_role_display()


class AssignmentOut(Schema):
    id: int
    member_id: int
    member_name: str
    grid_code: str
    role: str
    starts_on: date
    ends_on: date | None

    @staticmethod
    def resolve_member_name(obj):
        return obj.member.name

    @staticmethod
    def resolve_grid_code(obj):
        return obj.grid.code


class ShiftOut(Schema):
    id: int
    region_code: RegionCode
    member_id: int
    member_name: str
    starts_at: datetime
    ends_at: datetime
    note: str

    @staticmethod
    def resolve_member_name(obj):
        return obj.member.name


@router.get("/members", response=list[ForceMemberOut])
@paginate(Page)
def list_members(request, region: str | None = None, role: str | None = None):
    qs = under_region(scoped(request, ForceMember).select_related("region"), region)
    return qs.filter(role=role) if role else qs


@router.get("/members/{member_id}", response=ForceMemberOut)
def get_member(request, member_id: int):
    return get_scoped(request, ForceMember, pk=member_id)


@router.get("/assignments", response=list[AssignmentOut])
@paginate(Page)
def list_assignments(request, region: str | None = None):
    return under_region(scoped(request, Assignment).select_related("member", "grid"), region, "grid__path")


@router.get("/assignments/{assignment_id}", response=AssignmentOut)
def get_assignment(request, assignment_id: int):
    return get_scoped(request, Assignment, pk=assignment_id)


@router.get("/shifts", response=list[ShiftOut])
@paginate(Page)
def list_shifts(request, region: str | None = None):
    return under_region(scoped(request, DutyShift).select_related("member", "region"), region)


@router.get("/shifts/{shift_id}", response=ShiftOut)
def get_shift(request, shift_id: int):
    return get_scoped(request, DutyShift, pk=shift_id)
