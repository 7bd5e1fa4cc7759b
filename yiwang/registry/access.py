"""Who may see which residents beyond the region scope, and the logs of looking.

Two rules narrow `restrict()` for persons and for records about persons (their tags, households,
home visits, patrol logs and findings):

- Need to know: a department is scoped to the whole district for its cases, but sees a person only
  when a case its department handles (or is summoned to) names them — the reporter (same phone)
  or a person met on the home visit whose finding opened the case — while the case is open and for
  `REGISTRY_CASE_ACCESS_DAYS` after it closes; or through an active `PersonAccessGrant`.
- Sensitive groups (registry.models.SENSITIVE_GROUPS): persons in them are absent for users without
  the `registry.view_sensitive_group` permission, and a filter by such a group is refused.

Every look at a sensitive person, every list filtered by a sensitive group and every use of a grant
is logged (SensitiveAccess for the first two, AuditEntry `registry.grant_used` for grants).

The relations that give need to know live in the apps that hold them (a case names its reporter, a
home visit the persons met): each registers a provider with `add_need_to_know` at start-up, and the
rule here joins them. Without any provider a department sees no one through need to know.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import reduce
from operator import or_
from typing import Any, Iterable

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from yiwang.core import audit
from yiwang.core.models import SensitiveAccess
from yiwang.core.scope import may_see_sensitive_groups, needs_to_know, scope_path

from . import groups
from .models import SENSITIVE_GROUPS, KeyGroup, PersonAccessGrant, PersonTag

__all__ = ["needs_to_know", "may_see_sensitive_groups", "person_rules_apply", "limit_persons", "add_need_to_know", "active_grants",
           "check_tag_filter", "log_person_views", "log_person_list", "sensitive_person_ids"]

# A provider takes the user (a department member) and returns a Q over Person: the persons some
# relation of theirs names.
NeedToKnow = Callable[[Any], Q]
_need_to_know: list[NeedToKnow] = []


def add_need_to_know(provider: NeedToKnow) -> None:
    """Register a relation through which a department needs to know persons (from an AppConfig.ready)."""
    if provider not in _need_to_know:
        _need_to_know.append(provider)


def person_rules_apply(user: Any) -> bool:
    """True when `restrict` must look past the region for this user (else it is the region rule alone)."""
    if scope_path(user) in (None, ""):
        return False
    return needs_to_know(user) or not may_see_sensitive_groups(user)


def _sensitive_person_ids() -> QuerySet:
    return PersonTag.objects.filter(tag__in=SENSITIVE_GROUPS).values("person_id")


def active_grants(user: Any) -> QuerySet:
    return PersonAccessGrant.objects.active().filter(department__members=user).select_related("region")


def _needed(user: Any) -> Q:
    """Persons some registered relation of the user's department names."""
    conditions = [provider(user) for provider in _need_to_know]
    return reduce(or_, conditions) if conditions else Q(pk__in=[])


def _granted(grants: Iterable[PersonAccessGrant]) -> Q:
    condition = Q(pk__in=[])
    for grant in grants:
        if grant.person_id:
            condition |= Q(pk=grant.person_id)
        else:
            condition |= Q(region__path__startswith=grant.region.path, pk__in=PersonTag.objects.filter(tag=grant.group).values("person_id"))
    return condition


def limit_persons(queryset: QuerySet, user: Any, action: Any = None) -> QuerySet:
    """Person rows of a region-restricted queryset that the two rules above also allow."""
    if not person_rules_apply(user):
        return queryset
    if not may_see_sensitive_groups(user):
        queryset = queryset.exclude(pk__in=_sensitive_person_ids())
    if needs_to_know(user):
        queryset = queryset.filter(_needed(user) | _granted(active_grants(user)))
    return queryset


def sensitive_person_ids(person_ids: Iterable[int]) -> set[int]:
    return set(PersonTag.objects.filter(person_id__in=list(person_ids), tag__in=SENSITIVE_GROUPS).values_list("person_id", flat=True))


def check_tag_filter(user: Any, tag: str | None) -> None:
    """Refuse a list filtered by a sensitive group to users without the permission (named by its code,
    its name or its key from before GB/T 31000)."""
    tag = groups.spelled(tag) or tag
    if tag and tag in SENSITIVE_GROUPS and not may_see_sensitive_groups(user):
        raise PermissionDenied(_("无权按敏感人群“%(group)s”筛选：需要“查看敏感人群”权限，请联系街道管理员。")
                               % {"group": KeyGroup(tag).label})


def log_person_list(*, user: Any, tag: str | None, channel: str, filters: dict | None = None, remote_addr: str = "") -> None:
    """A list of persons was read: log a filter by a sensitive group, and each grant it relied on."""
    tag = groups.spelled(tag) or tag
    if tag and tag in SENSITIVE_GROUPS:
        SensitiveAccess.objects.create(user=user, target_type="registry.persontag", target_id=tag, field="filter",
                                       channel=channel, remote_addr=remote_addr)
    if needs_to_know(user):
        for grant in active_grants(user):
            audit.record(actor=user, action="registry.grant_used", target=grant,
                         detail={"channel": channel, "list": {k: v for k, v in (filters or {}).items() if v}})


def log_person_views(*, user: Any, persons: Iterable[Any], channel: str, remote_addr: str = "") -> None:
    """These persons were shown one by one (a detail, the persons met on a visit): log each one in a
    sensitive group, and for a department each one it sees only through a grant."""
    persons = list(persons)
    if not persons or user is None or not user.is_authenticated:
        return
    ids = [p.pk for p in persons]
    sensitive = sensitive_person_ids(ids)
    if sensitive:
        SensitiveAccess.objects.bulk_create(
            SensitiveAccess(user=user, target_type="registry.person", target_id=str(pk), field="sensitive_group", channel=channel,
                            remote_addr=remote_addr) for pk in sorted(sensitive))
    if needs_to_know(user):
        from .models import Person

        needed = set(Person.objects.filter(pk__in=ids).filter(_needed(user)).values_list("pk", flat=True))
        for grant in active_grants(user):
            covered = Person.objects.filter(pk__in=[pk for pk in ids if pk not in needed]).filter(_granted([grant]))
            for person_id in covered.values_list("pk", flat=True):
                audit.record(actor=user, action="registry.grant_used", target=grant, detail={"channel": channel, "person": person_id})
