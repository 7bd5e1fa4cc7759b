"""Where the command screen looks: the region a user's screen shows (`screen_region`), the units it
lists one level down or the grids below (`children`, `grids_under`, `map_units`) and the breadcrumbs.
Read as plain values by one statement each: a street has a hundred grids."""

from __future__ import annotations

from typing import NamedTuple

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.utils.translation import gettext

from yiwang.core.scope import is_command_center_staff, scope_path
from yiwang.core.sql import fetch
from yiwang.regions.fields import starts_with_sql
from yiwang.regions.models import Level, Region


def screen_region(user, code: str | None = None) -> Region | None:
    """The region the user's screen shows: `code` if it is inside their scope, else their own
    region (None: the whole city, for a user scoped to everything). Raises PermissionDenied for users
    without a screen, Http404 for a code outside their scope."""
    if not is_command_center_staff(user):
        raise PermissionDenied(gettext("指挥中心大屏仅供区、街道、社区工作人员使用"))
    prefix = scope_path(user)
    if code:
        region = Region.objects.filter(code=code).first()
        if region is None or not region.path.startswith(prefix):
            raise Http404(gettext("区域%(code)s不存在或不在您的数据范围内") % {"code": code})
        return region
    if prefix == "":
        return None
    return Region.objects.get(path=prefix)


def region_ids(place: Region | None) -> tuple[int, ...]:
    if place is not None:
        return (place.pk,)
    return tuple(Region.objects.filter(parent__isnull=True).order_by("path").values_list("pk", flat=True))


class Unit(NamedTuple):
    """A region as the screen lists it (read as plain values: a street has a hundred grids, and
    building model instances for them cost more than reading their counts)."""

    pk: int
    code: str
    name: str
    level: str
    boundary: str


def _units(where: str, params: list, *, boundary: bool, prepare: bool = True) -> list[Unit]:
    """Regions matching a condition, in path order, by one plain statement: compiling the ORM
    query took longer than the database took to answer it."""
    shape = "boundary" if boundary else "''"
    sql = f"SELECT id, code, name, level, {shape} FROM {connection.ops.quote_name(Region._meta.db_table)} WHERE {where} ORDER BY path"
    return [Unit(*row) for row in fetch(sql, params, prepare=prepare)]


def children(place: Region | None, *, boundary: bool = False) -> list[Unit]:
    """The units one level down."""
    if place is None:
        return _units("parent_id IS NULL", [], boundary=boundary)
    return _units("parent_id = %s", [place.pk], boundary=boundary)


def grids_under(place: Region | None, *, boundary: bool = False) -> list[Unit]:
    """The grids of a street or community, the micro-grids of a grid, or the micro-grid itself.
    For a district or the whole city there are too many grids to draw: the units one level down."""
    if place is None or place.level not in (Level.STREET, Level.COMMUNITY, Level.GRID, Level.MICRO_GRID):
        return children(place, boundary=boundary)
    if place.level == Level.MICRO_GRID:
        return [Unit(place.pk, place.code, place.name, place.level, place.boundary if boundary else "")]
    if place.level == Level.GRID:
        return children(place, boundary=boundary)
    under, params = starts_with_sql("path", place.path)
    return _units(f"level = %s AND {under}", [Level.GRID, *params], boundary=boundary, prepare=False)


def map_units(place: Region | None) -> list[Unit]:
    """What the map colours: grids for a street or community (micro-grids for a grid), the units
    one level down for a district or the whole city."""
    return grids_under(place, boundary=True)


def breadcrumbs(place: Region | None, *, top: str = "") -> list[Region]:
    """The place and its ancestors, root first, from the viewer's own region (path `top`) down:
    never above the viewer's scope."""
    if place is None:
        return []
    from yiwang.regions.models import ancestor_paths

    return list(Region.objects.filter(path__in=[p for p in ancestor_paths(place.path) if p.startswith(top)]).order_by("depth"))
