"""Fixtures for campaigns: the district's grid task list ("6+1" cut down to two tasks), 三合一
places in both grids of 永先社区 and one in another street, and a draft gas-check campaign."""

from __future__ import annotations

from datetime import date

import pytest


@pytest.fixture
def grid_list(tree):
    """开州区网格任务清单: WG-01 矛盾纠纷排查化解, WG-02 安全隐患排查."""
    from yiwang.duties import services
    from yiwang.duties.models import ListKind

    return services.create_list(region=tree.district, kind=ListKind.GRID_TASKS, acting_user=None, name="开州区网格任务清单", rows=[
        {"key": "WG-01", "title": "矛盾纠纷排查化解", "matter_types": "S0001"},
        {"key": "WG-02", "title": "安全隐患排查", "matter_types": "S0003 S0008"},
    ])


@pytest.fixture
def places(tree):
    """Two 三合一 places in grid A (one with a point inside A), one in grid B, one shop in A and
    one 三合一 place in another street."""
    from yiwang.regions.models import Level, Region
    from yiwang.registry.models import Place

    other_community = Region.objects.create(parent=tree.other_street, level=Level.COMMUNITY, code="500154001001", name="汉丰社区")
    other_grid = Region.objects.create(parent=other_community, level=Level.GRID, code="500154001001001", name="汉丰社区第1网格")
    return {
        "a1": Place.objects.create(region=tree.micro_a1, name="老王小吃店", kind="three_in_one", address="永先路1号", lon=108.302, lat=31.105),
        "a2": Place.objects.create(region=tree.grid_a, name="李记五金", kind="three_in_one", address="永先路9号"),
        "b1": Place.objects.create(region=tree.micro_b1, name="张姐麻辣烫", kind="three_in_one", address="永先路20号"),
        "shop": Place.objects.create(region=tree.grid_a, name="便利店", kind="shop"),
        "other": Place.objects.create(region=other_grid, name="汉丰面馆", kind="three_in_one"),
    }


def matter(code: str):
    from yiwang.matters.models import MatterType

    return MatterType.objects.filter(code=code).order_by("kind").first()


GAS_ITEMS = [("燃气软管无老化破损", "S0003"), ("安装燃气报警器", "S0003"), ("疏散通道畅通", "S0008")]


@pytest.fixture
def draft(tree, users, places, grid_list):
    from yiwang.campaigns import services

    return services.create_campaign(
        acting_user=users["street"], owner=tree.street, title="三合一场所燃气安全专项排查", task_key="WG-02",
        starts_on=date(2026, 6, 1), ends_on=date(2026, 6, 30),
        items=[{"text": text, "matter": matter(code)} for text, code in GAS_ITEMS],
        targets=services.TargetFilter(place_kinds=("three_in_one",)))


@pytest.fixture
def published(draft, users):
    from yiwang.campaigns import services

    return services.publish_campaign(draft, acting_user=users["street"])


def results(campaign, **by_number):
    """Results for every item: pass unless given, e.g. results(c, i2=("fail", "报警器坏了"))."""
    out = []
    for item in campaign.items.order_by("number"):
        result, note = by_number.get(f"i{item.number}", ("pass", ""))
        out.append({"item": item.pk, "result": result, "note": note})
    return out
