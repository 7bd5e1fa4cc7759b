"""Writes for links: create and end a link, set its A/B, and record a visit whose problems may
open cases in the closed loop, all or nothing.

Who may write: links are set by community, street and district staff over the region; a visit is
recorded by anyone who may change data there, or by the people the link names (its leader, its A
and B, members of the linked department), who may lack that right (a department's staff only view).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from yiwang.core import audit
from yiwang.core.scope import Action, Role, require, role_allows, scope_path
from yiwang.regions.models import Level, Region

from .models import (
    LEADER_KINDS, UNIT_KINDS, Link, LinkKind, LinkProblem, LinkVisit, Period, VisitMode,
)

LINK_SETTING_ROLES = {Role.COMMUNITY, Role.STREET, Role.DISTRICT}
# The roles a leader account must have for each kind of leader link.
LEADER_ROLE = {LinkKind.DISTRICT_LEADER: Role.DISTRICT, LinkKind.STREET_LEADER: Role.STREET}
# Party organizations that are branches (not committees, building groups or households).
BRANCH_KINDS = {"branch", "general_branch", "grid_branch", "functional_branch"}
# A visit recorded a little ahead of the server's clock is a clock skew, not a visit in the future.
CLOCK_SKEW = timedelta(minutes=5)
# Where a case opened from a visit says it came from (cases keep external_source + external_id unique).
CASE_SOURCE = "link"
# Daily contact in a yearly period is about 366; anything above is a typing error.
MAX_CONTACTS_PER_PERIOD = 400


# Who may set, change or end each kind of link: the level that arranges it or one above. Leaders'
# links are their own level's business (a community must not end its district leader's link); the
# community party committee arranges the one-to-one unit links of its grids (seed 004).
SETTING_ROLES_BY_KIND = {
    LinkKind.DISTRICT_LEADER: {Role.DISTRICT},
    LinkKind.STREET_LEADER: {Role.STREET, Role.DISTRICT},
    LinkKind.DEPARTMENT: LINK_SETTING_ROLES,
    LinkKind.ALLIANCE_UNIT: LINK_SETTING_ROLES,
    LinkKind.PARTY_BRANCH: LINK_SETTING_ROLES,
}


def _may_set_links(user, region: Region, kind: str) -> None:
    if user is None or not getattr(user, "is_authenticated", False):
        raise PermissionDenied(gettext("请先登录"))
    if not user.is_superuser and user.role not in LINK_SETTING_ROLES:
        raise PermissionDenied(gettext("只有社区、街道和区级工作人员可以设置联点"))
    if not user.is_superuser and user.role not in SETTING_ROLES_BY_KIND.get(kind, LINK_SETTING_ROLES):
        raise PermissionDenied((gettext("%(kind)s由区级工作人员设置和调整") if kind == LinkKind.DISTRICT_LEADER else gettext("%(kind)s由街道或区级工作人员设置和调整")) % {"kind": LinkKind(kind).label})
    require(user, Action.CHANGE, region.path)


def _sees(user, region: Region) -> bool:
    prefix = scope_path(user)
    return prefix is not None and region.path.startswith(prefix)


def _street_path(region: Region) -> str:
    """The path of the street above (or at) a region: "/district/street/"."""
    parts = [p for p in region.path.strip("/").split("/") if p]
    return "/" + "/".join(parts[:2]) + "/"


def _check_roles(region: Region, primary, backup) -> dict[str, str]:
    errors = {}
    if primary is not None and backup is not None and primary.pk == backup.pk:
        errors["backup"] = "B角不能与A角是同一人"
    for field, person in (("primary", primary), ("backup", backup)):
        if person is not None and (not person.is_active or not _sees(person, region)):
            errors[field] = f"{person.get_full_name() or person.username} 的数据范围不含 {region.name}，不能担任{'A' if field == 'primary' else 'B'}角"
    return errors


def _check_unit_rules(link: Link) -> dict[str, str]:
    """The unit sits where it may link this grid, and the one-to-one rules hold (friendly messages;
    the partial unique indexes are the last word)."""
    errors = {}
    region = link.region
    unit = link.department or link.party_organization
    if unit is not None:
        # A unit of the district or of this street (a branch of another community of it too).
        if not (region.path.startswith(unit.region.path) or unit.region.path.startswith(_street_path(region))):
            errors["department" if link.department_id else "party_organization"] = f"{unit.name} 不在 {region.name} 所在街道或其上级区域"
    if link.party_organization_id:
        org = link.party_organization
        if org.kind not in BRANCH_KINDS:
            errors["party_organization"] = f"{org.name} 是{org.get_kind_display()}，只有党支部可以联点网格"
        elif org.region_id == region.pk:
            errors["party_organization"] = f"{org.name} 是本网格的党组织，联点须由网格外的支部承担"
    others = Link.objects.filter(active=True).exclude(pk=link.pk).select_related("region", "department", "party_organization")
    if link.kind in UNIT_KINDS:
        taken = others.filter(region=region, kind__in=sorted(UNIT_KINDS)).first()
        if taken is not None:
            errors["region"] = f"{region.name} 已由 {taken.who} 联点（{taken.get_kind_display()}），一个网格只能有一个联点单位"
    if link.department_id:
        busy = others.filter(department_id=link.department_id).first()
        if busy is not None:
            errors["department"] = f"{link.department.name} 已联点 {busy.region.name}，一个单位只能联点一个网格"
    if link.party_organization_id:
        busy = others.filter(party_organization_id=link.party_organization_id).first()
        if busy is not None:
            errors["party_organization"] = f"{link.party_organization.name} 已联点 {busy.region.name}，一个支部只能联点一个网格"
    return errors


def create_link(*, acting_user, kind: str, region: Region, starts_on: date | None = None, leader=None, leader_name: str = "",
                leader_title: str = "", department=None, party_organization=None, contacts_required: int = 1,
                period: str = Period.MONTH, counted_mode: str = "", cadence_note: str = "", primary=None, backup=None) -> Link:
    """Link a leader to a community or grid, or a unit to one grid."""
    if kind not in LinkKind.values:
        raise ValidationError({"kind": f"未知的联点类型 {kind!r}"})
    if period not in Period.values:
        raise ValidationError({"period": f"未知的周期 {period!r}"})
    if counted_mode and counted_mode not in VisitMode.values:
        raise ValidationError({"counted_mode": f"未知的走访方式 {counted_mode!r}"})
    if region is None:
        raise ValidationError({"region": "请选择联点区域"})
    if not isinstance(contacts_required, int) or not 1 <= contacts_required <= MAX_CONTACTS_PER_PERIOD:
        raise ValidationError({"contacts_required": f"每期联系次数应为 1 到 {MAX_CONTACTS_PER_PERIOD} 次"})
    _may_set_links(acting_user, region, kind)
    with transaction.atomic():
        # Locked so that two links made for the same grid or unit at once are checked one after the other.
        region = Region.objects.select_for_update().get(pk=region.pk)
        link = Link(kind=kind, region=region, starts_on=starts_on or timezone.localdate(), leader=leader,
                    leader_name=leader_name.strip(), leader_title=leader_title.strip(), department=department,
                    party_organization=party_organization, contacts_required=contacts_required, period=period,
                    counted_mode=counted_mode, cadence_note=cadence_note.strip(), primary=primary, backup=backup,
                    created_by=audit.account(acting_user))
        if kind in LEADER_KINDS:
            link.department = link.party_organization = None
        errors: dict[str, str] = {}
        try:
            link.clean()
        except ValidationError as exc:
            errors.update({key: "；".join(messages) for key, messages in exc.message_dict.items()})
        if leader is not None and kind in LEADER_KINDS and not leader.is_superuser and leader.role != LEADER_ROLE[kind]:
            errors["leader"] = f"{leader.username} 不是{Role(LEADER_ROLE[kind]).label}账号"
        if not errors.get("region") and not errors.get("department") and not errors.get("party_organization"):
            errors.update({k: v for k, v in _check_unit_rules(link).items() if k not in errors})
        errors.update({k: v for k, v in _check_roles(region, primary, backup).items() if k not in errors})
        if errors:
            raise ValidationError(errors)
        try:
            with transaction.atomic():
                link.save()
        except IntegrityError as exc:
            # Another link for this grid or unit was committed between our check and our write.
            raise ValidationError({"region": f"{region.name} 或所选单位刚刚已被联点，请刷新后重试"}) from exc
        audit.record(actor=acting_user, action="links.create", target=link,
                     detail={"kind": kind, "region": region.code, "who": link.who, "cadence": link.cadence_text})
    return link


def end_link(link: Link, *, acting_user, ends_on: date | None = None, reason: str = "") -> Link:
    """End a link (its record stays); the unit and the grid are free to be linked again."""
    _may_set_links(acting_user, link.region, link.kind)
    with transaction.atomic():
        link = Link.objects.select_for_update(of=("self",)).select_related("region").get(pk=link.pk)
        if not link.active:
            raise ValidationError({"ends_on": f"该联点已于 {link.ends_on:%Y-%m-%d} 结束"})
        ends_on = ends_on or timezone.localdate()
        if ends_on > timezone.localdate():
            raise ValidationError({"ends_on": "结束日期不能晚于今天"})
        if ends_on < link.starts_on:
            raise ValidationError({"ends_on": f"结束日期不能早于开始日期 {link.starts_on:%Y-%m-%d}"})
        last = link.visits.order_by("-at").values_list("at", flat=True).first()
        if last is not None and timezone.localdate(last) > ends_on:
            raise ValidationError({"ends_on": f"{timezone.localtime(last):%Y-%m-%d} 还有走访记录，结束日期不能早于它"})
        link.active, link.ends_on, link.end_reason = False, ends_on, reason.strip()[:200]
        link.save(update_fields=["active", "ends_on", "end_reason"])
        audit.record(actor=acting_user, action="links.end", target=link, detail={"ends_on": ends_on.isoformat(), "reason": link.end_reason})
    return link


def set_roles(link: Link, *, acting_user, primary=None, backup=None) -> Link:
    """Name the A and B persons answering for the linked region."""
    _may_set_links(acting_user, link.region, link.kind)
    with transaction.atomic():
        link = Link.objects.select_for_update(of=("self",)).select_related("region").get(pk=link.pk)
        errors = _check_roles(link.region, primary, backup)
        if errors:
            raise ValidationError(errors)
        before = {"primary": link.primary_id, "backup": link.backup_id}
        link.primary, link.backup = primary, backup
        link.save(update_fields=["primary", "backup"])
        audit.record(actor=acting_user, action="links.set_roles", target=link,
                     detail={"before": before, "after": {"primary": link.primary_id, "backup": link.backup_id}})
    return link


# Visits ------------------------------------------------------------------------------------------

@dataclass
class ProblemInput:
    """A problem raised on a visit. With `matter`, a case is opened for it (in `grid`, which a
    community link must choose; a grid link's case goes to its grid)."""

    description: str
    matter: object | None = None  # MatterType
    grid: Region | None = None
    urgency: str = "normal"


def may_record_visit(user, link: Link) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if role_allows(user, Action.CHANGE) and _sees(user, link.region):
        return True
    if user.pk in {link.leader_id, link.primary_id, link.backup_id}:
        return True
    return bool(link.department_id and link.department.members.filter(pk=user.pk).exists())


def _problem_inputs(problems) -> list[ProblemInput]:
    rows = []
    for item in problems or []:
        rows.append(item if isinstance(item, ProblemInput) else ProblemInput(**item))
    return rows


def _check_problems(link: Link, rows: list[ProblemInput]) -> dict[str, str]:
    """Every row's own errors, all at once, keyed problems[N].field (N from 1, as people count)."""
    errors: dict[str, str] = {}
    for number, row in enumerate(rows, start=1):
        key = f"problems[{number}]"
        if not (row.description or "").strip():
            errors[f"{key}.description"] = f"第{number}个问题：请描述问题"
        if row.matter is None:
            continue  # recorded only, no case
        if not row.matter.active:
            errors[f"{key}.matter"] = f"第{number}个问题：事项 {row.matter.name} 已停用"
        if link.region.level == Level.COMMUNITY:
            if row.grid is None:
                errors[f"{key}.grid"] = f"第{number}个问题：社区联点立案须选择问题所在网格"
            elif row.grid.level != Level.GRID or not row.grid.path.startswith(link.region.path):
                errors[f"{key}.grid"] = f"第{number}个问题：{row.grid.name} 不是 {link.region.name} 的网格"
        elif row.grid is not None and row.grid.pk != link.region_id:
            errors[f"{key}.grid"] = f"第{number}个问题：立案网格须为联点网格 {link.region.name}"
    return errors


def record_visit(link: Link, *, acting_user, at: datetime, mode: str, summary: str, problems=(), visitor=None,
                 visitor_names: str = "", now: datetime | None = None) -> LinkVisit:
    """Record one contact of a link and its problems; a problem with a matter opens a case through
    the closed loop's intake, inside this transaction, so a refused case leaves nothing written."""
    from yiwang.cases.models import Channel
    from yiwang.cases.services import Report, report_case

    now = now or timezone.now()
    link = Link.objects.select_related("region", "department", "party_organization", "leader").get(pk=link.pk)
    if not may_record_visit(acting_user, link):
        raise PermissionDenied(gettext("您不能为该联点记录走访"))
    rows = _problem_inputs(problems)
    errors: dict[str, str] = {}
    if mode not in VisitMode.values:
        errors["mode"] = "请选择走访方式"
    if not (summary or "").strip():
        errors["summary"] = "请填写走访情况"
    if at is None:
        errors["at"] = "请填写走访时间"
    else:
        if timezone.is_naive(at):
            at = timezone.make_aware(at)
        if at > now + CLOCK_SKEW:
            errors["at"] = "走访时间不能晚于现在"
        elif timezone.localdate(at) < link.starts_on:
            errors["at"] = f"联点自 {link.starts_on:%Y-%m-%d} 开始，走访时间不能早于它"
        elif link.ends_on and timezone.localdate(at) > link.ends_on:
            errors["at"] = f"联点已于 {link.ends_on:%Y-%m-%d} 结束"
    errors.update(_check_problems(link, rows))
    if errors:
        raise ValidationError(errors)
    names = (visitor_names or "").strip()[:200]
    reporter = names or (visitor.get_full_name() or visitor.username if visitor else "") or link.who
    with transaction.atomic():
        # Locked: the link cannot be ended (or its end re-checked) while a visit is being written.
        link = Link.objects.select_for_update(of=("self",)).select_related("region", "department", "party_organization", "leader").get(pk=link.pk)
        if not link.active and (link.ends_on is None or timezone.localdate(at) > link.ends_on):
            raise ValidationError({"at": f"联点已于 {link.ends_on:%Y-%m-%d} 结束"})
        visit = LinkVisit.objects.create(link=link, at=at, mode=mode, visitor=visitor, visitor_names=names, summary=summary.strip(),
                                         recorded_by=audit.account(acting_user))
        opened = []
        for number, row in enumerate(rows, start=1):
            case = None
            if row.matter is not None:
                grid = row.grid if row.grid is not None else link.region
                report = Report(channel=Channel.DESK, matter=row.matter, description=row.description.strip(), grid=grid,
                                reporter_name=f"联点走访：{reporter}"[:50], urgency=row.urgency,
                                external_source=CASE_SOURCE, external_id=f"{visit.pk}-{number}")
                try:
                    case = report_case(report, acting_user=acting_user, now=now).case
                except ValidationError as exc:
                    detail = exc.message_dict if hasattr(exc, "error_dict") else {"matter": exc.messages}
                    raise ValidationError({f"problems[{number}].{field}": f"第{number}个问题无法立案：{'；'.join(messages)}"
                                           for field, messages in detail.items()}) from exc
                opened.append(case.number)
            LinkProblem.objects.create(visit=visit, row=number, description=row.description.strip(), case=case)
        audit.record(actor=acting_user, action="links.visit", target=visit,
                     detail={"link": link.pk, "at": at.isoformat(), "mode": mode, "problems": len(rows), "cases": opened})
    return visit


def remind_missed(*, today: date | None = None, now: datetime | None = None) -> int:
    """Once per period, tell whoever answers for each link that missed its cadence (its A, or B
    while A is on leave; see ab_roles) in the in-app inbox. Run by the deadline sweep."""
    from yiwang.ab_roles.acting import who_acts_many
    from yiwang.notify.models import Notification

    from . import periods, selectors

    now = now or timezone.now()
    today = today or timezone.localdate(now)
    late = selectors.missed(Link.objects.all(), today=today).select_related("primary", "backup", "region", "department", "party_organization")
    told = 0
    for link, acting in who_acts_many(late, at=now):
        previous_start, _ = periods.previous_bounds(today, link.period)
        if link.missed_notice_for == previous_start:
            continue
        with transaction.atomic():
            # The UPDATE decides: of two sweeps at once, one sends.
            if not Link.objects.filter(pk=link.pk).exclude(missed_notice_for=previous_start).update(missed_notice_for=previous_start):
                continue
            if acting.user is not None:
                text = (f"【联点未达频次】{link.region.name}·{link.who}:{periods.label(previous_start, link.period)}"
                        f"应联系 {link.contacts_required} 次，实际 {link.previous_contacts} 次")
                Notification.objects.create(user=acting.user, kind="link_missed", text=text[:300])
                told += 1
    return told
