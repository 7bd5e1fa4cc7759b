"""Registry actions that need more than a save: revealing personal data (always logged), and
granting a department access to persons its cases do not name (always logged)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core import audit, crypto
from yiwang.core.scope import Action, Role, may_see_sensitive_groups, require

from . import groups
from .models import SENSITIVE_GROUPS, KeyGroup, Person, PersonAccessGrant

# Street and district staff decide who outside the grid may see residents.
GRANTING_ROLES = frozenset({Role.STREET, Role.DISTRICT})


def reveal_person(*, person: Person, acting_user, channel: str, remote_addr: str = "") -> dict[str, str]:
    """The clear ID number and phone of one person, for roles that visit and call residents.
    Every call writes one access row per field, in the same transaction as the read."""
    require(acting_user, Action.REVEAL, person.region.path)
    with transaction.atomic():
        audit.log_reveal(user=acting_user, target=person, fields=["id_number", "phone"], channel=channel, remote_addr=remote_addr)
        return {"id_number": crypto.decrypt(person.id_number_sealed), "phone": crypto.decrypt(person.phone_sealed)}


def _may_grant(user) -> bool:
    return bool(user is not None and user.is_authenticated and (user.is_superuser or user.role in GRANTING_ROLES))


def grant_person_access(*, acting_user, department, region, reason: str, expires_at: datetime, person: Person | None = None,
                        group: str = "") -> PersonAccessGrant:
    """Let `department` see one person, or the persons of one key group under `region`, until
    `expires_at`. Only street or district staff, inside their scope, with a reason."""
    if not _may_grant(acting_user):
        raise PermissionDenied(_("只有街道或区级管理员可以授权部门查看人员信息"))
    require(acting_user, Action.CHANGE, region.path)
    errors: dict[str, str] = {}
    group = groups.spelled(group) or group  # its code, its name, or its key from before GB/T 31000
    if (person is None) == (not group):
        errors["person"] = _("请指定一名人员或一个重点人群（二选一）")
    if group and group not in KeyGroup.values:
        errors["group"] = _("未知的重点人群：%(group)s") % {"group": group}
    if person is not None and not person.region.path.startswith(region.path):
        errors["person"] = _("该人员不在所选区域内")
    sensitive = group in SENSITIVE_GROUPS or (person is not None and person.tags.filter(tag__in=SENSITIVE_GROUPS).exists())
    if sensitive and not may_see_sensitive_groups(acting_user):
        errors["group" if group else "person"] = _("您没有查看敏感人群的权限，不能授权他人查看")
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = _("请填写授权事由")
    elif len(reason) > 200:
        errors["reason"] = _("授权事由不能超过 200 字")
    now = timezone.now()
    longest = timedelta(days=settings.REGISTRY_GRANT_MAX_DAYS)
    if expires_at is None or expires_at <= now or expires_at > now + longest:
        errors["expires_at"] = _("到期时间须在现在之后、%(days)s 天之内") % {"days": settings.REGISTRY_GRANT_MAX_DAYS}
    if not department.active:
        errors["department"] = _("该部门已停用")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        grant = PersonAccessGrant.objects.create(department=department, person=person, group=group, region=region, reason=reason,
                                                 expires_at=expires_at, granted_by=acting_user)
        audit.record(actor=acting_user, action="registry.grant_person_access", target=grant,
                     detail={"department": department.code, "person": person.pk if person else None, "group": group,
                             "region": region.code, "reason": reason, "expires_at": expires_at.isoformat()})
    return grant


def revoke_person_access(*, grant: PersonAccessGrant, acting_user) -> PersonAccessGrant:
    if not _may_grant(acting_user):
        raise PermissionDenied(_("只有街道或区级管理员可以撤销授权"))
    require(acting_user, Action.CHANGE, grant.region.path)
    with transaction.atomic():
        grant = PersonAccessGrant.objects.select_for_update().get(pk=grant.pk)
        if grant.revoked_at is None:
            grant.revoked_at, grant.revoked_by = timezone.now(), acting_user
            grant.save(update_fields=["revoked_at", "revoked_by"])
            audit.record(actor=acting_user, action="registry.revoke_person_access", target=grant,
                         detail={"department": grant.department.code})
    return grant
