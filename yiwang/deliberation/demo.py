"""Demo rows for this app, built after the closed loop inside `yiwang demo`.

永先社区 (seed 000: its 五步议事 and the 红枫·花园议事廊): topics at every step, one consultation
meeting with attendees, minutes and decisions, one topic carried out as a case and one as a project,
a done topic being evaluated and an evaluated one. Everything goes through the services, back-dated,
so the rows are what the pages would have written.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from yiwang.regions.models import Level, Region

COMMUNITY_CODE_SUFFIX = "001"  # 永先社区 is the street's first community


def _matter():
    """A grid-admitted community matter without required questions, for the case a topic opens."""
    from yiwang.matters.models import MatterType

    for matter in MatterType.objects.filter(active=True, kind="community").order_by("code"):
        if not any(a.get("required") for a in matter.attributes or []):
            return matter
    return None


def build(*, rng: random.Random, district: Region, street: Region) -> str:
    """Create the demo rows under `street`; return a one-line summary for the demo log."""
    from yiwang.accounts.models import User
    from yiwang.registry.models import Person

    from . import services
    from .models import Meeting, Topic

    community = Region.objects.filter(parent=street, level=Level.COMMUNITY).order_by("code").first()
    staff = User.objects.filter(username="community", is_active=True).first()
    if community is None or staff is None:
        return "deliberation: skipped (no community or no community login)"
    grids = list(Region.objects.filter(parent=community, level=Level.GRID).order_by("code")[:2])
    people = list(Person.objects.filter(region__path__startswith=grids[0].path).order_by("id")[:40])
    people_b = list(Person.objects.filter(region__path__startswith=grids[-1].path).exclude(pk__in=[p.pk for p in people]).order_by("id")[:20])
    if len(people) < 12:
        return "deliberation: skipped (too few residents)"
    # The demo resident account speaks for a resident of 永先社区第1网格 unless it already has someone.
    resident = User.objects.filter(username="resident").first()
    if resident is not None and resident.person_id is None:
        resident.person = people[0]
        resident.save(update_fields=["person"])
    now = timezone.now()
    day = timedelta(days=1)

    def at(days_ago: float):
        return now - days_ago * day

    def raise_(n, title, description, days_ago, location=""):
        return services.raise_topic(acting_user=staff, person=people[n], title=title, description=description, location=location,
                                    now=at(days_ago))

    def grid(topic, days_ago, outcome, support, oppose, summary, answer=""):
        services.accept_topic(topic, acting_user=staff, now=at(days_ago + 1))
        return services.record_grid_discussion(topic, acting_user=staff, held_on=timezone.localdate(at(days_ago)), support=support,
                                               oppose=oppose, summary=summary, outcome=outcome, answer=answer, now=at(days_ago))

    # 1-2: raised, and in grid discussion.
    raise_(1, "楼道堆放杂物影响通行", "5栋2单元楼道长期堆放纸箱和旧家具，存在消防隐患。", 2, "5栋2单元")
    dance = raise_(2, "广场舞音响音量过大", "小区广场晚上九点半以后音响仍很大，影响老人和学生休息。", 6, "中心广场")
    services.accept_topic(dance, acting_user=staff, now=at(5))
    repeat = raise_(3, "晚上广场音乐太吵", "希望限定广场舞时间和音量。", 5, "中心广场")
    services.merge_topic(repeat, acting_user=staff, into=dance, reason="与“广场舞音响音量过大”为同一事项", now=at(4))
    refused = raise_(4, "要求社区报销私家车刮擦维修费", "车停在小区内被刮，希望社区承担维修费用。", 12)
    services.reject_topic(refused, acting_user=staff, reason="属个人财产纠纷，已引导当事人协商或报警处理，不属于议事范围", now=at(10))

    # Referred to the meeting: charging piles (deferred), lift (agreed), drain (agreed → case), parking (agreed → project),
    # corridor (agreed → project, done, being evaluated).
    charging = grid(raise_(5, "增设电动车集中充电桩", "楼道飞线充电多，希望在小区内增设集中充电桩。", 40), 36, "refer", 31, 4,
                    "多数居民赞成，充电桩选址需再征求一楼住户意见")
    lift = grid(raise_(6, "老旧楼栋加装电梯意向征集", "3栋老人多，上下楼困难，希望启动加装电梯。", 40), 36, "refer", 22, 6,
                "高层住户赞成，低层住户担心采光，提交协商")
    drain = grid(raise_(7, "3栋门前下水道反复堵塞", "雨天污水倒灌，多次反映未根治。", 40, "3栋门前"), 35, "refer", 18, 0,
                 "一致要求彻底疏通并更换管道")
    parking = grid(raise_(8, "小区停车无序、堵塞消防通道", "夜间车辆乱停，消防通道经常被占。", 42), 37, "refer", 40, 3,
                   "赞成统一规划车位，引入停车托管")
    corridor = grid(raise_(9, "红枫·花园议事廊修缮", "议事廊座椅损坏、顶棚漏雨，居民议事不便。", 45), 38, "refer", 26, 0,
                    "赞成修缮，建议增加遮阳和照明")
    meeting = services.create_meeting(acting_user=staff, region=community, title="永先社区居民协商议事会（第二季度）", held_at=at(30),
                                      place="红枫·花园议事廊", topics=[charging, lift, drain, parking, corridor])
    for kind, name, unit, person in [
        ("resident_rep", people[10].name, "第1网格居民代表", people[10]),
        ("resident_rep", people[11].name, "第1网格居民代表", people[11]),
        ("party_member", "马江", "永先社区党支部", None),
        ("party_member", "陈金莲", "退休党支部", None),
        ("property", "李经理", "宇强物业", None),
        ("department", "王科长", "云枫街道城市管理办公室", None),
        ("community", staff.get_full_name() or staff.username, "永先社区居民委员会", None),
    ]:
        services.add_attendee(meeting, acting_user=staff, kind=kind, name=name, unit=unit, person=person)
    services.record_minutes(meeting, acting_user=staff, now=at(30), minutes=(
        "应到 9 人，实到 7 人。会议由社区党支部书记主持，逐项审议网格提交的五个议题：\n"
        "一、电动车集中充电桩：选址未定，暂缓，待征求一楼住户意见后再议；\n"
        "二、加装电梯：同意启动意向征集，由社区牵头组织；\n"
        "三、下水道堵塞：同意转街道城管办立案办理；\n"
        "四、停车治理：同意统一规划车位并与物业签订停车托管协议；\n"
        "五、议事廊修缮：同意由社区牵头修缮，资金从社区公共服务经费列支。"))
    items = {item.topic_id: item for item in meeting.agenda.all()}
    decisions = [(charging, "deferred", "选址需再征求一楼住户意见，下次会议再议"),
                 (lift, "agreed", "同意启动加装电梯意向征集，由社区牵头"),
                 (drain, "agreed", "同意转街道城管办立案，彻底疏通并更换破损管道"),
                 (parking, "agreed", "同意统一规划车位，与宇强物业签订停车托管协议"),
                 (corridor, "agreed", "同意修缮议事廊，社区牵头，月底前完工")]
    for topic, decision, text in decisions:
        services.decide(items[topic.pk], acting_user=staff, decision=decision, text=text, now=at(30))

    matter = _matter()
    cases = 0
    if matter is not None:
        services.open_cases(Topic.objects.get(pk=drain.pk), acting_user=staff, now=at(29), cases=[
            services.CaseInput(matter=matter, description="议事决定:3栋门前下水道反复堵塞，彻底疏通并更换破损管道")])
        cases = 1
    project = services.start_project(Topic.objects.get(pk=parking.pk), acting_user=staff, title="小区停车规划与停车托管",
                                     owner_unit="永先社区居委会、宇强物业", due_on=timezone.localdate(at(-30)), now=at(28),
                                     milestones=[("车位规划方案公示", timezone.localdate(at(20))), ("签订停车托管协议", timezone.localdate(at(10))),
                                                 ("划线与标识", timezone.localdate(at(-10))), ("消防通道清理验收", timezone.localdate(at(-30)))])
    first, second, *_ = project.milestones.all()
    services.record_progress(project, acting_user=staff, progress=30, note="车位规划方案已公示七天，无异议", milestones_done=[first.pk],
                             now=at(18))
    services.record_progress(project, acting_user=staff, progress=60, note="已与宇强物业签订停车托管协议", milestones_done=[second.pk],
                             now=at(8))
    repair = services.start_project(Topic.objects.get(pk=corridor.pk), acting_user=staff, title="红枫·花园议事廊修缮",
                                    owner_unit="永先社区居委会", now=at(28), milestones=[("更换座椅", None), ("顶棚防水", None)])
    services.record_progress(repair, acting_user=staff, progress=100, note="座椅已更换，顶棚已做防水并加装照明",
                             milestones_done=list(repair.milestones.values_list("pk", flat=True)), now=at(12))
    services.complete_topic(Topic.objects.get(pk=corridor.pk), acting_user=staff, result="议事廊已修缮完工，增加了遮阳和照明", now=at(11))
    evaluators = people[12:20] + people_b[:4]
    for person in evaluators:
        services.evaluate(Topic.objects.get(pk=corridor.pk), acting_user=staff, person=person, score=rng.choice([4, 5, 5, 5, 3]),
                          comment=rng.choice(["", "修得很好", "议事有地方了", "希望多开放", ""]), now=at(rng.uniform(2, 10)))

    # Answered by the grid itself, done and evaluated.
    lamp = grid(raise_(20 if len(people) > 20 else 0, "小区路灯不亮", "2栋到4栋之间三盏路灯不亮，晚上出行不安全。", 60), 58, "answer", 15, 0,
                "属物业维修范围，网格直接协调", answer="已协调宇强物业三日内更换灯具")
    services.complete_topic(lamp, acting_user=staff, result="三盏路灯已全部更换", now=at(54))
    for person in people[21:27] if len(people) > 27 else people[12:16]:
        services.evaluate(Topic.objects.get(pk=lamp.pk), acting_user=staff, person=person, score=rng.choice([4, 5, 5]), now=at(rng.uniform(45, 53)))
    services.close_evaluation(Topic.objects.get(pk=lamp.pk), acting_user=staff, now=at(40))

    topics = Topic.objects.filter(region__path__startswith=street.path).count()
    return f"deliberation: {topics} topics, {Meeting.objects.filter(region__path__startswith=street.path).count()} meeting, {cases} case, 2 projects"


def delete(inside: str, delete_rows) -> None:
    """Delete this app's rows under the region path `inside`, before the regions go."""
    from .models import AgendaItem, Attendee, Evaluation, Meeting, Milestone, ProgressUpdate, Project, Topic, TopicCase, TopicEvent

    topic_rows = Q(topic__region__path__startswith=inside)
    delete_rows(Evaluation.objects.filter(topic_rows))
    delete_rows(ProgressUpdate.objects.filter(project__topic__region__path__startswith=inside))
    delete_rows(Milestone.objects.filter(project__topic__region__path__startswith=inside))
    delete_rows(Project.objects.filter(topic_rows))
    delete_rows(TopicCase.objects.filter(topic_rows))
    delete_rows(AgendaItem.objects.filter(Q(meeting__region__path__startswith=inside) | topic_rows))
    delete_rows(Attendee.objects.filter(meeting__region__path__startswith=inside))
    delete_rows(Meeting.objects.filter(region__path__startswith=inside))
    delete_rows(TopicEvent.objects.filter(topic_rows))
    # Merged topics point at the topic they joined (PROTECT): they go first.
    delete_rows(Topic.objects.filter(region__path__startswith=inside, merged_into__isnull=False))
    delete_rows(Topic.objects.filter(region__path__startswith=inside))
