"""Reads over duty lists: which lists a user sees, a version's items, and what changed between
two versions."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet

from yiwang.core.scope import Action, role_allows, scope_path
from yiwang.regions.models import ancestor_paths

from .models import FIELD_LABELS, DutyItemRevision, DutyList, DutyListVersion, VersionStatus


def visible_lists(user) -> QuerySet[DutyList]:
    """Lists inside the user's scope, and those of the units above it: a grid worker reads the
    district's grid task list that decides what reaches the grid, a community its street's lists."""
    prefix = scope_path(user)
    if prefix is None or not role_allows(user, Action.VIEW):
        return DutyList.objects.none()
    if prefix == "":
        return DutyList.objects.all()
    return DutyList.objects.filter(Q(region__path__startswith=prefix) | Q(region__path__in=ancestor_paths(prefix)))


def lists_overview(user) -> QuerySet[DutyList]:
    return (visible_lists(user).select_related("region", "current_version")
            .annotate(pending=Count("versions", filter=Q(versions__status=VersionStatus.PROPOSED), distinct=True))
            .order_by("region__path", "kind"))


def revisions(version: DutyListVersion | None, *, q: str = "", category: str = "") -> QuerySet[DutyItemRevision]:
    """The items of a version with what pages show about them."""
    if version is None:
        return DutyItemRevision.objects.none()
    qs = (DutyItemRevision.objects.filter(version=version)
          .select_related("item", "item__primary", "item__backup", "department")
          .prefetch_related("matter_types").order_by("item__key"))
    if q:
        qs = qs.filter(Q(item__key__icontains=q) | Q(title__icontains=q) | Q(owner_unit__icontains=q)
                       | Q(legal_basis__icontains=q) | Q(note__icontains=q))
    if category:
        qs = qs.filter(category=category)
    return qs


def categories(version: DutyListVersion | None) -> list[str]:
    if version is None:
        return []
    return sorted(set(DutyItemRevision.objects.filter(version=version).exclude(category="").values_list("category", flat=True)))


# Diff --------------------------------------------------------------------------------------------

@dataclass
class FieldChange:
    field: str
    label: str
    old: str
    new: str
    # For matter types: the ones added and dropped, so a reader need not compare two long lists.
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


@dataclass
class ItemChange:
    key: str
    title: str
    old: DutyItemRevision
    new: DutyItemRevision
    fields: list[FieldChange]


@dataclass
class Diff:
    from_version: DutyListVersion | None
    to_version: DutyListVersion
    added: list[DutyItemRevision]
    removed: list[DutyItemRevision]
    changed: list[ItemChange]
    unchanged: int

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def as_dict(self) -> dict:
        return {
            "from_version": self.from_version.number if self.from_version else None,
            "to_version": self.to_version.number,
            "added": [revision_dict(r) for r in self.added],
            "removed": [revision_dict(r) for r in self.removed],
            "changed": [{"key": c.key, "title": c.title,
                         "fields": [{"field": f.field, "label": f.label, "old": f.old, "new": f.new,
                                     "added": f.added, "removed": f.removed} for f in c.fields]} for c in self.changed],
            "unchanged": self.unchanged,
        }


def matter_label(matter) -> str:
    return f"{matter.code} {matter.name}"


def revision_dict(r: DutyItemRevision) -> dict:
    return {
        "key": r.item.key, "item_id": r.item_id, "title": r.title, "category": r.category, "owner_unit": r.owner_unit,
        "department": r.department.name if r.department_id else None, "legal_basis": r.legal_basis,
        "matter_types": [matter.service_code for matter in r.matter_types.all()], "note": r.note,
    }


def _loaded(version: DutyListVersion | None) -> dict[int, DutyItemRevision]:
    if version is None:
        return {}
    return {r.item_id: r for r in DutyItemRevision.objects.filter(version=version).select_related("item", "department")
            .prefetch_related(Prefetch("matter_types")).order_by("item__key")}


def _text_fields(old: DutyItemRevision, new: DutyItemRevision) -> list[FieldChange]:
    out = []
    for name in ("title", "category", "owner_unit", "department", "legal_basis", "matter_types", "note"):
        if name == "department":
            before = old.department.name if old.department_id else ""
            after = new.department.name if new.department_id else ""
            if old.department_id != new.department_id:
                out.append(FieldChange(name, FIELD_LABELS[name], before, after))
        elif name == "matter_types":
            before_set = {m.pk: m for m in old.matter_types.all()}
            after_set = {m.pk: m for m in new.matter_types.all()}
            if set(before_set) != set(after_set):
                out.append(FieldChange(
                    name, FIELD_LABELS[name],
                    "、".join(matter_label(m) for m in sorted(before_set.values(), key=lambda m: m.code)),
                    "、".join(matter_label(m) for m in sorted(after_set.values(), key=lambda m: m.code)),
                    added=[matter_label(after_set[k]) for k in sorted(set(after_set) - set(before_set), key=lambda k: after_set[k].code)],
                    removed=[matter_label(before_set[k]) for k in sorted(set(before_set) - set(after_set), key=lambda k: before_set[k].code)],
                ))
        elif getattr(old, name) != getattr(new, name):
            out.append(FieldChange(name, FIELD_LABELS[name], getattr(old, name), getattr(new, name)))
    return out


def diff(from_version: DutyListVersion | None, to_version: DutyListVersion) -> Diff:
    """Items added, removed and changed (field by field, matter types included) from one version
    of a list to another; `from_version=None` treats every item of `to_version` as added."""
    if from_version is not None and from_version.duty_list_id != to_version.duty_list_id:
        raise ValueError("both versions must belong to the same list")
    before, after = _loaded(from_version), _loaded(to_version)
    added = [after[i] for i in after if i not in before]
    removed = [before[i] for i in before if i not in after]
    changed, unchanged = [], 0
    for item_id in after:
        if item_id not in before:
            continue
        fields = _text_fields(before[item_id], after[item_id])
        if fields:
            new = after[item_id]
            changed.append(ItemChange(key=new.item.key, title=new.title, old=before[item_id], new=new, fields=fields))
        else:
            unchanged += 1
    by_key = lambda r: r.item.key  # noqa: E731
    return Diff(from_version=from_version, to_version=to_version, added=sorted(added, key=by_key),
                removed=sorted(removed, key=by_key), changed=sorted(changed, key=lambda c: c.key), unchanged=unchanged)
