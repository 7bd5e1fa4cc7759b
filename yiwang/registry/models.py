"""The registry (人房地物): buildings, houses, households, persons, places and components.

Every row belongs to a grid or micro-grid (`region`), which is what data scope filters on.
ID numbers and phones are sealed (see yiwang.core.crypto) with a keyed digest beside them.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core import crypto
from yiwang.core.scope import Action, ScopedManager, ScopedQuerySet
from yiwang.core.sealed import SealedPhoneMixin

from . import groups


class RegionOwned(models.Model):
    scope_path_field = "region__path"

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("所属网格"))

    objects = ScopedManager()

    class Meta:
        abstract = True


class Building(RegionOwned):
    code = models.CharField(_("楼栋编号"), max_length=40, unique=True)
    name = models.CharField(_("楼栋名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    floors = models.PositiveSmallIntegerField(_("层数"), null=True, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("楼栋")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class BuildingUnit(models.Model):
    scope_path_field = "building__region__path"

    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="units", verbose_name=_("楼栋"))
    number = models.CharField(_("单元"), max_length=20)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("单元")
        unique_together = [("building", "number")]
        ordering = ["building", "number"]

    def __str__(self) -> str:
        return f"{self.building.name}{self.number}单元"


class HouseUse(models.TextChoices):
    RESIDENTIAL = "residential", "住宅"
    COMMERCIAL = "commercial", "商业"
    MIXED = "mixed", "商住两用"
    OTHER = "other", "其他"


class Occupancy(models.TextChoices):
    OWNER = "owner", "自住"
    RENTED = "rented", "出租"
    VACANT = "vacant", "空置"


class House(RegionOwned):
    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="houses", verbose_name=_("楼栋"))
    unit = models.ForeignKey(BuildingUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="houses", verbose_name=_("单元"))
    number = models.CharField(_("房号"), max_length=20)
    floor = models.SmallIntegerField(_("楼层"), null=True, blank=True)
    area_m2 = models.DecimalField(_("面积（㎡）"), max_digits=8, decimal_places=2, null=True, blank=True)
    use = models.CharField(_("用途"), max_length=16, choices=HouseUse.choices, default=HouseUse.RESIDENTIAL)
    occupancy = models.CharField(_("居住状态"), max_length=16, choices=Occupancy.choices, default=Occupancy.OWNER)

    class Meta:
        verbose_name = verbose_name_plural = _("房屋")
        unique_together = [("building", "unit", "number")]
        ordering = ["building", "number"]

    def __str__(self) -> str:
        return f"{self.building.name}-{self.number}"


class HouseholdQuerySet(ScopedQuerySet):
    def restrict(self, user, action=Action.VIEW):
        from . import access

        queryset = super().restrict(user, action)
        if not access.needs_to_know(user):
            return queryset
        # A household is a home: departments see those of the persons they may see.
        return queryset.filter(pk__in=Person.objects.restrict(user, action).exclude(household__isnull=True).values("household_id"))


class Household(RegionOwned):
    number = models.CharField(_("户编号"), max_length=40, unique=True)
    house = models.ForeignKey(House, null=True, blank=True, on_delete=models.SET_NULL, related_name="households", verbose_name=_("房屋"))

    objects = models.Manager.from_queryset(HouseholdQuerySet)()

    class Meta:
        verbose_name = verbose_name_plural = _("户")
        ordering = ["number"]

    def __str__(self) -> str:
        return self.number


class ResidenceType(models.TextChoices):
    """The four kinds of 实有人口 in GB/T 31000-2015."""

    REGISTERED = "registered", _("户籍人口")
    FLOATING = "floating", _("流动人口")
    OVERSEAS = "overseas", _("境外人员")
    UNSETTLED = "unsettled", _("未落户人员")


class Gender(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


# Key groups for care and attention (重点人群): the classes of GB/T 31000-2015 and our local "X" classes,
# read from groups.toml (yiwang.registry.groups). Each stores its stable code; `KeyGroup.MENTAL_ILLNESS`
# and the like name them in code.
KeyGroup = models.TextChoices("KeyGroup", [(g.member, (g.code, _(g.name))) for g in groups.all_groups()])

# Groups whose very membership is sensitive (health, criminal record, minors at risk): persons in them are
# visible only with the registry.view_sensitive_group permission, and every look at them is logged
# (registry.access). Which groups these are is the `sensitive` of groups.toml.
SENSITIVE_GROUPS = groups.sensitive_codes()


class PersonQuerySet(ScopedQuerySet):
    """Region scope, then the person rules: need to know for departments, sensitive groups only with
    the permission (yiwang.registry.access)."""

    def restrict(self, user, action=Action.VIEW):
        from . import access

        return access.limit_persons(super().restrict(user, action), user, action)


class PersonLinkedQuerySet(ScopedQuerySet):
    """Rows about one person (its tags) are visible exactly when the person is."""

    person_field = "person"

    def restrict(self, user, action=Action.VIEW):
        from . import access

        queryset = super().restrict(user, action)
        if not access.person_rules_apply(user):
            return queryset
        return queryset.filter(**{f"{self.person_field}__in": Person.objects.restrict(user, action).values("pk")})


class Person(SealedPhoneMixin, RegionOwned):
    """One resident (实有人口). Labels follow GB/T 31000-2015's data item names where its public outline
    gives one (公民身份号码, 联系方式, 户号, 现住门（楼）详址, the four 人口类型); the columns keep their names."""

    name = models.CharField(_("姓名"), max_length=50)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    id_number_sealed = models.CharField(_("公民身份号码（密文）"), max_length=120, blank=True, editable=False)
    # Digests are matched by equality only: the constraint and index below avoid the extra
    # LIKE-pattern index PostgreSQL gets for unique=True / db_index=True, which slows bulk loads.
    id_number_digest = models.CharField(max_length=40, null=True, blank=True, editable=False)
    phone_sealed = models.CharField(_("联系方式（密文）"), max_length=120, blank=True, editable=False)
    phone_digest = models.CharField(max_length=40, blank=True, editable=False)
    residence_type = models.CharField(_("人口类型"), max_length=16, choices=ResidenceType.choices, default=ResidenceType.REGISTERED)
    household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.SET_NULL, related_name="members", verbose_name=_("户号"))
    is_household_head = models.BooleanField(_("户主"), default=False)
    address = models.CharField(_("现住门（楼）详址"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = models.Manager.from_queryset(PersonQuerySet)()

    class Meta:
        verbose_name = verbose_name_plural = _("实有人口")
        ordering = ["id"]
        permissions = [("view_sensitive_group", _("查看敏感人群（严重精神障碍、社区矫正等）"))]
        constraints = [models.UniqueConstraint(fields=["id_number_digest"], name="person_unique_id_number")]
        indexes = [
            models.Index(fields=["phone_digest"], name="person_phone_digest"),
            # Name search from the first character (search.selectors): LIKE 'x%' on PostgreSQL needs the
            # pattern operator class whatever the database's collation; SQLite asks for the range.
            models.Index(fields=["name"], name="person_name_prefix", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return self.name

    # Clear values are never attributes of the row: callers ask for them, and revealing is logged
    # by yiwang.registry.services.reveal_person.
    def set_id_number(self, value: str) -> None:
        self.id_number_sealed = crypto.encrypt(value)
        self.id_number_digest = crypto.digest(value) or None

    @property
    def id_number_masked(self) -> str:
        return crypto.mask_id_number(crypto.decrypt(self.id_number_sealed))


class PersonTag(models.Model):
    scope_path_field = "person__region__path"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="tags", verbose_name=_("人员"))
    tag = models.CharField(_("重点人群"), max_length=32, choices=KeyGroup.choices, help_text=_("GB/T 31000 的人员类别，或本地扩展（X）类别"))

    objects = models.Manager.from_queryset(PersonLinkedQuerySet)()

    class Meta:
        verbose_name = verbose_name_plural = _("重点人群标签")
        unique_together = [("person", "tag")]
        indexes = [models.Index(fields=["tag", "person"])]
        # A tag outside the known groups would escape SENSITIVE_GROUPS, so the database refuses it (a key
        # from before GB/T 31000, written by old code, fails here instead of unsealing a person).
        constraints = [models.CheckConstraint(condition=models.Q(tag__in=KeyGroup.values), name="registry_persontag_known_group")]

    def __str__(self) -> str:
        return self.get_tag_display()


class PlaceKind(models.TextChoices):
    SHOP = "shop", _("门店商户")
    ENTERPRISE = "enterprise", _("企业")
    THREE_IN_ONE = "three_in_one", _("三合一场所")
    PROPERTY_COMPANY = "property_company", _("物业公司")
    SCHOOL = "school", _("学校")
    HOSPITAL = "hospital", _("医疗机构")
    PUBLIC_VENUE = "public_venue", _("公共场所")
    OTHER = "other", _("其他")


class Place(SealedPhoneMixin, RegionOwned):
    name = models.CharField(_("名称"), max_length=150)
    kind = models.CharField(_("类别"), max_length=32, choices=PlaceKind.choices)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    phone_sealed = models.CharField(_("联系电话（密文）"), max_length=120, blank=True, editable=False)
    phone_digest = models.CharField(max_length=40, blank=True, editable=False)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("场所单位")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ComponentType(models.Model):
    """National component codes (GB/T 47678.5-2026): 2-digit class + 3-digit subclass."""

    code = models.CharField(_("代码"), max_length=5, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    class_code = models.CharField(_("大类代码"), max_length=2)
    class_name = models.CharField(_("大类"), max_length=20)

    class Meta:
        verbose_name = verbose_name_plural = _("部件类型")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ComponentStatus(models.TextChoices):
    NORMAL = "normal", "正常"
    DAMAGED = "damaged", "损坏"
    MISSING = "missing", "丢失"
    REMOVED = "removed", "已拆除"


class Component(RegionOwned):
    type = models.ForeignKey(ComponentType, on_delete=models.PROTECT, related_name="components", verbose_name=_("部件类型"))
    code = models.CharField(_("部件标识码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100, blank=True)
    device_id = models.CharField(_("设备编号"), max_length=64, blank=True, db_index=True)
    status = models.CharField(_("状态"), max_length=16, choices=ComponentStatus.choices, default=ComponentStatus.NORMAL)
    lon = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))

    class Meta:
        verbose_name = verbose_name_plural = _("部件设施")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.type.name} {self.code}"


class PersonAccessGrantQuerySet(ScopedQuerySet):
    def restrict(self, user, action=Action.VIEW):
        from . import access

        queryset = super().restrict(user, action)
        # A department reads only its own grants, not who else was let in and why.
        return queryset.filter(department__members=user) if access.needs_to_know(user) else queryset

    def active(self, now=None):
        from django.utils import timezone

        return self.filter(revoked_at__isnull=True, expires_at__gt=now or timezone.now(), department__active=True)


class PersonAccessGrant(models.Model):
    """Lets a department see one person, or one key group within a region, for a stated reason until
    it expires (a department otherwise sees only persons its cases name). Granted and revoked by
    street or district staff (services.grant_person_access); every grant and every use is logged."""

    scope_path_field = "region__path"

    department = models.ForeignKey("matters.Department", on_delete=models.CASCADE, related_name="person_grants", verbose_name=_("部门"))
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.CASCADE, related_name="access_grants", verbose_name=_("人员"))
    group = models.CharField(_("重点人群"), max_length=32, choices=KeyGroup.choices, blank=True)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("区域"))
    reason = models.CharField(_("事由"), max_length=200)
    expires_at = models.DateTimeField(_("到期时间"))
    granted_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("授权人"))
    granted_at = models.DateTimeField(_("授权时间"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("撤销人"))

    objects = models.Manager.from_queryset(PersonAccessGrantQuerySet)()

    class Meta:
        verbose_name = verbose_name_plural = _("人员查看授权")
        ordering = ["-granted_at", "-id"]
        constraints = [
            # One person, or one key group (within the region): never a whole region's residents.
            models.CheckConstraint(condition=models.Q(person__isnull=False, group="") | models.Q(person__isnull=True) & ~models.Q(group=""),
                                   name="registry_grant_person_or_group"),
        ]

    def __str__(self) -> str:
        return f"{self.department} · {self.person or self.get_group_display()}"


class HeatEntry(models.Model):
    """What one key person (any key-group tag) adds to `HeatCount` now: the region they are
    registered in, their household's house's building (0: none) and whether they are in a sensitive
    group. A change to the person moves exactly this from the old key to the new one (heat.py).
    `person_id` is a plain column: the entry outlives the person's row until the deletion is counted."""

    person_id = models.BigIntegerField(primary_key=True)
    region = models.ForeignKey("regions.Region", on_delete=models.CASCADE, related_name="+")
    building_id = models.BigIntegerField()  # plain, 0 for none: a unique key may not hold NULL and stay unique
    sensitive = models.BooleanField()

    class Meta:
        verbose_name = verbose_name_plural = "heat entry"
        default_permissions = ()


class HeatCount(models.Model):
    """How many key persons registered in this region (its own persons, not its subtree's) live in
    this building (0: no building known) and are in a sensitive group or not: the key-person heat
    layer sums these rows instead of counting persons (heat.py)."""

    region = models.ForeignKey("regions.Region", on_delete=models.CASCADE, related_name="+")
    building_id = models.BigIntegerField()
    sensitive = models.BooleanField()
    n = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = verbose_name_plural = "heat count"
        default_permissions = ()
        constraints = [models.UniqueConstraint(fields=["region", "building_id", "sensitive"], name="registry_heatcount_key")]
