from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yiwang.core.scope import Role


class User(AbstractUser):
    """A person who logs in: a role and a scope, one node of the region tree."""

    role = models.CharField(_("角色"), max_length=16, choices=Role.choices, default=Role.RESIDENT)
    scope_region = models.ForeignKey(
        "regions.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("数据范围")
    )
    unit = models.CharField(_("单位/部门"), max_length=100, blank=True)
    # A resident's own registry row: it says where they live, so which votes, wishes and points are theirs.
    person = models.OneToOneField(
        "registry.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="account", verbose_name=_("本人登记信息")
    )

    objects = UserManager()

    class Meta:
        verbose_name = verbose_name_plural = _("用户")

    def save(self, *args, **kwargs):
        from .roles import ADMIN_ACTIONS

        # Staff status follows the role, so the admin is open exactly to base-data roles.
        if not self.is_superuser:
            self.is_staff = self.role in ADMIN_ACTIONS
        super().save(*args, **kwargs)


TOKEN_PREFIX = "yw_"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True).filter(models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=timezone.now()))


class ApiToken(models.Model):
    """A per-user token for machine clients. Only its SHA-256 is stored; the key is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("用户"))
    name = models.CharField(_("用途"), max_length=100)
    prefix = models.CharField(_("前缀"), max_length=16, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = _("API 令牌")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @classmethod
    def new_key(cls) -> str:
        return TOKEN_PREFIX + secrets.token_urlsafe(32)


class LoginFailure(models.Model):
    """Failed logins, kept in the database so every worker process sees the same count."""

    username = models.CharField(max_length=150, db_index=True)
    remote_addr = models.CharField(max_length=64)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = verbose_name_plural = _("登录失败记录")
