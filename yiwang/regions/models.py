"""The one grid (一张网): a region tree of any depth.

Every node keeps a materialised `path` of its ancestors' codes ("/500154/500154003000/.../"), so a
subtree is one indexed prefix query on both databases. Boundaries are GeoJSON geometries in
WGS-84 (see docs/architecture.md) with a bounding box in plain columns.
"""

from __future__ import annotations

import json

from django.db import models, transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

# ancestor_paths is path arithmetic the scope rules need too, so it lives in core; read it from here.
from yiwang.core.scope import ScopedManager, ancestor_paths  # noqa: F401

from .fields import PathField


class Level(models.TextChoices):
    PROVINCE = "province", _("省")
    CITY = "city", _("市")
    DISTRICT = "district", _("区县")
    STREET = "street", _("街道/乡镇")
    COMMUNITY = "community", _("社区/村")
    GRID = "grid", _("网格")
    MICRO_GRID = "micro_grid", _("微网格")


LEVEL_ORDER = [Level.PROVINCE, Level.CITY, Level.DISTRICT, Level.STREET, Level.COMMUNITY, Level.GRID, Level.MICRO_GRID]


class GridKind(models.TextChoices):
    REGULAR = "regular", _("综合网格")
    DEDICATED = "dedicated", _("专属网格")


class DedicatedKind(models.TextChoices):
    SCHOOL = "school", _("学校")
    HOSPITAL = "hospital", _("医院")
    ENTERPRISE = "enterprise", _("企业")
    COMMERCIAL_BUILDING = "commercial_building", _("商务楼宇")
    PARK = "park", _("园区/公园")
    MARKET = "market", _("市场")
    GOVERNMENT = "government", _("机关单位")
    OTHER = "other", _("其他")


class Region(models.Model):
    scope_path_field = "path"

    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("上级"))
    level = models.CharField(_("层级"), max_length=16, choices=Level.choices)
    code = models.CharField(_("代码"), max_length=24, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    path = PathField("路径", max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("深度"), default=0, editable=False)
    grid_kind = models.CharField(_("网格类型"), max_length=16, choices=GridKind.choices, blank=True)
    dedicated_kind = models.CharField(_("专属网格类别"), max_length=32, choices=DedicatedKind.choices, blank=True)
    boundary = models.TextField(_("边界（GeoJSON, WGS-84）"), blank=True)
    min_lon = models.FloatField(null=True, blank=True, editable=False)
    min_lat = models.FloatField(null=True, blank=True, editable=False)
    max_lon = models.FloatField(null=True, blank=True, editable=False)
    max_lat = models.FloatField(null=True, blank=True, editable=False)
    target_households = models.PositiveIntegerField(_("目标户数"), null=True, blank=True)
    actual_households = models.PositiveIntegerField(_("实际户数"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("区域网格")
        ordering = ["path"]
        indexes = [models.Index(fields=["level", "path"]), models.Index(fields=["parent", "code"])]

    def __str__(self) -> str:
        return f"{self.name}({self.code})"

    @staticmethod
    def path_for(parent: Region | None, code: str) -> str:
        return (parent.path if parent else "/") + code + "/"

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and not {"parent", "code", "boundary"} & set(update_fields):
            super().save(*args, **kwargs)  # nothing derived changes
            return
        from .signals import boundary_changes_batched, note_boundary_change, region_moved

        with transaction.atomic(), boundary_changes_batched():
            # Locked, so two moves of the same node cannot interleave their subtree updates.
            old_path = Region.objects.select_for_update().filter(pk=self.pk).values_list("path", flat=True).first() if self.pk else None
            self.derive_fields()
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "path", "depth", "min_lon", "min_lat", "max_lon", "max_lat"}
            super().save(*args, **kwargs)
            if old_path and old_path != self.path:
                self._move_descendants(old_path)
                region_moved.send(sender=Region, region=self, old_path=old_path)
                note_boundary_change()  # the grids' paths moved: processes re-read `lookup.region_chains`

    def clean(self) -> None:
        """What a form (the admin) must refuse: a loop in the tree, a level out of order, a code
        that breaks the official rules, a boundary that is not a valid polygon."""
        from django.core.exceptions import ValidationError

        from . import validation

        errors: dict[str, list[str]] = {}
        if self.pk and self.parent_id:
            old_path = Region.objects.filter(pk=self.pk).values_list("path", flat=True).first()
            if old_path and self.parent.path.startswith(old_path):
                errors.setdefault("parent", []).append("上级不能是本单元或其下级单元")
        problems = validation.check_level_order(self.level, self.parent.level if self.parent_id else None, region=self.code)
        problems += validation.check_code_format(self.code, self.level, parent_code=self.parent.code if self.parent_id else None)
        for problem in problems:
            if problem.severity == validation.ERROR:
                errors.setdefault("parent" if problem.code.startswith("level") else "code", []).append(problem.message)
        if self.boundary:
            _, boundary_problems = validation.parse_polygon(self.boundary, region=self.code)
            errors_only = [p.message for p in boundary_problems if p.severity == validation.ERROR]
            if errors_only:
                errors["boundary"] = errors_only
        if errors:
            raise ValidationError(errors)

    def derive_fields(self) -> None:
        """Fill what is computed from parent, code and boundary. save() calls it; bulk writers
        (imports, the demo) call it themselves because bulk_create bypasses save()."""
        self.path = self.path_for(self.parent, self.code)
        self.depth = self.path.count("/") - 2
        self.set_bbox()

    def _move_descendants(self, old_path: str) -> None:
        """A node that changed code or parent carries its subtree's paths along."""
        moved = list(Region.objects.filter(path__startswith=old_path).exclude(pk=self.pk))
        for node in moved:
            node.path = self.path + node.path[len(old_path):]
            node.depth = node.path.count("/") - 2
        Region.objects.bulk_update(moved, ["path", "depth"], batch_size=1000)

    def set_bbox(self) -> None:
        from .geometry import bounds_of

        box = bounds_of(self.boundary) if self.boundary else None
        self.min_lon, self.min_lat, self.max_lon, self.max_lat = box or (None, None, None, None)

    @property
    def geometry(self) -> dict | None:
        return json.loads(self.boundary) if self.boundary else None

    def subtree(self):
        """This node and everything below it."""
        return Region.objects.filter(path__startswith=self.path)


class BoundaryVersion(models.Model):
    """One row whose number moves whenever any boundary changes; each process rebuilds its
    point-to-grid index when it sees a new number."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    version = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = verbose_name_plural = _("边界版本")

    @classmethod
    def bump(cls) -> None:
        updated = cls.objects.filter(pk=1).update(version=F("version") + 1)
        if not updated:
            cls.objects.get_or_create(pk=1, defaults={"version": 1})

    @classmethod
    def current(cls) -> int:
        return cls.objects.filter(pk=1).values_list("version", flat=True).first() or 0
