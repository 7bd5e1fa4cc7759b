"""Demo rows for this app, built after the closed loop inside `yiwang demo`.

永先社区 offers five service posts; its in-service party members have checked in for this year (most
confirmed, a few waiting, one returned), some residents are volunteers; tasks earlier this year
have their completion recorded (hours, and points in the points banks), upcoming ones are open to
claim. A few members already have their yearly evaluation. The demo login `partymember` is one of
the confirmed members, with an upcoming task left for them to claim.
Everything goes through the services, so the rules and the points ledger hold for the demo too.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from yiwang.regions.models import Level, Region

from . import services
from .models import (
    Evaluation,
    Registration,
    ServicePost,
    ServiceTask,
    TaskClaim,
    Volunteer,
)
from .rules import suggest_grade
from .selectors import registration_figures

# (title, kind, capacity, description)
POSTS = [
    ("政策宣传员", "policy", 8, "在小区宣传栏、楼栋群宣传政策法规，协助入户宣讲。"),
    ("楼栋平安巡查员", "safety", 12, "每月巡查楼道消防通道、电动车充电和高空抛物隐患。"),
    ("文明劝导员", "civility", 8, "劝导乱停乱放、垃圾分类投放。"),
    ("关爱帮扶员", "care", 10, "结对看望独居、空巢老人，代办代购。"),
    ("矛盾调解员", "mediation", 5, "协助社区调解邻里纠纷（马大姐工作室）。"),
]
# (days from today, start hour, title, post index, places, hours, location, volunteers too)
PAST_TASKS = [
    (-70, 9, "滨湖路垃圾分类宣传", 2, 6, "3.0", "滨湖路小区门口", True),
    (-56, 14, "独居老人走访慰问", 3, 5, "2.5", "永先社区第1网格", True),
    (-42, 9, "楼道消防通道清理", 1, 8, "3.0", "永先社区第2网格各楼栋", True),
    (-28, 19, "防溺水夜间巡河", 1, 6, "2.0", "汉丰湖永先段", False),
    (-14, 9, "政策法规进小区宣讲", 0, 6, "2.0", "永先社区党群服务中心", True),
    (-7, 15, "邻里纠纷调解协助", 4, 3, "2.5", "马大姐工作室", False),
]
UPCOMING_TASKS = [
    (3, 9, "文明创建劝导执勤", 2, 6, "2.0", "滨湖路与永先路路口", True),
    (5, 14, "空巢老人代购代办", 3, 4, "2.0", "永先社区第1网格", True),
    (9, 19, "电动车充电安全夜查", 1, 5, "2.5", "永先社区各小区", False),
]
COMMENTS = {
    "excellent": "服务积极主动，按时参加社区服务任务，群众反映好。",
    "competent": "能够按要求参加社区服务，完成认领岗位任务。",
    "basic": "参加服务次数偏少，希望今后多参与社区服务。",
}


def _at(day_offset: int, hour: int) -> datetime:
    day = timezone.localdate() + timedelta(days=day_offset)
    first = day.replace(month=1, day=1)
    # Past tasks stay inside this year, so they count for this year's figures and evaluations.
    if day < first + timedelta(days=1):
        day = first + timedelta(days=1 + abs(day_offset) % 5)
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def build(*, rng: random.Random, district: Region, street: Region) -> str:
    """Create the demo rows under `street`; return a one-line summary for the demo log."""
    from yiwang.accounts.models import User
    from yiwang.party.models import PartyMember
    from yiwang.registry.models import Person

    community = Region.objects.filter(parent=street, level=Level.COMMUNITY).order_by("code").first()
    staff = User.objects.filter(username="community", scope_region=community).first()
    if community is None or staff is None:
        return "volunteers: no community or no community login"
    now = timezone.now()
    earliest = min(_at(days, hour) for days, hour, *_ in PAST_TASKS)
    back_then = earliest - timedelta(days=3)

    posts = [services.create_post(acting_user=staff, region=community, title=title, kind=kind, capacity=capacity, description=description)
             for title, kind, capacity, description in POSTS]

    demo_member = PartyMember.objects.filter(person__account__username="partymember").first()
    members = list(PartyMember.objects.filter(in_service=True, person__region__path__startswith=community.path)
                   .exclude(pk=getattr(demo_member, "pk", None)).order_by("pk")[:26])
    if demo_member is not None and demo_member.in_service:
        members.insert(0, demo_member)
    registrations = []
    for index, member in enumerate(members):
        picked = rng.sample(posts, rng.choice([1, 1, 2]))
        try:
            registration = services.register_member(member=member, acting_user=staff, posts=picked, now=back_then,
                                                     note=rng.choice(["", "", "会摄影", "懂法律", "会开车", "医护专业"]))
        except ValidationError:  # a full post or an odd row in generated data: skip that member
            continue
        if index < len(members) - 4:
            registration = services.confirm_registration(registration, acting_user=staff, now=back_then + timedelta(hours=2))
        elif index == len(members) - 1:
            registration = services.reject_registration(registration, acting_user=staff, reason="工作单位信息不完整，请补充后重新报到",
                                                        now=back_then)
        registrations.append(registration)
    confirmed = [r for r in registrations if r.status == "confirmed"]

    residents = list(Person.objects.filter(region__path__startswith=community.path, party_membership__isnull=True, account__isnull=True)
                     .order_by("pk")[:400])
    volunteers = [services.register_volunteer(person=person, acting_user=staff, now=back_then,
                                              skills=rng.choice(["", "理发", "维修家电", "书法", "跳广场舞"]))
                  for person in rng.sample(residents, min(12, len(residents)))]

    # Past tasks: claimed before they started, then their completion recorded.
    completed = 0
    for days, hour, title, post_index, places, hours, location, open_to_volunteers in PAST_TASKS:
        starts = _at(days, hour)
        task = services.post_task(acting_user=staff, region=community, title=title, post=posts[post_index], starts_at=starts,
                                  ends_at=starts + timedelta(hours=3), places=places, hours=Decimal(hours), location=location,
                                  open_to_volunteers=open_to_volunteers, now=back_then)
        candidates = [r.person for r in rng.sample(confirmed, min(len(confirmed), places))]
        if open_to_volunteers:
            candidates += [v.person for v in rng.sample(volunteers, min(len(volunteers), 2))]
        claims = []
        for person in candidates[:places]:
            claims.append(services.claim_task(task=task, person=person, acting_user=staff, now=starts - timedelta(days=1)))
        outcomes = {claim.pk: (None if rng.random() < 0.1 else Decimal(hours) - (Decimal("0.5") if rng.random() < 0.2 else 0))
                    for claim in claims}
        services.record_completion(task, acting_user=staff, outcomes=outcomes, now=task.ends_at)
        completed += sum(1 for value in outcomes.values() if value is not None)

    # Upcoming tasks: some places already claimed; the demo party member's left free to claim.
    for days, hour, title, post_index, places, hours, location, open_to_volunteers in UPCOMING_TASKS:
        starts = _at(days, hour)
        task = services.post_task(acting_user=staff, region=community, title=title, post=posts[post_index], starts_at=starts,
                                  ends_at=starts + timedelta(hours=2), places=places, hours=Decimal(hours), location=location,
                                  open_to_volunteers=open_to_volunteers, now=now)
        others = [r.person for r in confirmed if demo_member is None or r.member_id != demo_member.pk]
        for person in rng.sample(others, min(len(others), places // 2)):
            services.claim_task(task=task, person=person, acting_user=staff, now=now)

    evaluations = 0
    for registration in confirmed[1:6]:
        figures = registration_figures(registration)
        grade = suggest_grade(tasks=figures["tasks"], hours=figures["hours"])
        grade = "competent" if grade == "incompetent" else grade
        services.issue_evaluation(registration, acting_user=staff, grade=grade, comment=COMMENTS[grade], now=now)
        evaluations += 1
    return (f"volunteers: {len(posts)} posts, {len(registrations)} dual check-ins ({len(confirmed)} confirmed), {len(volunteers)} volunteers, "
            f"{len(PAST_TASKS) + len(UPCOMING_TASKS)} tasks, {completed} completed claims, {evaluations} evaluations")


def delete(inside: str, delete_rows) -> None:
    """Delete this app's rows under the region path `inside`, before the regions go."""
    in_tasks = Q(task__region__path__startswith=inside) | Q(person__region__path__startswith=inside)
    delete_rows(TaskClaim.objects.filter(in_tasks))
    delete_rows(Evaluation.objects.filter(Q(registration__region__path__startswith=inside) | Q(organization__region__path__startswith=inside)))
    delete_rows(ServiceTask.objects.filter(Q(region__path__startswith=inside) | Q(community__path__startswith=inside)))
    delete_rows(Volunteer.objects.filter(Q(region__path__startswith=inside) | Q(person__region__path__startswith=inside)))
    registrations = Registration.objects.filter(Q(region__path__startswith=inside) | Q(person__region__path__startswith=inside)
                                                | Q(organization__region__path__startswith=inside))
    delete_rows(Registration.posts.through.objects.filter(registration__in=registrations))
    delete_rows(registrations)
    delete_rows(ServicePost.objects.filter(Q(region__path__startswith=inside) | Q(community__path__startswith=inside)))
