"""Writes to duty lists: create a list, propose a change, approve or reject it (清单动态调整).

Rules, in one place:
- Whoever may change data at the list's region may propose (a street for its street lists, a
  community for its community lists, the district for all of them).
- Only someone whose scope is strictly above the list's region decides (the district for street
  lists, the street for community lists), or a superuser; never the person who proposed.
- A proposal names the version it was based on. Approving it once another change has landed
  would silently undo that change, so it is refused: propose again on the current version.
  The list row is locked while deciding, so two approvals cannot both land.

Bad input raises ValidationError naming the item key and the field ("FD-001.title"); nothing is
written then. Every step is audited with who and why.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext

from yiwang.core import audit
from yiwang.core.audit import account
from yiwang.core.scope import DESK_ROLES, Action, Role, require, role_allows, scope_path
from yiwang.core.statemachine import StateMachine, Transition
from yiwang.matters.models import Department, MatterType
from yiwang.regions.models import Level, Region

from .models import FIELD_LABELS, KIND_LEVELS, DutyItem, DutyItemRevision, DutyList, DutyListVersion, ListKind, VersionStatus

ADD, CHANGE, REMOVE = "add", "change", "remove"
OPS = {ADD: "新增", CHANGE: "修改", REMOVE: "删除"}
# Content fields of an item, in the order pages show them.
FIELDS = ("title", "category", "owner_unit", "department", "legal_basis", "matter_types", "note")
TEXT_LIMITS = {"title": 200, "category": 50, "owner_unit": 100, "legal_basis": 4000, "note": 2000}
KEY_PATTERN = re.compile(r"^[0-9A-Za-z\u4e00-\u9fff][0-9A-Za-z\u4e00-\u9fff_.\-]{0,31}$")
_SEPARATORS = re.compile(r"[\s,，、;；]+")
SYSTEM_NOTE = "系统初始导入"

# A proposed version is approved (and becomes current, superseding the one before) or rejected.
VERSION_MACHINE = StateMachine([
    Transition("approve", VersionStatus.PROPOSED, VersionStatus.APPROVED, stamp="decided_at"),
    Transition("reject", VersionStatus.PROPOSED, VersionStatus.REJECTED, stamp="decided_at"),
    Transition("supersede", VersionStatus.APPROVED, VersionStatus.SUPERSEDED),
])


@dataclass(frozen=True)
class ItemContent:
    """What one item says; equal contents mean "unchanged"."""

    title: str
    category: str = ""
    owner_unit: str = ""
    department_id: int | None = None
    legal_basis: str = ""
    matter_type_ids: frozenset[int] = field(default_factory=frozenset)
    note: str = ""

    @classmethod
    def of(cls, revision: DutyItemRevision, matter_type_ids: Iterable[int]) -> ItemContent:
        return cls(title=revision.title, category=revision.category, owner_unit=revision.owner_unit,
                   department_id=revision.department_id, legal_basis=revision.legal_basis,
                   matter_type_ids=frozenset(matter_type_ids), note=revision.note)


# Permissions -------------------------------------------------------------------------------------

def can_propose(user, duty_list: DutyList) -> bool:
    try:
        require(user, Action.CHANGE, duty_list.region.path)
    except PermissionDenied:
        return False
    return True


def can_decide(user, duty_list: DutyList) -> bool:
    """Strictly above the list's region (or a superuser); the proposer check is separate. A
    district's own lists (the grid task list) have nobody above them in the system: another
    district coordinator decides, so a change still needs a second person."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    prefix = scope_path(user)
    path = duty_list.region.path
    if not prefix or not role_allows(user, Action.CHANGE) or not path.startswith(prefix):
        return False
    return len(prefix) < len(path) or (duty_list.region.level == Level.DISTRICT and user.role == Role.DISTRICT)


def may_decide(user, version: DutyListVersion) -> bool:
    """What the review page asks: may this user approve or reject this proposal now?"""
    return (version.status == VersionStatus.PROPOSED and can_decide(user, version.duty_list)
            and not (version.proposed_by_id and version.proposed_by_id == getattr(user, "pk", None)))


def _require_propose(user, duty_list: DutyList) -> None:
    if not can_propose(user, duty_list):
        raise PermissionDenied(gettext("您无权调整%(region)s的清单（需要该区域的修改权限）") % {"region": duty_list.region.name})


def _require_decide(user, duty_list: DutyList, version: DutyListVersion) -> None:
    if not can_decide(user, duty_list):
        raise PermissionDenied(gettext("%(region)s的清单须由上级审批（区审批街道清单，街道审批社区清单）") % {"region": duty_list.region.name})
    if version.proposed_by_id and version.proposed_by_id == user.pk:
        raise PermissionDenied(gettext("不能审批自己提出的调整"))


# Reading what people hand in ---------------------------------------------------------------------

class Problems:
    """Errors collected across all changes, so one answer lists every problem at once."""

    def __init__(self):
        self.items: list[tuple[str, str, str]] = []

    def add(self, label: str, field_name: str, message: str) -> None:
        self.items.append((label, field_name, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def as_error(self) -> ValidationError:
        errors: dict[str, list[str]] = {}
        for label, field_name, message in self.items:
            where = f"{label}.{field_name}" if label else field_name
            errors.setdefault(where, []).append(f"{label}：{message}" if label else message)
        return ValidationError(errors)


def _split_codes(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part for part in _SEPARATORS.split(value.strip()) if part]
    if isinstance(value, MatterType | int):
        return [value]
    return list(value)


def _resolve_matter_types(value: Any) -> tuple[frozenset[int], list[str]]:
    """Matter types given as instances, ids, service codes ("event-06010") or unambiguous bare
    codes ("S0001"); returns (ids, codes not understood)."""
    from yiwang.matters.services import catalogue

    known = catalogue()
    known_ids = {m.pk for m in known.by_key.values()}
    ids, unknown = set(), []
    for token in _split_codes(value):
        if isinstance(token, MatterType):
            ids.add(token.pk)
            continue
        if isinstance(token, int):
            if token in known_ids:
                ids.add(token)
            else:
                unknown.append(str(token))
            continue
        text = str(token).strip()
        kind, _, bare = text.partition("-")
        if bare and (kind, bare) in known.by_key:
            ids.add(known.by_key[(kind, bare)].pk)
        elif len(known.by_code.get(text, [])) == 1:
            ids.add(known.by_code[text][0].pk)
        else:
            unknown.append(text)
    return frozenset(ids), unknown


def _resolve_department(value: Any) -> tuple[int | None, str | None]:
    """(department id, problem) from an instance, an id or a department code."""
    if value in (None, ""):
        return None, None
    if isinstance(value, Department):
        return value.pk, None
    if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
        found = Department.objects.filter(pk=int(value)).values_list("pk", flat=True).first()
    else:
        found = Department.objects.filter(code=str(value).strip()).values_list("pk", flat=True).first()
    return (found, None) if found else (None, f"找不到编号为 {value} 的部门")


def apply_fields(content: ItemContent, values: Mapping[str, Any], label: str, problems: Problems) -> ItemContent:
    """`content` with the given fields replaced (only those present in `values`)."""
    changes: dict[str, Any] = {}
    for name in FIELDS:
        if name not in values:
            continue
        value = values[name]
        if name == "department":
            department_id, problem = _resolve_department(value)
            if problem:
                problems.add(label, name, f"{FIELD_LABELS[name]}有误，{problem}")
            changes["department_id"] = department_id
        elif name == "matter_types":
            ids, unknown = _resolve_matter_types(value)
            if unknown:
                problems.add(label, name, f"{FIELD_LABELS[name]}中的 {'、'.join(unknown)} 不在事项目录中")
            changes["matter_type_ids"] = ids
        else:
            text = "" if value is None else str(value).strip()
            if len(text) > TEXT_LIMITS[name]:
                problems.add(label, name, f"{FIELD_LABELS[name]}太长（最多 {TEXT_LIMITS[name]} 字）")
            changes[name] = text
    result = replace(content, **changes)
    if not result.title:
        problems.add(label, "title", f"{FIELD_LABELS['title']}不能为空")
    return result


def check_key(raw: Any, label: str, problems: Problems) -> str:
    key = "" if raw is None else str(raw).strip()
    if not key:
        problems.add(label, "key", "缺少事项编号")
    elif not KEY_PATTERN.match(key):
        problems.add(label, "key", f"编号 {key!r} 不合规（最多 32 个字符，只用字母、数字、汉字和 - _ .）")
    return key


def _plan_changes(base: dict[str, ItemContent], changes: Sequence[Mapping[str, Any]], base_label: str,
                  problems: Problems) -> dict[str, ItemContent]:
    """The item contents after `changes` are applied to `base` (key -> content)."""
    result = dict(base)
    seen: set[str] = set()
    for position, change in enumerate(changes, start=1):
        if not isinstance(change, Mapping):
            problems.add(f"第{position}条", "op", "应为一个事项的调整内容")
            continue
        key = check_key(change.get("key"), f"第{position}条", problems)
        label = key or f"第{position}条"
        op = str(change.get("op") or "").strip()
        unknown = set(change) - {"op", "key", *FIELDS}
        for name in sorted(unknown):
            problems.add(label, name, f"不认识的字段 {name}")
        if op not in OPS:
            problems.add(label, "op", "操作应为 新增（add）、修改（change）或 删除（remove）")
            continue
        if not key:
            continue
        if key in seen:
            problems.add(label, "key", "同一事项在本次调整中出现了不止一次")
            continue
        seen.add(key)
        if op == ADD:
            if key in base:
                problems.add(label, "key", f"{base_label}已有此事项，请用“修改”")
                continue
            result[key] = apply_fields(ItemContent(title=""), change, label, problems)
        elif key not in base:
            problems.add(label, "key", f"{base_label}中没有此事项")
        elif op == REMOVE:
            del result[key]
        else:
            updated = apply_fields(base[key], change, label, problems)
            if updated == base[key]:
                problems.add(label, "op", f"内容与{base_label}相同，没有修改")
            result[key] = updated
    return result


# Reading versions --------------------------------------------------------------------------------

def contents_of(version: DutyListVersion | None) -> dict[str, ItemContent]:
    """key -> content of every item of a version (empty for none)."""
    if version is None:
        return {}
    revisions = list(DutyItemRevision.objects.filter(version=version).select_related("item"))
    through = DutyItemRevision.matter_types.through
    matter_ids: dict[int, set[int]] = {}
    for revision_id, matter_id in through.objects.filter(dutyitemrevision__version=version).values_list("dutyitemrevision_id", "mattertype_id"):
        matter_ids.setdefault(revision_id, set()).add(matter_id)
    return {r.item.key: ItemContent.of(r, matter_ids.get(r.pk, ())) for r in revisions}


def _version_label(version: DutyListVersion | None) -> str:
    return "现行版本" if version is None else f"现行第{version.number}版"


# Writing -----------------------------------------------------------------------------------------

def _write_version(duty_list: DutyList, *, base: DutyListVersion | None, contents: dict[str, ItemContent], reason: str,
                   acting_user) -> DutyListVersion:
    """A new proposed version holding `contents`; items are created for keys the list never had."""
    number = (DutyListVersion.objects.filter(duty_list=duty_list).aggregate(n=Max("number"))["n"] or 0) + 1
    version = DutyListVersion.objects.create(duty_list=duty_list, number=number, status=VersionStatus.PROPOSED, based_on=base,
                                             reason=reason, proposed_by=account(acting_user), proposed_at=timezone.now())
    items = {item.key: item for item in DutyItem.objects.filter(duty_list=duty_list)}
    new_keys = [key for key in contents if key not in items]
    if new_keys:
        DutyItem.objects.bulk_create([DutyItem(duty_list=duty_list, key=key) for key in new_keys])
        items = {item.key: item for item in DutyItem.objects.filter(duty_list=duty_list)}
    revisions = DutyItemRevision.objects.bulk_create([
        DutyItemRevision(version=version, item=items[key], title=c.title, category=c.category, owner_unit=c.owner_unit,
                         department_id=c.department_id, legal_basis=c.legal_basis, note=c.note)
        for key, c in sorted(contents.items())
    ])
    if any(r.pk is None for r in revisions):  # a backend that does not return keys from bulk inserts
        by_item = dict(DutyItemRevision.objects.filter(version=version).values_list("item_id", "pk"))
        for r in revisions:
            r.pk = by_item[r.item_id]
    through = DutyItemRevision.matter_types.through
    through.objects.bulk_create([
        through(dutyitemrevision_id=r.pk, mattertype_id=matter_id)
        for r, (key, c) in zip(revisions, sorted(contents.items()), strict=True) for matter_id in sorted(c.matter_type_ids)
    ])
    return version


def _summary(base: dict[str, ItemContent], after: dict[str, ItemContent]) -> dict[str, list[str]]:
    return {
        "added": sorted(set(after) - set(base)),
        "removed": sorted(set(base) - set(after)),
        "changed": sorted(k for k in set(base) & set(after) if base[k] != after[k]),
    }


def _check_region(region: Region, kind: str, problems: Problems) -> None:
    if kind not in ListKind.values:
        problems.add("", "kind", f"不认识的清单类型 {kind}")
        return
    levels = KIND_LEVELS[kind]
    if region.level not in levels:
        allowed = "、".join(str(Level(level).label) for level in levels)
        problems.add("", "region", f"{ListKind(kind).label}只能由{allowed}设立，{region.name}是{Level(region.level).label}")


def create_list(*, region: Region, kind: str, rows: Sequence[Mapping[str, Any]], acting_user, reason: str = "",
                name: str = "") -> DutyList:
    """A new list with its first version built from `rows` (each: key and the item's fields).

    Made by a person, the first version is a proposal the level above approves like any other.
    Made by the system (`acting_user=None`: the demo, an initial load), it is in force at once."""
    with transaction.atomic():
        region = Region.objects.get(pk=region.pk)
        if acting_user is not None:
            require(acting_user, Action.CHANGE, region.path)
        problems = Problems()
        _check_region(region, kind, problems)
        if not problems and DutyList.objects.filter(region=region, kind=kind).exists():
            problems.add("", "kind", f"{region.name}已有{ListKind(kind).label}，请在原清单上提出调整")
        if len((name or "").strip()) > DutyList._meta.get_field("name").max_length:
            problems.add("", "name", f"清单名称最多 {DutyList._meta.get_field('name').max_length} 个字")
        reason = (reason or "").strip() or (SYSTEM_NOTE if acting_user is None else "")
        if not reason:
            problems.add("", "reason", "请填写设立清单的理由或依据")
        changes = [{**row, "op": ADD} for row in rows]
        contents = _plan_changes({}, changes, "新清单", problems)
        if not contents and not problems:
            problems.add("", "changes", "清单至少要有一个事项")
        if problems:
            raise problems.as_error()
        label = ListKind(kind).label
        duty_list = DutyList.objects.create(region=region, kind=kind, name=(name or "").strip() or f"{region.name}{label}")
        version = _write_version(duty_list, base=None, contents=contents, reason=reason, acting_user=acting_user)
        audit.record(actor=acting_user, action="duties.create", target=duty_list,
                     detail={"kind": kind, "region": region.code, "version": version.number, "items": len(contents), "reason": reason})
        if acting_user is None:
            _approve(duty_list, version, decided_by=None, note=SYSTEM_NOTE)
        return duty_list


def propose_change(duty_list: DutyList, *, acting_user, reason: str, changes: Sequence[Mapping[str, Any]]) -> DutyListVersion:
    """A proposed new version: the current one with `changes` applied.

    Each change is {"op": "add"|"change"|"remove", "key": ..., field: value ...}. For "change",
    only the fields given are replaced. Fields: title, category, owner_unit, department (id,
    code or instance), legal_basis, matter_types (ids, codes such as "event-06010" or "S0001",
    or instances), note."""
    with transaction.atomic():
        # Locked so that version numbers and new item keys are handed out one proposal at a time.
        duty_list = DutyList.objects.select_for_update().get(pk=duty_list.pk)
        duty_list = DutyList.objects.select_related("region", "current_version").get(pk=duty_list.pk)
        _require_propose(acting_user, duty_list)
        problems = Problems()
        reason = (reason or "").strip()
        if not reason:
            problems.add("", "reason", "请填写调整理由")
        base = duty_list.current_version
        before = contents_of(base)
        after = _plan_changes(before, list(changes or []), _version_label(base), problems)
        if not problems and after == before:
            problems.add("", "changes", "没有任何调整：请至少新增、修改或删除一个事项")
        if problems:
            raise problems.as_error()
        version = _write_version(duty_list, base=base, contents=after, reason=reason, acting_user=acting_user)
        audit.record(actor=acting_user, action="duties.propose", target=version,
                     detail={"list": duty_list.pk, "number": version.number, "based_on": base.number if base else None,
                             "reason": reason, **_summary(before, after)})
        return version


def propose_replacement(duty_list: DutyList, *, acting_user, reason: str, rows: Sequence[Mapping[str, Any]]) -> DutyListVersion:
    """A proposal that makes the list exactly `rows` (as an import does): items missing from the
    rows are removed, differing ones updated, new ones added; identical rows are no change."""
    current = DutyList.objects.select_related("current_version").get(pk=duty_list.pk).current_version
    before = contents_of(current)
    changes: list[dict[str, Any]] = []
    listed: set[str] = set()
    for row in rows:
        key = str(row.get("key") or "").strip()
        listed.add(key)
        # Columns the file does not have leave those fields as they are.
        values = {name: row[name] for name in FIELDS if name in row}
        if key in before:
            probe = Problems()
            if apply_fields(before[key], values, key, probe) == before[key] and not probe:
                continue
            changes.append({**values, "key": key, "op": CHANGE})
        else:
            changes.append({**values, "key": key, "op": ADD})
    changes += [{"op": REMOVE, "key": key} for key in sorted(set(before) - listed)]
    return propose_change(duty_list, acting_user=acting_user, reason=reason, changes=changes)


def _approve(duty_list: DutyList, version: DutyListVersion, *, decided_by, note: str) -> None:
    """Make `version` current (the list row is already locked by the caller)."""
    now = timezone.now()
    previous = duty_list.current_version
    if previous is not None:
        DutyListVersion.objects.filter(pk=previous.pk).update(status=VERSION_MACHINE.move(previous, "supersede").target, updated_at=now)
    VERSION_MACHINE.apply(version, "approve", now)
    version.decided_by = account(decided_by)
    version.decision_note = note
    version.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
    duty_list.current_version = version
    duty_list.save(update_fields=["current_version", "updated_at"])
    # Keep each item's mirror of the current version (title, in force) for pages and other apps.
    titles = dict(DutyItemRevision.objects.filter(version=version).values_list("item_id", "title"))
    stale = DutyItem.objects.filter(duty_list=duty_list, in_force=True).exclude(pk__in=list(titles))
    stale.update(in_force=False, updated_at=now)
    items = list(DutyItem.objects.filter(pk__in=list(titles)))
    for item in items:
        item.title, item.in_force, item.updated_at = titles[item.pk], True, now
    DutyItem.objects.bulk_update(items, ["title", "in_force", "updated_at"], batch_size=500)
    if duty_list.kind == ListKind.GRID_TASKS:
        from .admission import forget

        forget()
        transaction.on_commit(forget)


def approve_version(version: DutyListVersion, *, acting_user, note: str = "") -> DutyListVersion:
    with transaction.atomic():
        duty_list = DutyList.objects.select_for_update().get(pk=version.duty_list_id)
        duty_list = DutyList.objects.select_related("region", "current_version").get(pk=duty_list.pk)
        version = DutyListVersion.objects.select_for_update().get(pk=version.pk)
        _require_decide(acting_user, duty_list, version)
        VERSION_MACHINE.move(version, "approve", otherwise=ValidationError(
            {"status": f"第{version.number}版{VersionStatus(version.status).label}，不能再审批"}))
        current = duty_list.current_version
        if version.based_on_id != duty_list.current_version_id:
            raise ValidationError({"based_on": stale_reason(version, current)})
        note = (note or "").strip()
        _approve(duty_list, version, decided_by=acting_user, note=note)
        audit.record(actor=acting_user, action="duties.approve", target=version,
                     detail={"list": duty_list.pk, "number": version.number, "note": note, "superseded": current.number if current else None})
        return version


def reject_version(version: DutyListVersion, *, acting_user, note: str) -> DutyListVersion:
    with transaction.atomic():
        duty_list = DutyList.objects.select_for_update().get(pk=version.duty_list_id)
        duty_list = DutyList.objects.select_related("region").get(pk=duty_list.pk)
        version = DutyListVersion.objects.select_for_update().get(pk=version.pk)
        _require_decide(acting_user, duty_list, version)
        reject = VERSION_MACHINE.move(version, "reject", otherwise=ValidationError(
            {"status": f"第{version.number}版{VersionStatus(version.status).label}，不能再审批"}))
        note = (note or "").strip()
        if not note:
            raise ValidationError({"note": "驳回须写明理由，便于提出人修改后重新提出"})
        VERSION_MACHINE.apply(version, reject, timezone.now())
        version.decided_by = account(acting_user)
        version.decision_note = note
        version.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
        audit.record(actor=acting_user, action="duties.reject", target=version,
                     detail={"list": duty_list.pk, "number": version.number, "note": note})
        return version


def stale_reason(version: DutyListVersion, current: DutyListVersion | None) -> str:
    """Why a proposal can no longer be approved: another change landed after it was based."""
    based = f"第{version.based_on.number}版" if version.based_on_id else "空清单"
    if current is None:
        return f"不能批准：本提案基于{based}，但清单已没有现行版本。请重新提出调整。"
    who = ""
    if current.decided_at:
        who = f"（{current.decided_at.astimezone(timezone.get_current_timezone()):%Y-%m-%d %H:%M} 批准的调整已先生效）"
    return (f"不能批准：本提案基于{based}，但清单现行版本已是第{current.number}版{who}。"
            f"批准它会撤销后来的调整；请驳回本提案，在现行版本上重新提出。")


def check_item_people(item: DutyItem, *, primary=None, backup=None) -> None:
    """An item's A and B must be able to do its work: handle cases at the list's unit (street or
    community); for a district's list, district staff. Raises naming the field."""
    from yiwang.ab_roles.services import check_duty_people
    from yiwang.ab_roles.units import LEVEL_OF_REGION

    region = item.duty_list.region
    level = LEVEL_OF_REGION.get(region.level)
    if level is not None:
        check_duty_people(level=level, region=region, primary=primary, backup=backup)
        return
    if primary is not None and backup is not None and primary.pk == backup.pk:
        raise ValidationError({"backup": "B角不能与A角是同一人"})
    for name, user, label in (("primary", primary, "A角"), ("backup", backup, "B角")):
        if user is None:
            continue
        own = user.scope_region.path if user.scope_region_id else None
        if not user.is_active or user.role not in DESK_ROLES or own is None or not own.startswith(region.path):
            raise ValidationError({name: f"{label} {user.username} 不是 {region.name} 的在岗工作人员"})


def set_item_roles(item: DutyItem, *, acting_user, primary=None, backup=None) -> DutyItem:
    """Name the A (primary) and B (backup) person for an item."""
    with transaction.atomic():
        item = DutyItem.objects.select_for_update().select_related("duty_list__region").get(pk=item.pk)
        require(acting_user, Action.CHANGE, item.duty_list.region.path)
        check_item_people(item, primary=primary, backup=backup)
        item.primary, item.backup = primary, backup
        item.full_clean(exclude=["duty_list", "key", "title"])
        item.save(update_fields=["primary", "backup", "updated_at"])
        audit.record(actor=acting_user, action="duties.roles", target=item,
                     detail={"primary": getattr(primary, "pk", None), "backup": getattr(backup, "pk", None)})
        return item
