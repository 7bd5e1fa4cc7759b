"""Demo rows for this app, built after the closed loop inside `yiwang demo`.

永先社区's moral points bank as the seeds describe it (seed 001: 修身、润家、睦邻、怡城, rewards
redeemed, 道德红黑榜 in every community): about two months of grants by the two grid workers and
the community for some sixty residents (the demo resident among them, with enough points to
redeem something), a few deductions and uncivil-behaviour records, a catalogue with community and
street-wide stock, redemptions handed over and pending, and last month's published red/black list.
Every row goes through the services, so balances, audit entries and the rules hold as in real use.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from yiwang.regions.models import Level, Region

# (rule code, evidence) for the moral bank's grants; evidence as a granter would write it.
GRANTS = [
    ("xs_lecture", ""), ("xs_lecture", ""), ("yc_sorting", ""), ("yc_sorting", ""), ("yc_cleanup", "滨湖路环境整治签到表"),
    ("yc_report", "随手拍上报井盖破损，已立案处置"), ("ml_help", "每周看望5栋独居老人，老人家属确认"),
    ("ml_mediate", "调解3单元楼上漏水纠纷，双方签字的调解记录"), ("ml_deliberate", ""), ("rj_courtyard", "楼道整洁评比照片"),
    ("rj_filial", "照顾瘫痪婆婆十余年，邻居证明"), ("xs_honest", "拾得钱包归还失主，失主致谢信"), ("xs_blood", "无偿献血证"),
]
DEDUCTIONS = [("yc_litter", "高空抛物", "监控截图，网格员现场核实"), ("yc_parking", "电动车堵占消防通道", "网格员巡查照片")]
REWARDS = [  # (bank, name, points, stock, description, street-wide?)
    ("moral", "抽纸一提", 8, 60, "", False), ("moral", "洗衣液一瓶", 10, 40, "2kg装", False),
    ("moral", "大米5斤", 30, 25, "", False), ("moral", "菜籽油5升", 40, 15, "", False),
    ("moral", "社区理发券", 15, 30, "社区便民理发点使用", False), ("moral", "家庭体检套餐", 80, 5, "云枫街道社区卫生服务中心", True),
    ("volunteer", "志愿者马甲和帽子", 20, 30, "", False), ("volunteer", "公园年卡", 60, 10, "汉丰湖景区", True),
]


def _community(street: Region) -> Region | None:
    return Region.objects.filter(parent=street, level=Level.COMMUNITY).order_by("code").first()


def build(*, rng: random.Random, district: Region, street: Region) -> str:
    """Create the demo rows under `street`; return a one-line summary for the demo log."""
    from django.core.exceptions import ValidationError

    from yiwang.accounts.models import User
    from yiwang.registry.models import Person

    from . import services
    from .models import Bank, LedgerEntry, Rule
    from .selectors import balance, rewards_for

    community = _community(street)
    users = {u.username: u for u in User.objects.filter(username__in=["community", "gridworker1", "gridworker2", "resident", "partymember"])}
    if community is None or "community" not in users:
        return "pointsbank: no 永先社区 or demo logins; skipped"
    granters = [users[name] for name in ("gridworker1", "gridworker2", "community") if name in users]
    resident_people = [u.person for u in users.values() if u.role == "resident" and u.person_id]
    others = list(Person.objects.filter(region__path__startswith=community.path).exclude(pk__in=[p.pk for p in resident_people])
                  .order_by("pk")[:400])
    people = resident_people + rng.sample(others, min(60, len(others)))
    rules = {r.code: r for r in Rule.objects.filter(bank__code="moral")}

    def granter_for(person):
        # The grid worker of the person's grid grants; the community for anyone.
        for user in granters:
            if user.scope_region_id and person.region.path.startswith(user.scope_region.path) and user.role == "grid_worker":
                return user
        return users["community"]

    now = timezone.now()
    today = timezone.localdate()
    plan = []
    for person in people:
        for _ in range(rng.randint(2, 9) if person not in resident_people else 8):
            code, evidence = rng.choice(GRANTS)
            day = today - timedelta(days=rng.randint(1, 62))
            at = timezone.make_aware(datetime.combine(day, time(rng.randint(8, 19), rng.randint(0, 59))))
            plan.append((at, person, code, evidence))
    plan.sort(key=lambda row: (row[0], row[1].pk))
    entries = 0
    for at, person, code, evidence in plan:
        rule = rules[code]
        grant = {"bank_code": "moral", "person": person, "points": rule.points, "reason": rule.title, "rule_code": code,
                 "evidence": evidence, "acting_user": granter_for(person), "source": "pointsbank"}
        try:
            services.grant_points(**grant, at=min(at, now))
        except ValidationError:
            # Another app's demo already wrote a newer entry for this person: record it as of now.
            services.grant_points(**grant)
        entries += 1
    # Deductions and the uncivil-behaviour records behind them (this month and last).
    offenders = rng.sample(people[len(resident_people):], 4)
    for i, person in enumerate(offenders):
        code, what, evidence = DEDUCTIONS[i % len(DEDUCTIONS)]
        day = today - timedelta(days=3 + i * 9)
        services.record_conduct(person=person, occurred_on=day, description=what, acting_user=granter_for(person))
        if balance(bank_code="moral", person=person) >= -rules[code].points:
            services.grant_points(bank_code="moral", person=person, points=rules[code].points, reason=what, rule_code=code,
                                  evidence=evidence, acting_user=granter_for(person))
            entries += 1
    # One mistaken grant corrected by a reversal.
    mistaken = LedgerEntry.objects.filter(person__in=people[len(resident_people):], kind="grant").order_by("-at").first()
    if mistaken is not None and balance(bank_code="moral", person=mistaken.person) >= mistaken.points:
        services.reverse_entry(entry=mistaken, reason="同一事项重复记分", acting_user=users["community"])
    # Some volunteer points for the same residents, at the bank's hourly rule.
    rules_by_code = {rule.code: rule for rule in Rule.objects.filter(bank__code="volunteer")}
    for person in people[: 20]:
        hours = rng.randint(1, 6)
        services.grant_points(bank_code="volunteer", person=person, points=hours * rules_by_code["vs_hour"].points,
                              reason=f"志愿服务时长 {hours} 小时", rule_code="vs_hour",
                              acting_user=users["community"], source="volunteers")
    # The catalogue: the community's own stock and the street's shared stock.
    banks = {b.code: b for b in Bank.objects.all()}
    rewards = [services.create_reward(bank=banks[bank], region=street if wide else community, name=name, points_cost=cost, stock=stock,
                                      description=description, acting_user=users["community"] if not wide else _street_user(street, users))
               for bank, name, cost, stock, description, wide in REWARDS]
    # Redemptions: handed over, pending and one cancelled.
    redeemed = 0
    for person in people[len(resident_people):][:25]:
        affordable = [r for r in rewards_for(person) if r.bank.code == "moral" and r.points_cost <= balance(bank_code="moral", person=person)
                      and r.stock > 0]
        if not affordable:
            continue
        redemption = services.redeem(reward=rng.choice(affordable), person=person, acting_user=granter_for(person))
        redeemed += 1
        roll = rng.random()
        if roll < 0.6:
            services.fulfil_redemption(redemption=redemption, acting_user=granter_for(person), note="已在社区服务站领取")
        elif roll < 0.7:
            services.cancel_redemption(redemption=redemption, acting_user=users["community"], reason="居民改换其他奖品")
    # Last month's red and black list, published; this month's as a draft.
    first_of_month = today.replace(day=1)
    last_month_end = first_of_month - timedelta(days=1)
    board = services.draft_board(region=community, period_start=last_month_end.replace(day=1), period_end=last_month_end,
                                 acting_user=users["community"], red_size=8)
    if board.entries.exists():
        services.publish_board(board=board, acting_user=users["community"])
    services.draft_board(region=community, period_start=first_of_month, period_end=today, acting_user=users["community"], red_size=8)
    return f"pointsbank: {entries} ledger entries for {len(people)} residents of {community.name}, {len(rewards)} rewards, {redeemed} redemptions, 2 红黑榜"


def _street_user(street: Region, users: dict):
    """The street's demo account stocks street-wide rewards (its scope holds the street)."""
    from yiwang.accounts.models import User

    return User.objects.filter(username="street", scope_region=street).first() or users["community"]


def delete(inside: str, delete_rows) -> None:
    """Delete this app's rows under the region path `inside`, before the regions go."""
    from .models import Balance, Bank, Board, BoardEntry, ConductRecord, LedgerEntry, Redemption, Reward

    by_person = Q(person__region__path__startswith=inside)
    # Reversals first: they PROTECT the entries they name.
    delete_rows(LedgerEntry.objects.filter(by_person, reverses__isnull=False))
    delete_rows(LedgerEntry.objects.filter(by_person | Q(redemption__reward__region__path__startswith=inside)))
    delete_rows(Redemption.objects.filter(by_person | Q(reward__region__path__startswith=inside)))
    delete_rows(Balance.objects.filter(by_person))
    delete_rows(BoardEntry.objects.filter(by_person | Q(board__region__path__startswith=inside)))
    delete_rows(Board.objects.filter(region__path__startswith=inside))
    delete_rows(ConductRecord.objects.filter(by_person))
    delete_rows(Reward.objects.filter(region__path__startswith=inside))
    delete_rows(Bank.objects.filter(region__path__startswith=inside))
