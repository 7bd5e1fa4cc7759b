"""Grid work (网格日常): patrol logs (巡查日志), home visits (入户走访) and key-person care (重点人群关爱).

A grid worker walks the grid (`PatrolLog`) and visits homes (`HomeVisit`): who, where (a grid or
micro-grid, optionally a building, place, household and the persons met, and the phone's position),
when and what was seen. What they found is a `Finding` row; a finding with a matter type opens a
case in the closed loop in the same transaction as the record.

Key-person care: a `CarePlan` says how often persons of one key group (registry.KeyGroup, e.g.
独居老人) must be visited, set for a district, street or community; the nearest active plan above a
person's region applies. A home visit naming a tagged person is a care visit for them. Coverage and
the overdue list are computed by `selectors` (the rule is written there and in docs/indicators.md's
sense: visited within the frequency window / persons under a plan).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yiwang.core.scope import Action, ScopedManager, ScopedQuerySet
from yiwang.registry.models import KeyGroup


class Frequency(models.IntegerChoices):
    """How often a key person must be visited; the value is the length of the window in days."""

    WEEKLY = 7, _("每周")
    FORTNIGHTLY = 14, _("每两周")
    MONTHLY = 30, _("每月")
    QUARTERLY = 90, _("每季度")


class _PersonRules:
    """Need to know and sensitive groups (yiwang.registry.access) for records about persons:
    a department sees a record when a finding of it opened a case the department knows, or (visits)
    when it names a person the department may see; without the sensitive-group permission a visit
    naming a person in such a group is absent."""

    @staticmethod
    def _known_findings(user):
        from yiwang.cases.need_to_know import known_cases

        return Finding.objects.filter(case__in=known_cases(user).values("pk"))

    @staticmethod
    def _sensitive_visits():
        from yiwang.registry.models import SENSITIVE_GROUPS

        return HomeVisit.persons.through.objects.filter(person__tags__tag__in=SENSITIVE_GROUPS).values("homevisit_id")


class PatrolLogQuerySet(ScopedQuerySet):
    def restrict(self, user, action=Action.VIEW):
        from yiwang.registry import access

        queryset = super().restrict(user, action)
        if access.person_rules_apply(user) and access.needs_to_know(user):
            queryset = queryset.filter(pk__in=_PersonRules._known_findings(user).filter(patrol__isnull=False).values("patrol_id"))
        return queryset


class HomeVisitQuerySet(ScopedQuerySet):
    def restrict(self, user, action=Action.VIEW):
        from yiwang.registry import access
        from yiwang.registry.models import Person

        queryset = super().restrict(user, action)
        if not access.person_rules_apply(user):
            return queryset
        if not access.may_see_sensitive_groups(user):
            queryset = queryset.exclude(pk__in=_PersonRules._sensitive_visits())
        if access.needs_to_know(user):
            named = HomeVisit.persons.through.objects.filter(person__in=Person.objects.restrict(user, action).values("pk"))
            queryset = queryset.filter(Q(pk__in=_PersonRules._known_findings(user).filter(visit__isnull=False).values("visit_id"))
                                       | Q(pk__in=named.values("homevisit_id")))
        return queryset


class FindingQuerySet(ScopedQuerySet):
    def restrict(self, user, action=Action.VIEW):
        from yiwang.registry import access

        queryset = super().restrict(user, action)
        if not access.person_rules_apply(user):
            return queryset
        if not access.may_see_sensitive_groups(user):
            queryset = queryset.exclude(visit__in=_PersonRules._sensitive_visits())
        if access.needs_to_know(user):
            queryset = queryset.filter(pk__in=_PersonRules._known_findings(user).values("pk"))
        return queryset


class FieldRecord(models.Model):
    """What patrols and visits share: who, where, when and what was seen."""

    scope_path_field = "region__path"

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("网格/微网格"))
    # The account that did the work; demo rows of grids without an account keep only the name.
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               verbose_name=_("网格员（账号）"))
    worker_name = models.CharField(_("网格员"), max_length=50)
    at = models.DateTimeField(_("时间"))
    summary = models.TextField(_("情况记录"))
    building = models.ForeignKey("registry.Building", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                 verbose_name=_("楼栋"))
    place = models.ForeignKey("registry.Place", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                              verbose_name=_("场所单位"))
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("记录人"))
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        abstract = True

    @property
    def where(self) -> str:
        """The place as people say it: the region, then the building or place if named."""
        parts = [self.region.name]
        if self.building_id:
            parts.append(self.building.name)
        if self.place_id:
            parts.append(self.place.name)
        return " · ".join(parts)


class PatrolLog(FieldRecord):
    """One walk of the grid (巡查日志)."""

    kind = "patrol"
    kind_label = "巡查"

    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    route = models.CharField(_("巡查路线"), max_length=200, blank=True)

    objects = models.Manager.from_queryset(PatrolLogQuerySet)()

    class Meta:
        verbose_name = verbose_name_plural = _("巡查日志")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["worker", "at"]), models.Index(fields=["at"])]
        constraints = [
            models.CheckConstraint(condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("at")), name="gridwork_patrol_ends_after_start"),
            models.CheckConstraint(condition=Q(lon__isnull=True, lat__isnull=True) | Q(lon__isnull=False, lat__isnull=False),
                                   name="gridwork_patrol_lon_lat_pair"),
        ]

    def __str__(self) -> str:
        return f"巡查 {self.worker_name} {self.at:%Y-%m-%d}"


class HomeVisit(FieldRecord):
    """One home visit (入户走访); the persons met make it a care visit for those of them in a key group."""

    kind = "visit"
    kind_label = "入户走访"

    household = models.ForeignKey("registry.Household", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                  verbose_name=_("户"))
    persons = models.ManyToManyField("registry.Person", blank=True, related_name="gridwork_visits", verbose_name=_("走访对象"))

    objects = models.Manager.from_queryset(HomeVisitQuerySet)()

    class Meta:
        verbose_name = verbose_name_plural = _("入户走访")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["worker", "at"]), models.Index(fields=["at"])]
        constraints = [
            models.CheckConstraint(condition=Q(lon__isnull=True, lat__isnull=True) | Q(lon__isnull=False, lat__isnull=False),
                                   name="gridwork_visit_lon_lat_pair"),
        ]

    def __str__(self) -> str:
        return f"走访 {self.worker_name} {self.at:%Y-%m-%d}"


class Finding(models.Model):
    """What a patrol or visit found (row 1, 2, ...); `case` is the case it opened, if any."""

    scope_path_field = "region__path"

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("网格/微网格"))
    patrol = models.ForeignKey(PatrolLog, null=True, blank=True, on_delete=models.CASCADE, related_name="findings", verbose_name=_("巡查"))
    visit = models.ForeignKey(HomeVisit, null=True, blank=True, on_delete=models.CASCADE, related_name="findings", verbose_name=_("走访"))
    row = models.PositiveSmallIntegerField(_("序号"))
    description = models.TextField(_("发现的问题"))
    # The closed loop owns the case; a case deleted there leaves the finding on record without it.
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="gridwork_findings",
                             verbose_name=_("已立案事件"))

    objects = models.Manager.from_queryset(FindingQuerySet)()

    class Meta:
        verbose_name = verbose_name_plural = _("发现问题")
        ordering = ["id"]  # rows are written in order, so a record's findings read 1, 2, ...
        constraints = [
            # A finding belongs to exactly one record.
            models.CheckConstraint(condition=Q(patrol__isnull=False, visit__isnull=True) | Q(patrol__isnull=True, visit__isnull=False),
                                   name="gridwork_finding_one_record"),
            models.UniqueConstraint(fields=["patrol", "row"], condition=Q(patrol__isnull=False), name="gridwork_finding_patrol_row"),
            models.UniqueConstraint(fields=["visit", "row"], condition=Q(visit__isnull=False), name="gridwork_finding_visit_row"),
        ]

    def __str__(self) -> str:
        return self.description[:40]

    @property
    def record(self):
        return self.patrol if self.patrol_id else self.visit


class CarePlan(models.Model):
    """How often the persons of one key group must be visited, for a district, street or community."""

    scope_path_field = "region__path"

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("适用区域"))
    group = models.CharField(_("重点人群"), max_length=32, choices=KeyGroup.choices)
    frequency_days = models.PositiveSmallIntegerField(_("走访频次"), choices=Frequency.choices)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"), null=True, blank=True)
    active = models.BooleanField(_("执行中"), default=True)
    note = models.CharField(_("关爱内容"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("设置人"))
    created_at = models.DateTimeField(_("设置时间"), auto_now_add=True)
    # Whether the care counters (`counters.py`) follow this plan: set once its persons were counted
    # with it in force. A plan that starts on a later day is counted by the daily job on that day;
    # until then the coverage reads count persons instead of reading the counters.
    counted = models.BooleanField(default=False, editable=False)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("重点人群关爱计划")
        ordering = ["region__path", "group", "-id"]
        constraints = [
            # One plan in force per region and group; a new one replaces it (services.set_care_plan).
            models.UniqueConstraint(fields=["region", "group"], condition=Q(active=True), name="gridwork_one_active_plan"),
            models.CheckConstraint(condition=Q(frequency_days__gte=1), name="gridwork_plan_frequency_positive"),
            models.CheckConstraint(condition=Q(active=True, ends_on__isnull=True) | Q(active=False, ends_on__isnull=False),
                                   name="gridwork_plan_active_until_ended"),
        ]

    def __str__(self) -> str:
        return f"{self.region.name} {self.get_group_display()} {self.frequency_label}"

    @property
    def frequency_label(self) -> str:
        try:
            return str(Frequency(self.frequency_days).label)
        except ValueError:
            return f"每{self.frequency_days}天"


class RecordPhoto(models.Model):
    """A photo of a patrol or a home visit, re-encoded at upload (core.photos: no EXIF, long side
    capped) with its thumbnail. Served only to those who may see its record (views.record_photo)."""

    patrol = models.ForeignKey(PatrolLog, null=True, blank=True, on_delete=models.CASCADE, related_name="photos", verbose_name=_("巡查"))
    visit = models.ForeignKey(HomeVisit, null=True, blank=True, on_delete=models.CASCADE, related_name="photos", verbose_name=_("走访"))
    image = models.FileField(_("图片"), upload_to="gridwork/%Y/%m/")
    thumbnail = models.FileField(_("缩略图"), upload_to="gridwork/%Y/%m/thumbs/", blank=True)
    content_type = models.CharField(max_length=32)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = _("巡查走访照片")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(patrol__isnull=False, visit__isnull=True) | Q(patrol__isnull=True, visit__isnull=False),
                                   name="gridwork_photo_of_one_record"),
        ]

    @property
    def record(self):
        return self.patrol if self.patrol_id else self.visit


# The care counters (see counters.py): what care coverage reads instead of counting persons.


class CareEntry(models.Model):
    """What one person under a care plan adds to `CareCount` now: its region (where the person is
    registered) and key. A change to the person moves exactly this from the old key to the new one.
    `person_id` is a plain column: the entry outlives the person's row until the deletion is counted."""

    person_id = models.BigIntegerField(primary_key=True)
    region = models.ForeignKey("regions.Region", on_delete=models.CASCADE, related_name="+")
    sensitive = models.BooleanField()  # in a sensitive group (registry.SENSITIVE_GROUPS)
    frequency_days = models.PositiveSmallIntegerField()
    starts_on = models.DateField()
    last_visit_on = models.DateField()

    class Meta:
        verbose_name = verbose_name_plural = "care entry"
        default_permissions = ()


class CareCount(models.Model):
    """How many persons under a plan, in this region or below it (the region's own row, never a sum
    over its subtree), share a key: sensitive or not, the plan's frequency and start, and the day of
    their last care visit. Status on any day follows from the key (counters.py), so the rows stay
    exact without a nightly recount."""

    region = models.ForeignKey("regions.Region", on_delete=models.CASCADE, related_name="+")
    sensitive = models.BooleanField()
    frequency_days = models.PositiveSmallIntegerField()
    starts_on = models.DateField()
    last_visit_on = models.DateField()
    n = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = verbose_name_plural = "care count"
        default_permissions = ()
        constraints = [models.UniqueConstraint(fields=["region", "sensitive", "frequency_days", "starts_on", "last_visit_on"],
                                               name="gridwork_carecount_key")]
