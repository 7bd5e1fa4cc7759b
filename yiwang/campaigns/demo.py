"""Demo campaigns for 云枫街道 (seed 000 counts 500+ gas checks of non-resident users): a gas check
of the street's 三合一 premises and a drowning-prevention check of households with left-behind
children, both executing the grid task "安全隐患排查" of the district's "6+1" list (so admission
lets them down to every grid), published by the street. Some targets are checked by their grid
workers (the demo's grid-worker logins look after 永先社区's two grids); a few checks failed an item
and opened cases through the closed loop's intake.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from yiwang.accounts.models import User
from yiwang.core.scope import Role
from yiwang.matters.models import MatterType
from yiwang.regions.models import Region

from . import services
from .models import Campaign, ChecklistItem, ItemResult, Result, Target, TargetCheck, TargetKind

SAFETY_TASK_TITLE = "安全隐患排查"  # the "6+1" item both campaigns execute (yiwang/duties/demo.py GRID_TASKS)
CHECKED_SHARE = (0.6, 0.45)  # of the assigned targets, per campaign
FAIL_SHARE = 0.2  # of checks with one failed item
STREET_CHECKS = 12  # unassigned targets checked by street staff, per campaign

GAS_ITEMS = [
    ("燃气管道、软管无老化、破损，连接牢固", "S0003"),
    ("安装可燃气体报警装置并能正常使用", "S0003"),
    ("经营、仓储区与住宿区有效分隔，疏散通道畅通", "09012"),
    ("配备灭火器且在有效期内", "S0003"),
]
DROWNING_ITEMS = [
    ("监护人已签订防溺水安全承诺书", "S0008"),
    ("已向孩子讲清“六不”防溺水要求", "S0008"),
    ("住所周边水塘、河沟有警示标志和防护设施", "S0008"),
]
FAIL_NOTES = {
    "S0003": ["软管老化开裂，已要求立即更换", "报警器未通电", "灭火器已过期"],
    "09012": ["楼梯间堆放货物，疏散通道堵塞", "仓储区搭建床铺住人"],
    "S0008": ["监护人外出务工，由老人看护，未签承诺书", "屋后鱼塘无护栏、无警示牌"],
}


def _matter(code: str) -> MatterType:
    return MatterType.objects.filter(code=code, active=True).order_by("kind").first()


def _task_key(street: Region) -> str | None:
    """The key of the safety task on the grid task list in force for the street's grids."""
    from yiwang.duties.admission import applicable_list

    found = applicable_list(street)
    if found is None:
        return None
    return next((key for key, title in sorted(found.tasks.items()) if title == SAFETY_TASK_TITLE), None)


def build(*, rng: random.Random, district: Region, street: Region) -> str:
    """Create the demo rows under `street`; return a one-line summary for the demo log."""
    key = _task_key(street)
    organizer = User.objects.filter(role=Role.STREET, is_active=True, scope_region=street).order_by("username").first()
    if key is None or organizer is None:
        return "campaigns: skipped (no grid task list with a safety task, or no street login)"
    today = timezone.localdate()
    now = timezone.now()
    plans = [
        dict(title="三合一场所燃气安全专项排查", target_kind=TargetKind.PLACE, items=GAS_ITEMS,
             targets=services.TargetFilter(place_kinds=("three_in_one",)), starts=20, days=30,
             description="排查辖区三合一场所燃气使用、报警装置和消防安全情况，不合格项按事项立案整改。"),
        dict(title="防溺水安全专项排查", target_kind=TargetKind.HOUSEHOLD, items=DROWNING_ITEMS,
             targets=services.TargetFilter(key_groups=("QS05",)), starts=10, days=40,
             description="暑期前入户走访有留守儿童的家庭，落实监护责任，排查住所周边水域隐患。"),
    ]
    made, checks, cases = [], 0, 0
    for plan, share in zip(plans, CHECKED_SHARE):
        starts_on = today - timedelta(days=plan["starts"])
        published_at = now - timedelta(days=plan["starts"])
        items = [{"text": text, "matter": _matter(code)} for text, code in plan["items"]]
        try:
            campaign = services.create_campaign(acting_user=organizer, owner=street, title=plan["title"], task_key=key,
                                                starts_on=starts_on, ends_on=starts_on + timedelta(days=plan["days"]),
                                                target_kind=plan["target_kind"], items=items, targets=plan["targets"],
                                                description=plan["description"])
        except ValidationError as exc:  # no such targets in this street: say so in the demo log
            made.append(f"{plan['title']} skipped ({'；'.join(exc.messages)})")
            continue
        campaign = services.publish_campaign(campaign, acting_user=organizer, now=published_at)
        checklist = list(campaign.items.select_related("matter"))
        assigned = list(campaign.targets.filter(assignee__isnull=False).select_related("assignee").order_by("pk"))
        # Grids without a demo grid-worker login: street staff checked a few of those themselves.
        others = list(campaign.targets.filter(assignee__isnull=True).order_by("pk"))
        chosen = [(t, t.assignee) for t in rng.sample(assigned, round(len(assigned) * share))]
        chosen += [(t, organizer) for t in rng.sample(others, min(STREET_CHECKS, len(others)))]
        for target, checker in chosen:
            at = published_at + timedelta(days=rng.uniform(0.2, plan["starts"] - 0.2), minutes=rng.randint(0, 600))
            failing = rng.choice(checklist) if rng.random() < FAIL_SHARE else None
            results = []
            for item in checklist:
                if item is failing:
                    results.append({"item": item.pk, "result": Result.FAIL, "note": rng.choice(FAIL_NOTES.get(item.matter.code, [""]))})
                else:
                    results.append({"item": item.pk, "result": Result.NOT_APPLICABLE if rng.random() < 0.05 else Result.PASS})
            services.record_check(target, acting_user=checker, results=results, now=min(at, now),
                                  note="已现场宣传安全知识" if rng.random() < 0.5 else "")
            checks += 1
            cases += failing is not None
        made.append(f"{campaign.title} {campaign.targets.count()} targets")
    return f"campaigns: {'; '.join(made)}; {checks} checks, {cases} cases"


def delete(inside: str, delete_rows) -> None:
    """Delete this app's rows under the region path `inside`, before the regions go."""
    campaigns = Campaign.objects.filter(Q(owner__path__startswith=inside) | Q(targets__region__path__startswith=inside)).distinct()
    campaign_ids = list(campaigns.values_list("pk", flat=True))
    targets = Target.objects.filter(Q(campaign_id__in=campaign_ids) | Q(region__path__startswith=inside))
    delete_rows(ItemResult.objects.filter(record__target__in=targets))
    delete_rows(TargetCheck.objects.filter(target__in=targets))
    delete_rows(targets)
    delete_rows(ChecklistItem.objects.filter(campaign_id__in=campaign_ids))
    delete_rows(Campaign.objects.filter(pk__in=campaign_ids))
