"""Factories for this app's scoped models: `def <model_name>(region)` makes one row inside `region`
(a micro-grid or grid). tests/factories.py finds them by model name.

Alliances belong to streets and communities; for the generated scope tests an alliance is made at
the given region itself (rows are created directly, without the services' level rule), so that
one in grid A's micro-grid is grid A's and nothing of grid B's."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

_seq = itertools.count(1)


def alliance(region, **fields):
    from yiwang.alliance.models import Alliance

    values = {"name": f"党建联盟{next(_seq)}", "region": region, "founded_on": date.today() - timedelta(days=400)}
    values.update(fields)
    return Alliance.objects.create(**values)


def alliancemember(region, **fields):
    from yiwang.alliance.models import AllianceMember

    values = {"alliance": fields.pop("alliance", None) or alliance(region), "name": f"共建单位{next(_seq)}",
              "joined_on": date.today() - timedelta(days=300)}
    values.update(fields)
    return AllianceMember.objects.create(**values)


def allianceneed(region, **fields):
    from yiwang.alliance.models import AllianceNeed

    values = {"alliance": fields.pop("alliance", None) or alliance(region), "region": region, "title": f"需求{next(_seq)}",
              "description": "居民希望增设休闲座椅", "raised_on": date.today() - timedelta(days=30)}
    values.update(fields)
    return AllianceNeed.objects.create(**values)


def allianceresource(region, **fields):
    from yiwang.alliance.models import AllianceResource

    unit = fields.pop("unit", None) or alliancemember(region)
    values = {"alliance": unit.alliance, "unit": unit, "kind": "volunteers", "description": f"志愿服务队{next(_seq)}",
              "capacity": "每月2次", "offered_on": date.today() - timedelta(days=20)}
    values.update(fields)
    return AllianceResource.objects.create(**values)


def allianceproject(region, **fields):
    from yiwang.alliance.models import AllianceProject

    lead = fields.pop("lead", None) or alliancemember(region)
    values = {"alliance": lead.alliance, "region": region, "lead": lead, "title": f"项目{next(_seq)}",
              "starts_on": date.today() - timedelta(days=10)}
    values.update(fields)
    return AllianceProject.objects.create(**values)


def alliancemilestone(region, **fields):
    from yiwang.alliance.models import AllianceMilestone

    values = {"project": fields.pop("project", None) or allianceproject(region), "title": f"节点{next(_seq)}",
              "due_on": date.today() + timedelta(days=10)}
    values.update(fields)
    return AllianceMilestone.objects.create(**values)


def alliancemeeting(region, **fields):
    from yiwang.alliance.models import AllianceMeeting

    values = {"alliance": fields.pop("alliance", None) or alliance(region), "held_on": date.today() - timedelta(days=5),
              "topic": f"联席会议{next(_seq)}", "minutes": "会议纪要"}
    values.update(fields)
    return AllianceMeeting.objects.create(**values)


def alliancedecision(region, **fields):
    from yiwang.alliance.models import AllianceDecision

    values = {"meeting": fields.pop("meeting", None) or alliancemeeting(region), "position": next(_seq), "text": "决定事项"}
    values.update(fields)
    return AllianceDecision.objects.create(**values)
