"""A/B roles (AB角): every duty has a primary (A) and a backup (B); while A is on leave, B acts.

`ABRoles` is the abstract pair of fields that a duty model mixes in (a duty list item, a link to a
grid, a desk). The rule that picks who acts lives in `acting.py`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ABRoles(models.Model):
    """Mix into any model that is a duty someone answers for."""

    primary = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", verbose_name="A角(主责)")
    backup = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+", verbose_name="B角(替补)")

    class Meta:
        abstract = True

    def clean(self):
        from django.core.exceptions import ValidationError

        super().clean()
        if self.primary_id and self.primary_id == self.backup_id:
            raise ValidationError({"backup": "B角不能与A角是同一人 (A and B must be different people)"})
