"""Duty lists, read-only: the lists the caller sees, a list's items (current version by default),
its versions, and what changed between two versions."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, OuterRef, Q, Subquery
from django.http import Http404
from django.utils.translation import gettext
from ninja import Router, Schema
from ninja.pagination import paginate

from yiwang.api.common import acting_user
from yiwang.regions.selectors import under_region
from yiwang.api.params import IdQuery, Page
from yiwang.api.fields import RegionCode

from . import selectors
from .models import DutyItemRevision, DutyList, DutyListVersion, VersionStatus

router = Router(tags=["duties"])


class ListOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    region_code: RegionCode
    region_name: str
    current_version: int | None
    items: int
    pending: int

    @staticmethod
    def resolve_kind_label(obj):
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_region_name(obj):
        return obj.region.name

    @staticmethod
    def resolve_current_version(obj):
        return obj.current_version.number if obj.current_version_id else None

    @staticmethod
    def resolve_items(obj):
        return obj.items_count or 0


class ItemOut(Schema):
    id: int
    key: str
    title: str
    category: str
    owner_unit: str
    department: str | None
    legal_basis: str
    matter_types: list[str]
    note: str
    primary: str | None
    backup: str | None

    @staticmethod
    def resolve_id(obj):
        return obj.item_id

    @staticmethod
    def resolve_key(obj):
        return obj.item.key

    @staticmethod
    def resolve_department(obj):
        return obj.department.name if obj.department_id else None

    @staticmethod
    def resolve_matter_types(obj):
        return [m.service_code for m in obj.matter_types.all()]

    @staticmethod
    def resolve_primary(obj):
        return obj.item.primary.username if obj.item.primary_id else None

    @staticmethod
    def resolve_backup(obj):
        return obj.item.backup.username if obj.item.backup_id else None


class VersionOut(Schema):
    id: int
    list_id: int
    number: int
    status: str
    based_on: int | None
    reason: str
    proposed_by: str | None
    proposed_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str

    @staticmethod
    def resolve_list_id(obj):
        return obj.duty_list_id

    @staticmethod
    def resolve_based_on(obj):
        return obj.based_on.number if obj.based_on_id else None

    @staticmethod
    def resolve_proposed_by(obj):
        return obj.proposed_by.username if obj.proposed_by_id else None

    @staticmethod
    def resolve_decided_by(obj):
        return obj.decided_by.username if obj.decided_by_id else None


def _lists(request):
    items = (DutyItemRevision.objects.filter(version=OuterRef("current_version")).order_by().values("version")
             .annotate(n=Count("pk")).values("n"))
    return (selectors.visible_lists(acting_user(request)).select_related("region", "current_version")
            .annotate(items_count=Subquery(items),
                      pending=Count("versions", filter=Q(versions__status=VersionStatus.PROPOSED), distinct=True)))


def _list(request, list_id: int) -> DutyList:
    found = _lists(request).filter(pk=list_id).first()
    if found is None:
        raise Http404(gettext("清单不存在或不在您的数据范围内"))
    return found


def _version(request, version_id: int) -> DutyListVersion:
    found = (DutyListVersion.objects.filter(pk=version_id, duty_list__in=selectors.visible_lists(acting_user(request)))
             .select_related("duty_list", "based_on", "proposed_by", "decided_by").first())
    if found is None:
        raise Http404(gettext("没有这个版本"))
    return found


@router.get("/lists", response=list[ListOut])
@paginate(Page)
def list_lists(request, kind: str | None = None, region: str | None = None):
    """Lists in the caller's scope and those of the units above it (they apply there too)."""
    lists = under_region(_lists(request), region)
    if kind:
        lists = lists.filter(kind=kind)
    return lists.order_by("region__path", "kind")


@router.get("/lists/{list_id}", response=ListOut)
def get_list(request, list_id: int):
    return _list(request, list_id)


@router.get("/lists/{list_id}/items", response=list[ItemOut])
@paginate(Page)
def list_items(request, list_id: int, version: int | None = IdQuery(), q: str = "", category: str = ""):
    """The items of the current version, or of version number `version`."""
    duty_list = _list(request, list_id)
    chosen = duty_list.current_version
    if version is not None:
        chosen = duty_list.versions.filter(number=version).first()
        if chosen is None:
            raise Http404(gettext("没有这个版本"))
    return selectors.revisions(chosen, q=q.strip(), category=category)


@router.get("/lists/{list_id}/versions", response=list[VersionOut])
def list_versions(request, list_id: int):
    duty_list = _list(request, list_id)
    return duty_list.versions.select_related("based_on", "proposed_by", "decided_by").order_by("-number")


@router.get("/lists/{list_id}/diff")
def list_diff(request, list_id: int, from_version: int | None = IdQuery(), to_version: int | None = IdQuery()):
    """What changed from one version number to another; by default, the current version against
    the one it replaced. Without a `from_version` base, every item counts as added."""
    duty_list = _list(request, list_id)
    versions = {v.number: v for v in duty_list.versions.all()}
    target = versions.get(to_version) if to_version is not None else duty_list.current_version
    if target is None:
        raise Http404(gettext("没有这个版本"))
    if from_version is None:
        base = target.based_on
    else:
        base = versions.get(from_version)
        if base is None:
            raise Http404(gettext("没有这个版本"))
    return selectors.diff(base, target).as_dict()


@router.get("/versions/{version_id}", response=VersionOut)
def get_version(request, version_id: int):
    return _version(request, version_id)


@router.get("/versions/{version_id}/diff")
def version_diff(request, version_id: int):
    """A version (a proposal, say) against the version it was based on."""
    version = _version(request, version_id)
    return selectors.diff(version.based_on, version).as_dict()
