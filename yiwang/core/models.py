from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """Who changed what and when. Written by services in the same transaction as the change."""

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("操作人"))
    action = models.CharField(_("动作"), max_length=64)
    target_type = models.CharField(_("对象类型"), max_length=64)
    target_id = models.CharField(_("对象"), max_length=64, blank=True)
    detail = models.JSONField(_("详情"), default=dict, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("操作日志")
        ordering = ["-at"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.target_type}#{self.target_id}"


class SensitiveAccess(models.Model):
    """One row per read of a personal field in clear (ID number, phone)."""

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name=_("查看人"))
    target_type = models.CharField(_("对象类型"), max_length=64)
    target_id = models.CharField(_("对象"), max_length=64)
    field = models.CharField(_("字段"), max_length=64)
    channel = models.CharField(_("途径"), max_length=16)  # page, api, admin, export
    remote_addr = models.CharField(_("来源地址"), max_length=64, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("敏感信息查看记录")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.user} {self.field} {self.target_type}#{self.target_id}"


class KeptPhoto(models.Model):
    """A photo that passed its own checks on a form that failed on another field, kept re-encoded so
    the next submission need not choose it again (core/kept_photos.py). Bound to the account or the
    browser session that sent it; purged a day later by the sweep."""

    token = models.CharField(max_length=64, unique=True)
    # "user:<id>", or a digest of the session key (the key itself is a credential).
    owner = models.CharField(max_length=80, db_index=True)
    field = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=32)
    content = models.BinaryField()
    thumbnail = models.BinaryField()
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = verbose_name_plural = _("暂存照片")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.field} {self.name}"


class SubmissionKey(models.Model):
    """A form's submission key (a UUID the browser makes once per fill) and what its first POST
    created: a second POST with the same key creates nothing and is shown the first result.
    Written in the same transaction as what it created (`core/idempotency.py`)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, verbose_name=_("提交人"))
    key = models.UUIDField(_("提交标识"))
    kind = models.CharField(_("类型"), max_length=32)
    object_id = models.BigIntegerField(_("创建的对象"))
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = verbose_name_plural = _("表单提交标识")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="submission_key_once_per_user")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}#{self.object_id}"


class Throttle(models.Model):
    """One rate limit's count (core/throttle.py): `count` takes since the window began, until `expires_at`.
    Kept in the database, so every app server counts against the same row, moved by one atomic upsert."""

    key = models.CharField(max_length=120, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = verbose_name_plural = _("频率限制计数")

    def __str__(self) -> str:
        return f"{self.key} {self.count}"
