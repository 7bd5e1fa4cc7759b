"""The registry's person groups (重点人群), read from `groups.toml`: the classes of GB/T 31000-2015
《社会治安综合治理基础数据规范》 (特殊人群, 重点青少年) and our local "X" classes.

`models.KeyGroup` (the choices every tag, grant and care plan stores) and `models.SENSITIVE_GROUPS` are
built from this file; the importer reads a group by its code, its name, an alias or the key the registry
stored before (`spelled`). docs/data-standards.md says what is mapped and which codes are ours.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

DATA_FILE = Path(__file__).with_name("groups.toml")
STANDARD = "GB/T 31000-2015《社会治安综合治理基础数据规范》"
LOCAL_CLASS = "本地扩展（X）"
STANDARD_CLASSES = ("实有人口", "特殊人群", "重点青少年", LOCAL_CLASS)
CODE_SOURCES = ("standard", "local")
_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{1,31}$")  # fits the 32-character tag columns
_MEMBER = re.compile(r"^[A-Z][A-Z0-9_]*$")


@dataclass(frozen=True)
class PersonGroup:
    code: str
    name: str
    standard_class: str
    sensitive: bool
    code_source: str
    member: str
    legacy_keys: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()

    @property
    def national(self) -> bool:
        """A class of the standard (not one of our X classes)."""
        return self.standard_class != LOCAL_CLASS


def parse(text: str) -> tuple[PersonGroup, ...]:
    """The groups of a groups.toml text, checked: a bad file stops the start-up with what is wrong."""
    try:
        entries = tomllib.loads(text).get("group", [])
    except tomllib.TOMLDecodeError as exc:
        raise ImproperlyConfigured(f"groups.toml：不是有效的 TOML（{exc}）") from exc
    groups, seen = [], set()
    for number, entry in enumerate(entries, start=1):
        where = f"groups.toml 第{number}个 [[group]]"
        try:
            group = PersonGroup(code=entry["code"], name=entry["name"], standard_class=entry["standard_class"],
                                sensitive=bool(entry["sensitive"]), code_source=entry["code_source"], member=entry["member"],
                                legacy_keys=tuple(entry.get("legacy_keys", ())), aliases=tuple(entry.get("aliases", ())))
        except KeyError as exc:
            raise ImproperlyConfigured(f"{where}：缺少 {exc.args[0]}") from exc
        if not _CODE.match(group.code):
            raise ImproperlyConfigured(f"{where}：代码 {group.code!r} 应为字母开头的 2–32 位字母、数字或下划线")
        if not _MEMBER.match(group.member):
            raise ImproperlyConfigured(f"{where}：member {group.member!r} 应为大写字母、数字和下划线")
        if group.standard_class not in STANDARD_CLASSES:
            raise ImproperlyConfigured(f"{where}：未知的标准类别 {group.standard_class}（可用：{'、'.join(STANDARD_CLASSES)}）")
        if group.code_source not in CODE_SOURCES:
            raise ImproperlyConfigured(f"{where}：code_source 应为 standard 或 local")
        if not group.national and group.code_source == "standard":
            raise ImproperlyConfigured(f"{where}：本地扩展类别的代码只能是我们自己的（local）")
        for spelling in (group.code, group.member, group.name, *group.legacy_keys, *group.aliases):
            key = ("member" if spelling == group.member else "spelling", spelling.lower())
            if key in seen:
                raise ImproperlyConfigured(f"{where}：{spelling} 与前面的人群重复")
            seen.add(key)
        groups.append(group)
    if not groups:
        raise ImproperlyConfigured("groups.toml：没有任何人群")
    return tuple(groups)


@cache
def all_groups() -> tuple[PersonGroup, ...]:
    return parse(DATA_FILE.read_text(encoding="utf-8"))


def by_code(code: str) -> PersonGroup | None:
    return next((g for g in all_groups() if g.code == code), None)


def sensitive_codes() -> frozenset[str]:
    return frozenset(g.code for g in all_groups() if g.sensitive)


@cache
def spellings() -> dict[str, str]:
    """Every accepted spelling (lower case) -> code."""
    lookup: dict[str, str] = {}
    for group in all_groups():
        for spelling in (group.code, group.name, *group.legacy_keys, *group.aliases):
            lookup[spelling.lower()] = group.code
    return lookup


def spelled(spelling: str) -> str | None:
    """The code of the group `spelling` names (its code, the standard's name, an alias, or the key the
    registry stored before it followed the standard); None when it names none."""
    return spellings().get((spelling or "").strip().lower())


def legacy_mapping() -> dict[str, str]:
    """Old stored key -> code, for the keys that moved (the X classes kept theirs)."""
    return {old: g.code for g in all_groups() for old in g.legacy_keys}


# How migration registry 0006 moved the stored keys onto the standard's classes: frozen, whatever
# groups.toml says later (a test checks the two agreed when it was written).
MOVED_TO_GBT31000 = {
    "released_prisoner": "TS01", "community_correction": "TS02", "mental_illness": "TS03", "drug_user": "TS04",
    "left_behind_child": "QS05", "key_youth": "QS99",
}
# Back again: the new kinds of 重点青少年 fold into the old single tag (sealed like them); 艾滋病危险人员
# had no old tag, so going back is refused while any row holds it rather than dropping or unsealing it.
MOVED_BACK = {**{code: old for old, code in MOVED_TO_GBT31000.items()}, "QS01": "key_youth", "QS02": "key_youth",
              "QS03": "key_youth", "QS04": "key_youth"}
NO_WAY_BACK = ("TS05",)


def rekey(model, field: str, mapping: dict[str, str], *, together: tuple[str, ...] = (), chunk: int = 500) -> int:
    """Move the group keys stored in `model.field` by `mapping` (a migration's data step). A row whose
    new key its `together` fields already hold (the same person tagged twice) is deleted, not duplicated.
    Returns the rows moved."""
    moved = 0
    for old, new in mapping.items():
        rows = list(model.objects.filter(**{field: old}).values_list("pk", *together))
        if not rows:
            continue
        taken = set(model.objects.filter(**{field: new}).values_list(*together)) if together else set()
        clashing = [row[0] for row in rows if together and tuple(row[1:]) in taken]
        keep = [row[0] for row in rows if not (together and tuple(row[1:]) in taken)]
        for start in range(0, len(clashing), chunk):
            model.objects.filter(pk__in=clashing[start:start + chunk]).delete()
        for start in range(0, len(keep), chunk):
            moved += model.objects.filter(pk__in=keep[start:start + chunk]).update(**{field: new})
    return moved


def refuse_unmappable(model, field: str) -> None:
    """Stop a backward migration that would leave a row in a class the old code does not know."""
    from django.db.migrations.exceptions import IrreversibleError

    stranded = model.objects.filter(**{field + "__in": NO_WAY_BACK}).count()
    if stranded:
        raise IrreversibleError(f"{model._meta.label} 有 {stranded} 行属于旧版本没有的人群（{'、'.join(NO_WAY_BACK)}），"
                                "请先改为其他人群再回退")
