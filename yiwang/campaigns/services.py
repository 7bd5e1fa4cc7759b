"""Writes for inspection campaigns: create (checklist and target list), publish (push down to the
grids, checking grid admission of the task for every grid, all or nothing), assign, check (a
failed item opens a case in the same transaction) and close.

Who may write: a street or district user creates, publishes and closes campaigns of their own
region; the street, district or community reassigns targets in its scope; a grid worker (or
community/street staff) records the check of a target inside their scope.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from itertools import cycle

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from yiwang.core import audit
from yiwang.core.params import int_param
from yiwang.core.scope import Action, Role, require, scope_path
from yiwang.core.statemachine import StateMachine, Transition
from yiwang.matters.models import MatterType
from yiwang.regions.models import Level, Region
from yiwang.registry.models import Household, Occupancy, PersonTag, Place, PlaceKind, KeyGroup

from .models import Campaign, ChecklistItem, ItemResult, Result, Status, Target, TargetCheck, TargetKind, TargetStatus

OWNER_LEVELS = {Level.STREET, Level.DISTRICT}
CAMPAIGN_ROLES = {Role.STREET, Role.DISTRICT}
ASSIGNING_ROLES = {Role.STREET, Role.DISTRICT, Role.COMMUNITY}
CHECKING_ROLES = {Role.GRID_WORKER, Role.COMMUNITY, Role.STREET, Role.DISTRICT}
# Where a case opened from a check says it came from (cases keep external_source + external_id unique).
CASE_SOURCE = "campaign"
MAX_ITEMS = 30
MAX_TARGETS = 5000

# A campaign is drafted, pushed down (published) and closed; each target is checked once, and may
# be given to another worker until then.
CAMPAIGN_MACHINE = StateMachine([
    Transition("publish", Status.DRAFT, Status.PUBLISHED, stamp="published_at"),
    Transition("close", Status.PUBLISHED, Status.CLOSED, stamp="closed_at"),
])
TARGET_MACHINE = StateMachine([
    Transition("assign", TargetStatus.PENDING, None),
    Transition("check", TargetStatus.PENDING, TargetStatus.CHECKED),
])


@dataclass
class TargetFilter:
    """Which places or households of the owner's region become targets: filters and picks together.
    `within` narrows to some communities or grids; empty filters with no picks select nothing."""

    place_kinds: tuple[str, ...] = ()
    occupancy: tuple[str, ...] = ()  # households in houses of these occupancies (e.g. rented)
    key_groups: tuple[str, ...] = ()  # households with a member in one of these key groups
    all_households: bool = False
    within: tuple[Region, ...] = ()
    place_ids: tuple[int, ...] = ()
    household_ids: tuple[int, ...] = ()


def _label(user) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""


def _may(user, roles: set, message: str) -> None:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        raise PermissionDenied(gettext("请先登录"))
    if not user.is_superuser and user.role not in roles:
        raise PermissionDenied(message)


def grid_of(region: Region) -> Region | None:
    """The grid a registry row's region belongs to (itself, or the parent of a micro-grid)."""
    if region.level == Level.GRID:
        return region
    if region.level == Level.MICRO_GRID:
        return region.parent
    return None


# Create ------------------------------------------------------------------------------------------

def _clean_items(items) -> tuple[list[tuple[str, MatterType]], dict[str, str]]:
    rows, errors = [], {}
    for number, item in enumerate(items or [], start=1):
        text = (item.get("text") or "").strip()
        matter = item.get("matter")
        if isinstance(matter, (int, str)) and matter != "":
            matter = MatterType.objects.filter(pk=matter).first() if str(matter).isdigit() else MatterType.objects.filter(code=matter).first()
        if not text:
            errors[f"items[{number}].text"] = f"第{number}个检查项：请填写检查内容"
        elif len(text) > 200:
            errors[f"items[{number}].text"] = f"第{number}个检查项：检查内容不超过200字"
        if not matter:
            errors[f"items[{number}].matter"] = f"第{number}个检查项：请选择不合格时立案的事项"
        elif not matter.active:
            errors[f"items[{number}].matter"] = f"第{number}个检查项：事项 {matter.name} 已停用"
        rows.append((text, matter))
    if not rows:
        errors["items"] = "请至少填写一个检查项"
    elif len(rows) > MAX_ITEMS:
        errors["items"] = f"检查项不超过 {MAX_ITEMS} 个"
    return rows, errors


def _select_targets(*, kind: str, owner: Region, spec: TargetFilter, user) -> tuple[list, dict[str, str]]:
    """The places or households the filter and the picks name, inside the owner and the user's scope."""
    errors: dict[str, str] = {}
    model = Place if kind == TargetKind.PLACE else Household
    rows = model.objects.restrict(user, Action.VIEW).filter(region__path__startswith=owner.path,
                                                              region__level__in=[Level.GRID, Level.MICRO_GRID])
    for region in spec.within:
        if not region.path.startswith(owner.path):
            errors["within"] = f"{region.name} 不在 {owner.name} 范围内"
    within_paths = [r.path for r in spec.within]

    def narrowed(qs):
        if not within_paths:
            return qs
        from django.db.models import Q

        query = Q()
        for path in within_paths:
            query |= Q(region__path__startswith=path)
        return qs.filter(query)

    chosen: dict[int, object] = {}
    if kind == TargetKind.PLACE:
        unknown = sorted(set(spec.place_kinds) - set(PlaceKind.values))
        if unknown:
            errors["place_kinds"] = f"未知的场所类别：{', '.join(unknown)}"
        if spec.household_ids or spec.occupancy or spec.key_groups or spec.all_households:
            errors["target_kind"] = "排查对象为场所单位时不能选择住户"
        if spec.place_kinds and not unknown:
            for place in narrowed(rows.filter(kind__in=list(spec.place_kinds))).select_related("region__parent"):
                chosen[place.pk] = place
        picked_ids = set(spec.place_ids)
        field = "place_ids"
    else:
        unknown = sorted(set(spec.occupancy) - set(Occupancy.values)) + sorted(set(spec.key_groups) - set(KeyGroup.values))
        if unknown:
            errors["household_filters"] = f"未知的筛选条件：{', '.join(unknown)}"
        if spec.place_ids or spec.place_kinds:
            errors["target_kind"] = "排查对象为住户时不能选择场所单位"
        if (spec.occupancy or spec.key_groups or spec.all_households) and not unknown:
            qs = narrowed(rows)
            if spec.occupancy:
                qs = qs.filter(house__occupancy__in=list(spec.occupancy))
            if spec.key_groups:
                qs = qs.filter(pk__in=PersonTag.objects.filter(tag__in=list(spec.key_groups)).values("person__household_id"))
            for household in qs.select_related("region__parent", "house__building"):
                chosen[household.pk] = household
        picked_ids = set(spec.household_ids)
        field = "household_ids"
    if picked_ids:
        found = {row.pk: row for row in rows.filter(pk__in=picked_ids).select_related("region__parent")}
        missing = sorted(picked_ids - set(found))
        if missing:
            errors[field] = f"编号 {', '.join(map(str, missing[:10]))} 不存在或不在 {owner.name} 及您的数据范围内"
        chosen.update(found)
    if not errors and not chosen:
        errors["targets"] = "没有符合条件的排查对象，请调整筛选条件或选择对象"
    if len(chosen) > MAX_TARGETS:
        errors["targets"] = f"排查对象 {len(chosen)} 个，一次不超过 {MAX_TARGETS} 个，请分批发起"
    return sorted(chosen.values(), key=lambda row: (row.region.path, row.pk)), errors


def default_assignees(regions: list[Region]) -> dict[int, list]:
    """Region id -> the grid workers who answer for it, best first: accounts scoped to that
    micro-grid, then to its grid, those on the grid roster (forces.Assignment) ahead of others."""
    from yiwang.accounts.models import User
    from yiwang.forces.models import Assignment

    wanted = {r.pk for r in regions} | {g.pk for g in (grid_of(r) for r in regions) if g is not None}
    workers = list(User.objects.filter(role=Role.GRID_WORKER, is_active=True, scope_region_id__in=wanted).order_by("username"))
    today = timezone.localdate()
    on_roster = set(Assignment.objects.filter(grid_id__in=wanted, member__user__in=workers, starts_on__lte=today)
                    .exclude(ends_on__lt=today).values_list("member__user_id", flat=True))
    by_scope: dict[int, list] = defaultdict(list)
    for worker in sorted(workers, key=lambda w: (w.pk not in on_roster, w.username)):
        by_scope[worker.scope_region_id].append(worker)
    out = {}
    for region in regions:
        grid = grid_of(region)
        out[region.pk] = by_scope.get(region.pk, []) + ([] if grid is None or grid.pk == region.pk else by_scope.get(grid.pk, []))
    return out


def _assign_defaults(targets: list[Target]) -> int:
    """Give unassigned targets to their grid's workers in turn; returns how many got one."""
    open_targets = [t for t in targets if t.assignee_id is None]
    if not open_targets:
        return 0
    candidates = default_assignees(list({t.region_id: t.region for t in open_targets}.values()))
    turns = {region_id: cycle(workers) for region_id, workers in candidates.items() if workers}
    changed = []
    for target in open_targets:
        turn = turns.get(target.region_id)
        if turn is not None:
            target.assignee = next(turn)
            changed.append(target)
    Target.objects.bulk_update(changed, ["assignee"])
    return len(changed)


def create_campaign(*, acting_user, owner: Region, title: str, task_key: str, starts_on: date, ends_on: date,
                    target_kind: str = TargetKind.PLACE, items=(), targets: TargetFilter | None = None,
                    description: str = "") -> Campaign:
    """A draft campaign with its checklist and target list (defaults assigned); publish pushes it down."""
    _may(acting_user, CAMPAIGN_ROLES, gettext("只有街道或区级工作人员可以发起专项排查"))
    if owner is None:
        raise ValidationError({"owner": "请选择发起单位"})
    require(acting_user, Action.CHANGE, owner.path)
    errors: dict[str, str] = {}
    if owner.level not in OWNER_LEVELS:
        errors["owner"] = f"{owner.name} 不是街道或区，专项排查由街道或区发起"
    title = (title or "").strip()
    if not title:
        errors["title"] = "请填写排查名称"
    elif len(title) > 100:
        errors["title"] = "名称不超过100字"
    task_key = (task_key or "").strip()
    if not task_key:
        errors["task_key"] = "请选择执行的网格任务清单事项"
    elif len(task_key) > 40:
        errors["task_key"] = "事项编号不超过40个字符"
    if starts_on is None:
        errors["starts_on"] = "请填写开始日期"
    if ends_on is None:
        errors["ends_on"] = "请填写结束日期"
    elif starts_on is not None and ends_on < starts_on:
        errors["ends_on"] = "结束日期不能早于开始日期"
    if target_kind not in TargetKind.values:
        errors["target_kind"] = "请选择排查对象类型"
    item_rows, item_errors = _clean_items(items)
    errors.update(item_errors)
    chosen = []
    if not errors.get("owner") and target_kind in TargetKind.values:
        chosen, target_errors = _select_targets(kind=target_kind, owner=owner, spec=targets or TargetFilter(), user=acting_user)
        errors.update({k: v for k, v in target_errors.items() if k not in errors})
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        campaign = Campaign.objects.create(title=title, description=(description or "").strip(), owner=owner, task_key=task_key,
                                           target_kind=target_kind, starts_on=starts_on, ends_on=ends_on,
                                           created_by=audit.account(acting_user))
        ChecklistItem.objects.bulk_create(ChecklistItem(campaign=campaign, number=n, text=text, matter=matter)
                                          for n, (text, matter) in enumerate(item_rows, start=1))
        rows = [Target(campaign=campaign, region=row.region, grid=grid_of(row.region),
                       place=row if target_kind == TargetKind.PLACE else None,
                       household=row if target_kind == TargetKind.HOUSEHOLD else None) for row in chosen]
        Target.objects.bulk_create(rows)
        made = list(campaign.targets.select_related("region__parent"))
        assigned = _assign_defaults(made)
        audit.record(actor=acting_user, action="campaigns.create", target=campaign,
                     detail={"owner": owner.code, "task_key": task_key, "items": len(item_rows), "targets": len(made), "assigned": assigned})
    return campaign


# Publish -----------------------------------------------------------------------------------------

def publish_campaign(campaign: Campaign, *, acting_user, now: datetime | None = None) -> Campaign:
    """Push the campaign down to every grid with targets. Each grid must admit the task (grid task
    list "6+1", see duties.admission); one refusal blocks the whole publish, naming the grid."""
    from yiwang.duties.admission import grid_admission
    from yiwang.notify.models import Notification

    _may(acting_user, CAMPAIGN_ROLES, gettext("只有街道或区级工作人员可以下发专项排查"))
    require(acting_user, Action.CHANGE, campaign.owner.path)
    now = now or timezone.now()
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update(of=("self",)).select_related("owner").get(pk=campaign.pk)
        publish = CAMPAIGN_MACHINE.move(campaign, "publish", otherwise=ValidationError(
            {"status": f"该排查{campaign.get_status_display()}，不能再次下发"}))
        if not campaign.items.exists():
            raise ValidationError({"items": "请至少填写一个检查项"})
        grids = list(Region.objects.filter(pk__in=campaign.targets.values("grid_id")).order_by("path"))
        if not grids:
            raise ValidationError({"targets": "没有排查对象，不能下发"})
        admitted, refused = {}, []
        for grid in grids:
            answer = grid_admission(grid=grid, task_key=campaign.task_key)
            if answer.admitted:
                admitted[grid.code] = answer.reason
            else:
                refused.append(f"{grid.name}({grid.code}):{answer.reason}")
        if refused:
            raise ValidationError({"task_key": [f"{len(refused)} 个网格未准入，专项排查未下发"] + refused})
        targets = list(campaign.targets.select_related("region__parent"))
        _assign_defaults(targets)
        CAMPAIGN_MACHINE.apply(campaign, publish, now)
        campaign.published_by = audit.account(acting_user)
        campaign.admission = admitted
        campaign.save(update_fields=["status", "published_at", "published_by", "admission"])
        per_worker: dict[int, int] = defaultdict(int)
        for target in targets:
            if target.assignee_id:
                per_worker[target.assignee_id] += 1
        Notification.objects.bulk_create(
            Notification(user_id=user_id, kind="campaign", text=f"【专项排查】{campaign.title}：您有 {n} 个排查对象，{campaign.ends_on:%Y-%m-%d} 前完成"[:300])
            for user_id, n in sorted(per_worker.items()))
        audit.record(actor=acting_user, action="campaigns.publish", target=campaign,
                     detail={"grids": len(grids), "targets": len(targets), "admission": admitted})
    return campaign


def close_campaign(campaign: Campaign, *, acting_user, now: datetime | None = None) -> Campaign:
    """End a published campaign; unchecked targets stay on the record as not checked."""
    _may(acting_user, CAMPAIGN_ROLES, gettext("只有街道或区级工作人员可以结束专项排查"))
    require(acting_user, Action.CHANGE, campaign.owner.path)
    now = now or timezone.now()
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update(of=("self",)).get(pk=campaign.pk)
        CAMPAIGN_MACHINE.apply(campaign, "close", now, otherwise=ValidationError(
            {"status": f"该排查{campaign.get_status_display()}，只有排查中的可以结束"}))
        campaign.closed_by = audit.account(acting_user)
        campaign.save(update_fields=["status", "closed_at", "closed_by"])
        pending = campaign.targets.filter(status=TargetStatus.PENDING).count()
        audit.record(actor=acting_user, action="campaigns.close", target=campaign, detail={"pending": pending})
    return campaign


def assign_target(target: Target, *, acting_user, assignee) -> Target:
    """Give a target to another grid worker (or none), who must have it in scope."""
    _may(acting_user, ASSIGNING_ROLES, gettext("只有社区、街道或区级工作人员可以调整排查对象的网格员"))
    require(acting_user, Action.CHANGE, target.region.path)
    if assignee is not None:
        prefix = scope_path(assignee)
        if assignee.role != Role.GRID_WORKER or prefix is None or not target.region.path.startswith(prefix):
            raise ValidationError({"assignee": f"{_label(assignee)} 不是负责 {target.region.name} 的网格员"})
    with transaction.atomic():
        target = Target.objects.select_for_update(of=("self",)).get(pk=target.pk)
        TARGET_MACHINE.move(target, "assign", otherwise=ValidationError({"assignee": "该对象已排查，不能再调整网格员"}))
        before = target.assignee_id
        target.assignee = assignee
        target.save(update_fields=["assignee"])
        audit.record(actor=acting_user, action="campaigns.assign", target=target, detail={"before": before, "after": target.assignee_id})
    return target


# Check -------------------------------------------------------------------------------------------

def _case_location(target: Target) -> dict:
    """Where a case from this target goes: the place's point when it lies in the target's own grid,
    otherwise the target's (micro-)grid picked by hand."""
    from yiwang.regions import lookup

    place = target.place
    if place is not None and place.lon is not None and place.lat is not None:
        found = lookup.locate(place.lon, place.lat)
        if found.found and found.grid_id == target.grid_id:
            return {"lon": place.lon, "lat": place.lat}
    return {"grid": target.region}


def record_check(target: Target, *, acting_user, results, note: str = "", photo=None, now: datetime | None = None) -> TargetCheck:
    """Record the check of one target: a result for every checklist item. Each failed item opens a
    case (matter from the item) in this transaction; a refused case leaves nothing written.

    `results`: list of {"item": ChecklistItem id, "result": "pass"|"fail"|"na", "note": ""}.
    """
    from yiwang.cases.models import Channel
    from yiwang.core.photos import check_photos
    from yiwang.cases.services import Report, report_case

    _may(acting_user, CHECKING_ROLES, gettext("只有网格员或社区、街道工作人员可以记录排查"))
    target = Target.objects.select_related("campaign", "region__parent", "grid", "place", "household__house__building").get(pk=target.pk)
    require(acting_user, Action.CHANGE, target.region.path)
    now = now or timezone.now()
    campaign = target.campaign
    items = list(campaign.items.select_related("matter").order_by("number"))
    by_key = {item.pk: item for item in items}
    errors: dict[str, str] = {}
    if campaign.status != Status.PUBLISHED:
        errors["campaign"] = f"专项排查{campaign.get_status_display()}，不能记录排查"
    given: dict[int, tuple[str, str]] = {}
    for row in results or []:
        item = by_key.get(int_param(row.get("item")))
        if item is None:
            errors["items"] = f"检查项 {row.get('item')} 不属于本次排查"
            continue
        result, item_note = row.get("result") or "", (row.get("note") or "").strip()
        if result not in Result.values:
            errors[f"items[{item.number}]"] = f"第{item.number}项：请选择合格、不合格或不适用"
        elif len(item_note) > 300:
            errors[f"items[{item.number}]"] = f"第{item.number}项：问题描述不超过300字"
        given[item.pk] = (result, item_note)
    for item in items:
        if item.pk not in given and f"items[{item.number}]" not in errors:
            errors[f"items[{item.number}]"] = f"第{item.number}项“{item.text}”：请选择结果"
    if len(note or "") > 2000:
        errors["note"] = "情况说明不超过2000字"
    photos = []
    if photo is not None:
        try:
            photos = check_photos([photo], field="photo")
        except ValidationError as exc:
            errors.update({k: "；".join(v) for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    reporter = f"专项排查：{_label(acting_user)}"[:50]
    channel = Channel.GRID_WORKER if acting_user.role == Role.GRID_WORKER else Channel.DESK
    with transaction.atomic():
        # Locked: of two workers (or two taps) checking one target, one writes and the other is told.
        locked = Target.objects.select_for_update(of=("self",)).get(pk=target.pk)
        check = TARGET_MACHINE.move(locked, "check", otherwise=ValidationError({"target": f"{target.label} 已排查，不能重复记录"}))
        if Campaign.objects.filter(pk=campaign.pk).values_list("status", flat=True).get() != Status.PUBLISHED:
            raise ValidationError({"campaign": "专项排查已结束，不能记录排查"})
        failed = [item for item in items if given[item.pk][0] == Result.FAIL]
        record = TargetCheck(target=target, checked_by=acting_user, checked_at=now, note=(note or "").strip(), failed_items=len(failed))
        if photos:
            record.photo.save(f"check.{photos[0].extension}", ContentFile(photos[0].content), save=False)
        record.save()
        location = _case_location(target) if failed else {}
        opened = []
        rows = []
        for item in items:
            result, item_note = given[item.pk]
            case = None
            if result == Result.FAIL:
                description = f"【{campaign.title}】{target.label}:{item.text}不合格" + (f"。{item_note}" if item_note else "")
                report = Report(channel=channel, matter=item.matter, description=description, address=target.address[:200],
                                reporter_name=reporter, photos=photos, external_source=CASE_SOURCE,
                                external_id=f"{record.pk}-{item.number}", **location)
                try:
                    case = report_case(report, acting_user=acting_user, now=now).case
                except ValidationError as exc:
                    messages = [m for ms in (exc.message_dict.values() if hasattr(exc, "error_dict") else [exc.messages]) for m in ms]
                    raise ValidationError({f"items[{item.number}]": f"第{item.number}项无法立案：{'；'.join(messages)}"}) from exc
                opened.append(case.number)
            rows.append(ItemResult(record=record, item=item, result=result, note=item_note, case=case))
        ItemResult.objects.bulk_create(rows)
        TARGET_MACHINE.apply(locked, check)
        locked.save(update_fields=["status"])
        audit.record(actor=acting_user, action="campaigns.check", target=record,
                     detail={"campaign": campaign.pk, "target": target.pk, "failed": len(failed), "cases": opened})
    return record
