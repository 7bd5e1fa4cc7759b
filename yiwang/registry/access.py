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
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core import audit
from yiwang.core.models import SensitiveAccess
from yiwang.core.scope import may_see_sensitive_groups, needs_to_know, scope_path

from .models import SENSITIVE_GROUPS, KeyGroup, PersonAccessGrant, PersonTag

__all__ = ["needs_to_know", "may_see_sensitive_groups", "person_rules_apply", "limit_persons", "known_cases", "active_grants",
           "check_tag_filter", "log_person_views", "log_person_list", "sensitive_person_ids"]


def person_rules_apply(user: Any) -> bool:
    """True when `restrict` must look past the region for this user (else it is the region rule alone)."""
    if scope_path(user) in (None, ""):
        return False
    return needs_to_know(user) or not may_see_sensitive_groups(user)


def _sensitive_person_ids() -> QuerySet:
    return PersonTag.objects.filter(tag__in=SENSITIVE_GROUPS).values("person_id")


def known_cases(user: Any) -> QuerySet:
    """The cases through which a department knows persons: the ones it may see (handles or is
    summoned to) that are open or closed within the last REGISTRY_CASE_ACCESS_DAYS."""
    from yiwang.cases.models import OPEN_STATUSES, Case

    since = timezone.now() - timedelta(days=settings.REGISTRY_CASE_ACCESS_DAYS)
    return Case.objects.restrict(user).filter(Q(status__in=OPEN_STATUSES) | Q(closed_at__gte=since))


def active_grants(user: Any) -> QuerySet:
    return PersonAccessGrant.objects.active().filter(department__members=user).select_related("region")


def _case_named(user: Any) -> Q:
    from yiwang.gridwork.models import HomeVisit

    cases = known_cases(user)
    met = HomeVisit.persons.through.objects.filter(homevisit__findings__case__in=cases.values("pk")).values("person_id")
    return Q(phone_digest__in=cases.exclude(phone_digest="").values("phone_digest")) | Q(pk__in=met)


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
        queryset = queryset.filter(_case_named(user) | _granted(active_grants(user)))
    return queryset


def sensitive_person_ids(person_ids: Iterable[int]) -> set[int]:
    return set(PersonTag.objects.filter(person_id__in=list(person_ids), tag__in=SENSITIVE_GROUPS).values_list("person_id", flat=True))


def check_tag_filter(user: Any, tag: str | None) -> None:
    """Refuse a list filtered by a sensitive group to users without the permission."""
    if tag and tag in SENSITIVE_GROUPS and not may_see_sensitive_groups(user):
        raise PermissionDenied(_("无权按敏感人群“%(group)s”筛选：需要“查看敏感人群”权限，请联系街道管理员。")
                               % {"group": KeyGroup(tag).label})


def log_person_list(*, user: Any, tag: str | None, channel: str, filters: dict | None = None, remote_addr: str = "") -> None:
    """A list of persons was read: log a filter by a sensitive group, and each grant it relied on."""
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

        by_case = set(Person.objects.filter(pk__in=ids).filter(_case_named(user)).values_list("pk", flat=True))
        for grant in active_grants(user):
            covered = Person.objects.filter(pk__in=[pk for pk in ids if pk not in by_case]).filter(_granted([grant]))
            for person_id in covered.values_list("pk", flat=True):
                audit.record(actor=user, action="registry.grant_used", target=grant, detail={"channel": channel, "person": person_id})
