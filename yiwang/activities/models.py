"""Community activities and venues (活动、场地排班).

A venue (hall, square, court) belongs to a region, usually a community. Groups such as the seed's
square-dance teams hold weekly roster slots there (从周一到周日“排班”); one-off activities (sports days,
markets, lectures ...) take registrations up to a limit, then a waiting list, are checked in on the
day and keep a short record with photos afterwards.

Every row is scoped through its region (`scope_path_field`). Registrants' phones are sealed like
the registry's, with a digest beside them so one phone registers once per activity.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yiwang.core.scope import ScopedManager
from yiwang.core.sealed import SealedPhoneMixin


class VenueKind(models.TextChoices):
    HALL = "hall", _("活动室/礼堂")
    SQUARE = "square", _("广场")
    COURT = "court", _("球场")
    OTHER = "other", _("其他")


class Weekday(models.IntegerChoices):
    """Monday first, as datetime.date.weekday() counts."""

    MONDAY = 0, _("周一")
    TUESDAY = 1, _("周二")
    WEDNESDAY = 2, _("周三")
    THURSDAY = 3, _("周四")
    FRIDAY = 4, _("周五")
    SATURDAY = 5, _("周六")
    SUNDAY = 6, _("周日")


class Venue(models.Model):
    scope_path_field = "region__path"

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("所属区域"))
    name = models.CharField(_("场地名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=16, choices=VenueKind.choices, default=VenueKind.HALL)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    capacity = models.PositiveIntegerField(_("容纳人数"), null=True, blank=True)
    public = models.BooleanField(_("对外公示"), default=True, help_text=_("公示的场地在公开页面显示每周排班"))
    note = models.TextField(_("备注"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("场地")
        ordering = ["region__path", "name"]
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="venue_unique_name_in_region")]

    def __str__(self) -> str:
        return self.name


class RosterSlot(SealedPhoneMixin, models.Model):
    """A group's weekly turn at a venue: every `weekday` from `start_time` to `end_time`,
    between `valid_from` and `valid_until` (either open-ended when empty)."""

    scope_path_field = "venue__region__path"

    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="slots", verbose_name=_("场地"))
    group_name = models.CharField(_("团队"), max_length=100)
    weekday = models.PositiveSmallIntegerField(_("星期"), choices=Weekday.choices)
    start_time = models.TimeField(_("开始时间"))
    end_time = models.TimeField(_("结束时间"))
    valid_from = models.DateField(_("生效日期"), null=True, blank=True)
    valid_until = models.DateField(_("截止日期"), null=True, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    phone_sealed = models.CharField(_("联系电话（密文）"), max_length=120, blank=True, editable=False)
    phone_digest = models.CharField(max_length=40, blank=True, editable=False)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("场地排班")
        ordering = ["venue", "weekday", "start_time"]
        indexes = [models.Index(fields=["venue", "weekday"], name="rosterslot_venue_weekday")]
        constraints = [
            models.CheckConstraint(condition=Q(end_time__gt=models.F("start_time")), name="rosterslot_ends_after_start"),
            models.CheckConstraint(condition=Q(valid_from__isnull=True) | Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                                   name="rosterslot_valid_period"),
        ]

    def __str__(self) -> str:
        return f"{self.group_name} {self.get_weekday_display()} {self.start_time:%H:%M}–{self.end_time:%H:%M}"

    def valid_on(self, day) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_until is None or day <= self.valid_until)


class ActivityKind(models.TextChoices):
    SPORTS_DAY = "sports_day", _("运动会")
    MARKET = "market", _("集市")
    LECTURE = "lecture", _("讲座")
    FESTIVAL = "festival", _("节庆")
    VOLUNTEER_DAY = "volunteer_day", _("志愿服务日")
    OTHER = "other", _("其他")


class ActivityStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    CANCELLED = "cancelled", _("已取消")
    FINISHED = "finished", _("已结束")


class Activity(models.Model):
    scope_path_field = "region__path"

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("主办区域"))
    title = models.CharField(_("活动名称"), max_length=120)
    kind = models.CharField(_("类型"), max_length=16, choices=ActivityKind.choices, default=ActivityKind.OTHER)
    venue = models.ForeignKey(Venue, null=True, blank=True, on_delete=models.PROTECT, related_name="activities", verbose_name=_("场地"))
    place = models.CharField(_("地点"), max_length=200, blank=True, help_text=_("不在登记的场地时填写"))
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    capacity = models.PositiveIntegerField(_("报名名额"), null=True, blank=True, help_text=_("留空为不限名额"))
    registration_closes_at = models.DateTimeField(_("报名截止"), null=True, blank=True, help_text=_("留空则到活动开始时截止"))
    status = models.CharField(_("状态"), max_length=16, choices=ActivityStatus.choices, default=ActivityStatus.DRAFT)
    description = models.TextField(_("活动介绍"), blank=True)
    # Afterwards: the short record (活动记录).
    summary = models.TextField(_("活动记录"), blank=True)
    attendance = models.PositiveIntegerField(_("参加人数"), null=True, blank=True)
    cancel_reason = models.CharField(_("取消原因"), max_length=200, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("记录时间"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("社区活动")
        ordering = ["-starts_at", "id"]
        indexes = [models.Index(fields=["status", "starts_at"], name="activity_status_start"),
                   models.Index(fields=["venue", "starts_at"], name="activity_venue_start")]
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="activity_ends_after_start")]

    def __str__(self) -> str:
        return self.title

    @property
    def where(self) -> str:
        return self.venue.name if self.venue_id else self.place

    @property
    def closes_at(self):
        """When registration closes: the deadline if set, and never after the start."""
        if self.registration_closes_at is None:
            return self.starts_at
        return min(self.registration_closes_at, self.starts_at)


class RegistrationStatus(models.TextChoices):
    REGISTERED = "registered", _("已报名")
    WAITLISTED = "waitlisted", _("候补")
    CANCELLED = "cancelled", _("已取消")


class Registration(SealedPhoneMixin, models.Model):
    scope_path_field = "activity__region__path"

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="registrations", verbose_name=_("活动"))
    name = models.CharField(_("姓名"), max_length=50)
    phone_sealed = models.CharField(_("手机号（密文）"), max_length=120, editable=False)
    phone_digest = models.CharField(max_length=40, editable=False)
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               verbose_name=_("实有人口"))
    status = models.CharField(_("状态"), max_length=16, choices=RegistrationStatus.choices)
    # The waiting list is served in this order; re-registering after a cancellation queues again.
    queued_at = models.DateTimeField(_("排队时间"))
    created_at = models.DateTimeField(_("报名时间"), auto_now_add=True)
    promoted_at = models.DateTimeField(_("候补转正时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    checked_in_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                      verbose_name=_("签到登记人"))
    # Keyed digest of the code shown once at registration; with the phone it lets the resident cancel.
    code_hash = models.CharField(max_length=64, editable=False)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("活动报名")
        ordering = ["activity", "queued_at", "id"]
        constraints = [models.UniqueConstraint(fields=["activity", "phone_digest"], name="registration_one_per_phone")]
        indexes = [models.Index(fields=["activity", "status", "queued_at"], name="registration_queue")]

    def __str__(self) -> str:
        return f"{self.name} · {self.activity}"


class ActivityPhoto(models.Model):
    scope_path_field = "activity__region__path"

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="photos", verbose_name=_("活动"))
    image = models.FileField(_("图片"), upload_to="activities/%Y/%m/")
    content_type = models.CharField(max_length=32)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("上传人"))
    created_at = models.DateTimeField(auto_now_add=True)
    thumbnail = models.FileField(_("缩略图"), upload_to="activities/%Y/%m/thumbs/", blank=True)
    # Public pages show a photo only after staff looked at it (faces, children, house numbers).
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("审核人"))

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("活动照片")
        ordering = ["activity", "id"]
