"""Factories for this app's scoped models: `def <model_name>(region)` makes one row inside `region`
(a micro-grid or grid). tests/factories.py finds them by model name."""

from __future__ import annotations

import itertools

from django.utils import timezone

_seq = itertools.count(1)


def dutylist(region, kind: str | None = None):
    """A list owned by `region` with an approved first version of one item (a kind the region has
    no list of yet, since each region holds one list per kind)."""
    from yiwang.duties.models import DutyItem, DutyItemRevision, DutyList, DutyListVersion, ListKind, VersionStatus

    taken = set(DutyList.objects.filter(region=region).values_list("kind", flat=True))
    kind = kind or next(k for k in ListKind.values if k not in taken)
    n = next(_seq)
    duty_list = DutyList.objects.create(region=region, kind=kind, name=f"{region.name}测试清单{n}")
    version = DutyListVersion.objects.create(duty_list=duty_list, number=1, status=VersionStatus.APPROVED, reason="测试",
                                             proposed_at=timezone.now(), decided_at=timezone.now())
    item = DutyItem.objects.create(duty_list=duty_list, key=f"T-{n:03d}", title=f"测试事项{n}", in_force=True)
    DutyItemRevision.objects.create(version=version, item=item, title=item.title, owner_unit="测试单位")
    duty_list.current_version = version
    duty_list.save(update_fields=["current_version"])
    return duty_list


def dutylistversion(region):
    return dutylist(region).current_version


def dutyitem(region):
    return dutylist(region).items.get()


def dutyitemrevision(region):
    return dutylist(region).current_version.revisions.get()
