"""What the three registry importers share: the grid column, who may import, the grids a file
names (checked against the importer's scope), and the spellings each choice is accepted in."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils import translation
from django.utils.translation import gettext

from yiwang.core import audit
from yiwang.core.bulk import chunks, parameter_chunk_size
from yiwang.core.importing import Column, Importer
from yiwang.core.scope import Action, role_allows, scope_path
from yiwang.regions.models import Level, Region

BATCH_SIZE = 2000
REGION_CODE = Column("region_code", "网格编码", ("所属网格", "网格代码", "网格编号", "所属网格编码", "grid_code", "grid"), required=True)


class RegistryImporter(Importer):
    """A registry import: the role must be allowed to change data; each file leaves an audit entry."""

    kind = ""  # persons, houses, places: the audit entry's "kind"
    target_type = ""

    def authorize(self) -> None:
        if self.acting_user is not None and not role_allows(self.acting_user, Action.CHANGE):
            raise PermissionDenied(gettext("您的角色不能修改基础数据，不能导入"))

    def audit(self, **figures: Any) -> None:
        audit.record(actor=self.acting_user, action="registry.import", target_type=self.target_type,
                     detail={"kind": self.kind, "file": self.file_label(), **figures})  # fmt: skip


def choices(options: Iterable[tuple[str, str]], **extra: str) -> dict[str, str]:
    """Accepted spellings (label, code, extras; case-insensitive) -> stored value."""
    lookup = {}
    for value, label in options:
        # Files may come from the Chinese or the English interface.
        for language in ("zh-hans", "en"):
            with translation.override(language):
                lookup[str(label).lower()] = value
        lookup[str(value).lower()] = value
    lookup.update({k.lower(): v for k, v in extra.items()})
    return lookup


class Regions:
    """Grids and micro-grids named in a file, checked against the acting user's scope once per code."""

    def __init__(self, codes: Iterable[str], *, acting_user: Any):
        codes = sorted({c for c in codes if c})
        self._found: dict[str, tuple[int, str, str, str]] = {}
        for chunk in chunks(codes, parameter_chunk_size()):
            for code, pk, level, path, name in Region.objects.filter(code__in=chunk).values_list("code", "id", "level", "path", "name"):
                self._found[code] = (pk, level, path, name)
        self._prefix = scope_path(acting_user) if acting_user is not None else ""
        self._cache: dict[str, tuple[int | None, str]] = {}

    def resolve(self, code: str) -> tuple[int | None, str]:
        """(region id, "") or (None, why not)."""
        cached = self._cache.get(code)
        if cached is None:
            cached = self._cache[code] = self._resolve(code)
        return cached

    def _resolve(self, code: str) -> tuple[int | None, str]:
        if not code:
            return None, "网格编码为空"
        found = self._found.get(code)
        if found is None:
            return None, f"网格编码 {code} 不存在"
        pk, level, path, name = found
        if level not in (Level.GRID, Level.MICRO_GRID):
            return None, f"{code}（{name}）是{Level(level).label}，应填写网格或微网格的编码"
        if self._prefix is None or not path.startswith(self._prefix):
            return None, f"网格编码 {code} 不在你的数据范围内"
        return pk, ""

    def in_scope(self, path: str) -> bool:
        return self._prefix is not None and path.startswith(self._prefix)


def too_long(value: str, limit: int) -> str:
    return f"超过{limit}个字（{len(value)}个字）" if len(value) > limit else ""


def masked(value: str) -> bool:
    return "*" in value
