"""The party tree parallel to the grid: each organization is attached to the region it leads."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.scope import ScopedManager


class OrgKind(models.TextChoices):
    STREET_WORKING_COMMITTEE = "street_committee", _("街道党工委")
    COMMUNITY_COMMITTEE = "community_committee", _("社区党委")
    GENERAL_BRANCH = "general_branch", _("党总支")
    BRANCH = "branch", _("党支部")
    GRID_BRANCH = "grid_branch", _("网格党支部")
    BUILDING_GROUP = "building_group", _("楼栋党小组")
    MEMBER_HOUSEHOLD = "member_household", _("党员中心户")
    FUNCTIONAL_BRANCH = "functional_branch", _("功能型党支部")


# Which kinds may sit under which: the five-level tree of the seeds, plus functional branches.
ALLOWED_PARENTS: dict[str, set[str | None]] = {
    OrgKind.STREET_WORKING_COMMITTEE: {None},
    OrgKind.COMMUNITY_COMMITTEE: {OrgKind.STREET_WORKING_COMMITTEE},
    OrgKind.GENERAL_BRANCH: {OrgKind.STREET_WORKING_COMMITTEE, OrgKind.COMMUNITY_COMMITTEE},
    OrgKind.BRANCH: {OrgKind.STREET_WORKING_COMMITTEE, OrgKind.COMMUNITY_COMMITTEE, OrgKind.GENERAL_BRANCH},
    OrgKind.GRID_BRANCH: {OrgKind.COMMUNITY_COMMITTEE, OrgKind.GENERAL_BRANCH},
    OrgKind.BUILDING_GROUP: {OrgKind.GRID_BRANCH, OrgKind.BRANCH},
    OrgKind.MEMBER_HOUSEHOLD: {OrgKind.BUILDING_GROUP},
    OrgKind.FUNCTIONAL_BRANCH: {OrgKind.STREET_WORKING_COMMITTEE, OrgKind.COMMUNITY_COMMITTEE, OrgKind.GENERAL_BRANCH},
}


class PartyOrganization(models.Model):
    scope_path_field = "region__path"

    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("上级组织"))
    kind = models.CharField(_("组织类型"), max_length=32, choices=OrgKind.choices)
    name = models.CharField(_("名称"), max_length=150)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="party_organizations", verbose_name=_("对应区域"))
    secretary = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("书记"))

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("党组织")
        ordering = ["region__path", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        parent_kind = self.parent.kind if self.parent_id else None
        if parent_kind not in ALLOWED_PARENTS.get(self.kind, set()):
            raise ValidationError({"parent": f"{self.get_kind_display()} 不能隶属于 {self.parent.get_kind_display() if self.parent_id else '（无上级）'}"})
        if self.parent_id and not self.region.path.startswith(self.parent.region.path):
            raise ValidationError({"region": "组织对应区域必须在上级组织的区域之内"})


class PartyMember(models.Model):
    scope_path_field = "organization__region__path"

    person = models.OneToOneField("registry.Person", on_delete=models.PROTECT, related_name="party_membership", verbose_name=_("人员"))
    organization = models.ForeignKey(PartyOrganization, on_delete=models.PROTECT, related_name="members", verbose_name=_("所在组织"))
    joined_on = models.DateField(_("入党日期"), null=True, blank=True)
    in_service = models.BooleanField(_("在职党员"), default=False)
    work_unit = models.CharField(_("工作单位"), max_length=150, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("党员")
        ordering = ["organization", "id"]

    def __str__(self) -> str:
        return str(self.person)
