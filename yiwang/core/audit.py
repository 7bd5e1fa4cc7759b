"""Audit entries and logged reveals of personal data."""

from __future__ import annotations

from typing import Any

from django.db import models

from .models import AuditEntry, SensitiveAccess


def account(user: Any) -> Any:
    """The logged-in user to store as who acted, or None (anonymous visitors, the system)."""
    return user if getattr(user, "is_authenticated", False) else None


def record(*, actor: Any, action: str, target: models.Model | None = None, target_type: str = "", detail: dict | None = None) -> AuditEntry:
    actor = account(actor)
    return AuditEntry.objects.create(
        actor=actor,
        action=action,
        target_type=target._meta.label_lower if target is not None else target_type,
        target_id=str(target.pk) if target is not None else "",
        detail=detail or {},
    )


def log_reveal(*, user: Any, target: models.Model, fields: list[str], channel: str, remote_addr: str = "") -> None:
    SensitiveAccess.objects.bulk_create(
        SensitiveAccess(
            user=user,
            target_type=target._meta.label_lower,
            target_id=str(target.pk),
            field=field,
            channel=channel,
            remote_addr=remote_addr,
        )
        for field in fields
    )
