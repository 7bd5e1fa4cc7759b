from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yiwang.core.scope import Role


class UserQuerySet(models.QuerySet):
    def restrict(self, user, action="view"):
        """Accounts `user` may look up by name (yiwang.core.scope.visible_users). Not a scoped model
        (no scope_path_field): role groups must not get admin rights over accounts."""
        from yiwang.core.scope import visible_users

        return visible_users(self, user, action)


class ScopedUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


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
    # Set by an admin (or for a new account): every page sends the user to the password change first.
    must_change_password = models.BooleanField(_("下次登录须修改密码"), default=False)

    objects = ScopedUserManager()

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


class LoginEvent(models.Model):
    """One login step: success, failure, lock, second factor, logout. Kept YIWANG_LOGIN_LOG_DAYS days
    (pruned by the background sweep and `yiwang prune_logins`), read by the account's scoped admins."""

    class Kind(models.TextChoices):
        SUCCESS = "success", _("登录成功")
        FAILURE = "failure", _("密码错误或用户不存在")
        LOCKED = "locked", _("失败过多，账号锁定")
        REFUSED = "refused", _("锁定期间尝试登录")
        OTP_FAILURE = "otp_failure", _("动态验证码错误")
        RECOVERY_USED = "recovery_used", _("使用恢复码")
        OTP_ENROLLED = "otp_enrolled", _("绑定两步验证")
        OTP_RESET = "otp_reset", _("两步验证被重置")
        UNLOCKED = "unlocked", _("管理员解锁")
        PASSWORD_CHANGED = "password_changed", _("已修改密码")
        PASSWORD_CHANGE_REQUIRED = "password_change_required", _("要求下次登录修改密码")
        LOGOUT = "logout", _("退出登录")
        EXPIRED = "expired", _("会话超时")

    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    kind = models.CharField(_("事件"), max_length=32, choices=Kind.choices)
    # As typed at the login form: failures for names that do not exist are kept too (user is empty).
    username = models.CharField(_("用户名"), max_length=150)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="login_events", verbose_name=_("用户"))
    address = models.CharField(_("来源地址"), max_length=64, blank=True)
    user_agent = models.CharField(_("浏览器"), max_length=300, blank=True)
    # Who acted when it was not the user (an admin unlocking, resetting the second factor).
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("操作人"))
    detail = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("登录日志")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["user", "-at"], name="loginevent_user_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username} {self.get_kind_display()}"

    # `detail` holds a code for the usual cases, shown in the reader's language.
    DETAILS = {
        "totp": _("动态验证码"), "recovery": _("恢复码"), "enrol": _("首次绑定两步验证"), "self": _("本人关闭"),
        "idle": _("闲置超时"), "max": _("超过最长登录时间"), "2fa": _("未通过两步验证"),
    }

    def detail_display(self) -> str:
        return str(self.DETAILS.get(self.detail, self.detail))
