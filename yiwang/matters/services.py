"""Writes to the catalogue: every change to a matter type is versioned and audited."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from yiwang.core import audit
from yiwang.core.audit import account
from yiwang.core.stamped import StampedCache, table_stamp

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
    version = MatterTypeVersion.objects.create(matter=matter, number=matter.version, snapshot=snapshot, created_by=account(acting_user))
    transaction.on_commit(_catalogue.invalidate)
    audit.record(actor=acting_user, action="matter.version", target=matter, detail={"version": matter.version})
    return version


@dataclass(frozen=True)
class Catalogue:
    """Every matter type and its latest version, shared read-only by the requests of one process."""

    by_key: dict[tuple[str, str], MatterType]
    by_code: dict[str, list[MatterType]]
    latest: dict[int, MatterTypeVersion]


def _build_catalogue() -> Catalogue:
    matters = list(MatterType.objects.all())
    latest = {}
    for version in MatterTypeVersion.objects.order_by("matter_id", "number"):
        latest[version.matter_id] = version
    by_code: dict[str, list[MatterType]] = {}
    for matter in matters:
        by_code.setdefault(matter.code, []).append(matter)
    return Catalogue(by_key={(m.kind, m.code): m for m in matters}, by_code=by_code, latest=latest)


_catalogue = StampedCache(stamp=lambda: table_stamp(MatterType.objects.all()), build=_build_catalogue)


def catalogue() -> Catalogue:
    return _catalogue.get()


def find_matter(code: str, *, active_only: bool = True) -> MatterType:
    """A matter type by its service code ("event-06010") or a bare code that only one kind uses."""
    kind, _, bare = code.partition("-") if "-" in code else ("", "", code)
    known = catalogue()
    found = [known.by_key[(kind, bare)]] if kind and (kind, bare) in known.by_key else [] if kind else list(known.by_code.get(bare, []))
    found = [m for m in found if m.active or not active_only]
    if len(found) != 1:
        raise ValidationError({"matter": f"unknown matter code {code!r}" if not found else f"{code!r} is ambiguous: give kind-code, e.g. event-{code}"})
    return found[0]


def current_version(matter: MatterType) -> MatterTypeVersion:
    cached = catalogue().latest.get(matter.pk)
    if cached is not None and cached.number == matter.version:
        return cached
    version = matter.versions.order_by("-number").first()
    if version is None:  # a type created outside save_matter_type (e.g. a bare admin insert)
        version = save_matter_type(matter, acting_user=None)
    return version
