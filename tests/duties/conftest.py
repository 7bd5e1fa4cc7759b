"""Fixtures for duty lists: a street statutory list in force (version 1, three items) and the
district's grid task list, both loaded by the system as an initial list is."""

from __future__ import annotations

import pytest


def street_rows():
    return [
        {"key": "FD-001", "title": "负责辖区矛盾纠纷排查调处", "category": "平安法治", "owner_unit": "平安法治办公室",
         "legal_basis": "《中华人民共和国人民调解法》", "matter_types": "S0001 S0002"},
        {"key": "FD-002", "title": "负责辖区消防安全检查", "category": "应急安全", "owner_unit": "应急管理办公室",
         "legal_basis": "《中华人民共和国消防法》", "matter_types": ["S0003"]},
        {"key": "FD-003", "title": "负责辖区市容环境卫生", "category": "城市管理", "owner_unit": "城市管理办公室",
         "legal_basis": "《城市市容和环境卫生管理条例》", "matter_types": "event-06010"},
    ]


@pytest.fixture
def statutory(tree):
    """云枫街道法定职责事项清单, version 1 in force."""
    from yiwang.duties import services
    from yiwang.duties.models import ListKind

    return services.create_list(region=tree.street, kind=ListKind.STREET_STATUTORY, rows=street_rows(), acting_user=None,
                                name="云枫街道法定职责事项清单")


@pytest.fixture
def grid_list(tree):
    """开州区网格任务清单: WG-01 covers 邻里纠纷 and 生活噪音, WG-02 covers 燃气安全隐患."""
    from yiwang.duties import services
    from yiwang.duties.models import ListKind

    return services.create_list(region=tree.district, kind=ListKind.GRID_TASKS, acting_user=None, name="开州区网格任务清单", rows=[
        {"key": "WG-01", "title": "矛盾纠纷排查化解", "matter_types": "S0001 S0009"},
        {"key": "WG-02", "title": "安全隐患排查", "matter_types": "S0003"},
    ])


@pytest.fixture
def superuser(make_user):
    return make_user("root", "district", None, is_superuser=True)


@pytest.fixture
def matter(db):
    from yiwang.matters.models import MatterType

    def get(code, kind=None):
        qs = MatterType.objects.filter(code=code)
        return (qs.filter(kind=kind) if kind else qs).get()

    return get
