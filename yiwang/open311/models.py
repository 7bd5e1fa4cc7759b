"""Keys of outside systems that post service requests through Open311 GeoReport v2."""

from __future__ import annotations

import hashlib
import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiKeyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiKey(models.Model):
    """One outside client. Only the key's SHA-256 is kept; the key is shown once."""

    name = models.CharField(_("名称"), max_length=100)
    prefix = models.CharField(_("前缀"), max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = _("Open311 密钥")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, name: str) -> tuple[ApiKey, str]:
        raw = "o311_" + secrets.token_urlsafe(24)
        return cls.objects.create(name=name, prefix=raw[:10], key_hash=hash_key(raw)), raw

    @classmethod
    def find(cls, raw: str | None) -> ApiKey | None:
        if not raw:
            return None
        return cls.objects.active().filter(key_hash=hash_key(raw)).first()
