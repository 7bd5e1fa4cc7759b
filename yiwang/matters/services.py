"""Writes to the catalogue: every change to a matter type is versioned and audited."""

from __future__ import annotations

from django.db import transaction

from yiwang.core import audit

from .models import MatterType, MatterTypeVersion


@transaction.atomic
def save_matter_type(matter: MatterType, *, acting_user) -> MatterTypeVersion:
    """Validate and save `matter`, recording a new version when anything a case depends on changed."""
    matter.full_clean()
    latest = None
    if matter.pk:
        MatterType.objects.select_for_update().filter(pk=matter.pk).first()
        latest = matter.versions.order_by("-number").first()
    snapshot = matter.snapshot()
    if latest is not None and latest.snapshot == snapshot:
        matter.save()
        return latest
    matter.version = (latest.number if latest else 0) + 1
    matter.save()
    version = MatterTypeVersion.objects.create(matter=matter, number=matter.version, snapshot=snapshot, created_by=_user(acting_user))
    audit.record(actor=acting_user, action="matter.version", target=matter, detail={"version": matter.version})
    return version


def current_version(matter: MatterType) -> MatterTypeVersion:
    version = matter.versions.order_by("-number").first()
    if version is None:  # a type created outside save_matter_type (e.g. a bare admin insert)
        version = save_matter_type(matter, acting_user=None)
    return version


def _user(user):
    return user if getattr(user, "is_authenticated", False) else None
