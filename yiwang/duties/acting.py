"""Which duty list item answers for a matter at a unit: the most specific duty a case can be put on
(cases.desks asks here before falling back to a board's or a unit's desk)."""

from __future__ import annotations

from django.db.models import F

from yiwang.ab_roles.units import can_handle_at

from .models import DutyItem


def item_for_matter(*, matter_id: int, level: str, region) -> DutyItem | None:
    """The item of the unit's own duty lists (in force) that covers the matter and names people who
    can handle work at that level there."""
    items = (DutyItem.objects.filter(duty_list__region_id=region.pk, in_force=True, primary__isnull=False,
                                     revisions__version_id=F("duty_list__current_version_id"), revisions__matter_types=matter_id)
             .select_related("primary__scope_region", "backup__scope_region", "duty_list").order_by("duty_list__kind", "key"))
    for item in items[:5]:
        people = [p for p in (item.primary, item.backup) if p is not None]
        if all(can_handle_at(p, level=level, region=region) for p in people):
            return item
    return None
