"""The matter catalogue (事项清单) and the departments that handle matters.

A matter type says how a case of its kind is handled: its board, the tier it starts at, whether
it may be pushed down to grids at all (admission), who answers for it at each level, its time
limit per step, and the extra questions asked at intake. Every saved change becomes a new
`MatterTypeVersion`; a case keeps the version it was routed with.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.scope import ScopedManager
from yiwang.worktime.sla import Limit


class Board(models.TextChoices):
    PARTY = "party", _("党的建设")
    ECONOMY = "economy", _("经济发展")
    LIVELIHOOD = "livelihood", _("民生服务")
    SAFETY = "safety", _("平安法治")


class Tier(models.TextChoices):
    A = "A", _("A类：网格就地解决")
    B = "B", _("B类：社区协调解决")
    C = "C", _("C类：街道及部门解决")


class MatterKind(models.TextChoices):
    COMPONENT = "component", _("部件")
    EVENT = "event", _("事件")
    COMMUNITY = "community", _("社区事项")
    SERVICE = "service", _("公共服务事项")


class DepartmentKind(models.TextChoices):
    URBAN_MANAGEMENT = "urban_management", _("城管执法")
    MARKET = "market", _("市场监管")
    EMERGENCY = "emergency", _("应急管理")
    ECOLOGY = "ecology", _("生态环境")
    WATER = "water", _("水务")
    HOUSING = "housing", _("住房城乡建设")
    POLICE = "police", _("派出所")
    UTILITY = "utility", _("水电气公用事业")
    CIVIL_AFFAIRS = "civil_affairs", _("民政")
    HUMAN_RESOURCES = "human_resources", _("人力社保")
    HEALTH = "health", _("卫生健康")
    ALLIANCE = "alliance", _("共建单位")
    OTHER = "other", _("其他")


STEPS = ("accept", "dispatch", "sign", "handle", "verify")


def validate_limit(value: str) -> None:
    try:
        Limit.parse(value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


def validate_attributes(value) -> None:
    """Extra intake questions, in Open311's attribute shape."""
    if not isinstance(value, list):
        raise ValidationError("attributes: a list of questions is expected")
    seen = set()
    for i, item in enumerate(value, start=1):
        if not isinstance(item, dict) or not item.get("code") or not item.get("description"):
            raise ValidationError(f"attributes[{i}]: each question needs a code and a description")
        if item["code"] in seen:
            raise ValidationError(f"attributes[{i}]: code {item['code']!r} is used twice")
        seen.add(item["code"])
        datatype = item.get("datatype", "string")
        if datatype not in {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}:
            raise ValidationError(f"attributes[{i}]: unknown datatype {datatype!r}")
        if datatype.endswith("valuelist") and not item.get("values"):
            raise ValidationError(f"attributes[{i}]: a value list needs values")


class Department(models.Model):
    """A functional department or alliance unit, with the areas it serves."""

    scope_path_field = "region__path"

    code = models.CharField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类别"), max_length=32, choices=DepartmentKind.choices)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("所属区域"))
    areas = models.ManyToManyField("regions.Region", blank=True, related_name="serving_departments", verbose_name=_("服务区域"))
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="departments", verbose_name=_("工作人员"))
    phone = models.CharField(_("电话"), max_length=32, blank=True)
    is_alliance_unit = models.BooleanField(_("共建单位"), default=False, help_text=_("共建单位每年至少报到两次"))
    active = models.BooleanField(_("启用"), default=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("职能部门")
        ordering = ["kind", "code"]

    def __str__(self) -> str:
        return self.name


class MatterType(models.Model):
    kind = models.CharField(_("类型"), max_length=16, choices=MatterKind.choices)
    code = models.CharField(_("编码"), max_length=16, help_text=_("城市管理部件事件为2位大类+3位小类；部件与事件可同码"))
    name = models.CharField(_("名称"), max_length=100)
    category = models.CharField(_("大类"), max_length=50, blank=True)
    board = models.CharField(_("板块"), max_length=16, choices=Board.choices)
    default_tier = models.CharField(_("默认分级"), max_length=1, choices=Tier.choices)
    grid_admitted = models.BooleanField(_("准入网格"), default=True, help_text=_("未准入的事项不得下派到网格"))
    department_kind = models.CharField(_("责任部门类别"), max_length=32, choices=DepartmentKind.choices, blank=True)
    grid_duty = models.CharField(_("网格职责"), max_length=200, blank=True)
    community_duty = models.CharField(_("社区职责"), max_length=200, blank=True)
    street_duty = models.CharField(_("街道职责"), max_length=200, blank=True)
    accept_limit = models.CharField(_("受理时限"), max_length=12, default="2h", validators=[validate_limit], help_text=_("如 4h（工作小时）或 3d（工作日）"))
    dispatch_limit = models.CharField(_("派遣时限"), max_length=12, default="2h", validators=[validate_limit])
    sign_limit = models.CharField(_("签收时限"), max_length=12, default="4h", validators=[validate_limit])
    handle_limit = models.CharField(_("处置时限"), max_length=12, default="3d", validators=[validate_limit])
    verify_limit = models.CharField(_("核查时限"), max_length=12, default="1d", validators=[validate_limit])
    auto_escalate = models.BooleanField(_("超时自动上报"), default=False)
    public = models.BooleanField(_("对外受理"), default=False, help_text=_("居民随手拍与 Open311 可选"))
    attributes = models.JSONField(_("采集项"), default=list, blank=True, validators=[validate_attributes])
    service_standard = models.TextField(_("服务标准"), blank=True)
    keywords = models.CharField(_("关键词"), max_length=200, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    version = models.PositiveIntegerField(_("版本"), default=0, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = _("事项类型")
        ordering = ["kind", "code"]
        constraints = [models.UniqueConstraint(fields=["kind", "code"], name="matter_unique_kind_code")]

    def __str__(self) -> str:
        # The name is what staff read; the code follows for the few who look it up.
        return f"{self.name}（{self.code}）"

    @property
    def service_code(self) -> str:
        """The key outside systems use (Open311's service_code): kind and code together."""
        return f"{self.kind}-{self.code}"

    def limits(self) -> dict[str, str]:
        return {step: getattr(self, f"{step}_limit") for step in STEPS}

    def snapshot(self) -> dict:
        return {
            "kind": self.kind, "code": self.code, "name": self.name, "board": self.board,
            "default_tier": self.default_tier, "grid_admitted": self.grid_admitted,
            "department_kind": self.department_kind, "limits": {step: getattr(self, f"{step}_limit") for step in STEPS},
            "auto_escalate": self.auto_escalate, "public": self.public, "attributes": self.attributes,
            "duties": {"grid": self.grid_duty, "community": self.community_duty, "street": self.street_duty},
        }


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class ServiceGuide(models.Model):
    """The service guide (办事指南) of a public service item, shown to residents. Its time limit is the
    matter's: the step limits together (see `yiwang.matters.selectors.service_time_limit`), so the
    promise and the case's deadline cannot drift apart."""

    matter = models.OneToOneField(MatterType, on_delete=models.CASCADE, related_name="guide", verbose_name=_("事项"))
    conditions = models.TextField(_("办理条件"))
    materials = models.TextField(_("申请材料"), help_text=_("每行一项"))
    place = models.CharField(_("办理地点"), max_length=200)
    fee = models.CharField(_("收费"), max_length=200, default="不收费")
    steps = models.TextField(_("办理流程"), help_text=_("每行一步"))

    class Meta:
        verbose_name = verbose_name_plural = _("办事指南")

    def __str__(self) -> str:
        return str(self.matter)

    def clean(self) -> None:
        if self.matter_id and self.matter.kind != MatterKind.SERVICE:
            raise ValidationError({"matter": _("只有公共服务事项有办事指南")})
        for field in ("conditions", "materials", "place", "fee", "steps"):
            if not (getattr(self, field) or "").strip():
                raise ValidationError({field: _("请填写%(field)s") % {"field": self._meta.get_field(field).verbose_name}})

    @property
    def material_list(self) -> list[str]:
        return _lines(self.materials)

    @property
    def step_list(self) -> list[str]:
        return _lines(self.steps)


class MatterTypeVersion(models.Model):
    """A saved state of a matter type; cases point at the one they were routed with."""

    matter = models.ForeignKey(MatterType, on_delete=models.PROTECT, related_name="versions", verbose_name=_("事项"))
    number = models.PositiveIntegerField(_("版本号"))
    snapshot = models.JSONField(_("内容"))
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("修改人"))

    class Meta:
        verbose_name = verbose_name_plural = _("事项版本")
        ordering = ["matter", "-number"]
        constraints = [models.UniqueConstraint(fields=["matter", "number"], name="matter_version_unique")]

    def __str__(self) -> str:
        return f"{self.matter} v{self.number}"

    @property
    def limits(self) -> dict[str, str]:
        return self.snapshot["limits"]
