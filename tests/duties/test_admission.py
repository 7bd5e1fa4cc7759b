"""Grid admission reads the nearest grid task list in force above the grid; without one, the
matter type's own flag decides and tasks are refused."""

from __future__ import annotations

import pytest

from yiwang.duties import services
from yiwang.duties.admission import Admission, NotAdmitted, grid_admission, require_grid_admission
from yiwang.duties.models import ListKind
from yiwang.regions.models import Level, Region

pytestmark = pytest.mark.django_db


def test_covered_matter_is_admitted_and_names_the_list(tree, grid_list, matter):
    answer = grid_admission(grid=tree.grid_a, matter_type=matter("S0001"))
    assert answer == Admission(True, answer.reason, grid_list.current_version)
    assert "《开州区网格任务清单》第1版" in answer.reason and "WG-01 矛盾纠纷排查化解" in answer.reason


def test_matter_not_on_the_list_is_refused_even_if_the_catalogue_admits_it(tree, grid_list, matter):
    litter = matter("06010", "event")
    assert litter.grid_admitted  # the catalogue alone would let it down to the grid
    answer = grid_admission(grid=tree.grid_a, matter_type=litter)
    assert not answer.admitted and answer.version == grid_list.current_version
    assert answer.reason == "事项 06010 暴露垃圾不在《开州区网格任务清单》第1版之内，未准入网格，不得下派到网格"
    with pytest.raises(NotAdmitted) as refused:
        require_grid_admission(grid=tree.grid_a, matter_type=litter)
    assert refused.value.message_dict == {"matter": [answer.reason]}
    assert refused.value.admission == answer


def test_tasks_are_admitted_by_key(tree, grid_list):
    assert grid_admission(grid=tree.grid_b, task_key="WG-02").admitted
    assert "任务 WG-02 安全隐患排查" in require_grid_admission(grid=tree.grid_b, task_key="WG-02").reason
    with pytest.raises(NotAdmitted) as refused:
        require_grid_admission(grid=tree.grid_b, task_key="WG-09")
    assert list(refused.value.message_dict) == ["task"]
    assert "任务 WG-09 不在《开州区网格任务清单》第1版之内" in refused.value.message_dict["task"][0]


def test_nearest_list_wins(tree, grid_list, users, matter):
    # 永先社区 narrows the district's list for its own grids: only 燃气安全隐患 goes down there.
    own = services.create_list(region=tree.community, kind=ListKind.GRID_TASKS, acting_user=users["community"], reason="社区网格减负",
                               rows=[{"key": "YX-01", "title": "燃气隐患巡查", "matter_types": "S0003"}])
    # Not yet approved: the district's list still applies.
    assert grid_admission(grid=tree.grid_a, matter_type=matter("S0001")).admitted
    services.approve_version(own.versions.get(), acting_user=users["street"])
    refused = grid_admission(grid=tree.grid_a, matter_type=matter("S0001"))
    assert not refused.admitted and refused.version == own.versions.get() and "永先社区网格任务清单" in refused.reason
    assert grid_admission(grid=tree.grid_a, matter_type=matter("S0003")).admitted
    # A grid of another community of the street still reads the district's list.
    other_community = Region.objects.create(parent=tree.street, level=Level.COMMUNITY, code="500154003002", name="永安社区")
    other_grid = Region.objects.create(parent=other_community, level=Level.GRID, code="500154003002001", name="永安社区第1网格")
    answer = grid_admission(grid=other_grid, matter_type=matter("S0001"))
    assert answer.admitted and answer.version == grid_list.current_version


def test_an_approved_change_applies_at_once(tree, grid_list, users, superuser, matter):
    assert grid_admission(grid=tree.grid_a, matter_type=matter("S0009")).admitted
    proposal = services.propose_change(grid_list, acting_user=users["district"], reason="生活噪音交社区处理",
                                       changes=[{"op": "change", "key": "WG-01", "matter_types": "S0001"}])
    assert grid_admission(grid=tree.grid_a, matter_type=matter("S0009")).admitted  # only a proposal so far
    services.approve_version(proposal, acting_user=superuser)
    answer = grid_admission(grid=tree.grid_a, matter_type=matter("S0009"))
    assert not answer.admitted and "第2版" in answer.reason


def test_without_any_list_the_catalogue_flag_decides(tree, matter):
    admitted = grid_admission(grid=tree.grid_a, matter_type=matter("S0001"))
    assert admitted.admitted and admitted.version is None
    assert "未设网格任务清单" in admitted.reason and "按事项目录" in admitted.reason
    construction = matter("06001", "event")
    refused = grid_admission(grid=tree.grid_a, matter_type=construction)
    assert not refused.admitted and "违法建设未准入网格" in refused.reason
    task = grid_admission(grid=tree.grid_a, task_key="WG-01")
    assert not task.admitted and "未设网格任务清单" in task.reason


def test_admission_costs_no_query_once_cached(tree, grid_list, matter, django_assert_num_queries):
    gas = matter("S0003")
    grid_admission(grid=tree.grid_a, matter_type=gas)
    with django_assert_num_queries(0):
        for _ in range(50):
            assert grid_admission(grid=tree.grid_a, matter_type=gas).admitted


def test_a_name_is_needed(tree):
    with pytest.raises(TypeError):
        grid_admission(grid=tree.grid_a)


def test_a_change_made_by_another_process_is_seen_at_the_next_stamp_check(tree, grid_list, users, superuser, matter):
    from unittest import mock

    from yiwang.duties import admission

    assert grid_admission(grid=tree.grid_a, matter_type=matter("S0003")).admitted
    proposal = services.propose_change(grid_list, acting_user=users["district"], reason="燃气交专业队伍",
                                       changes=[{"op": "remove", "key": "WG-02"}])
    # Another process approves: this one's cache is not told, only the stamp moves.
    with mock.patch.object(admission, "forget"):
        services.approve_version(proposal, acting_user=superuser)
    assert grid_admission(grid=tree.grid_a, matter_type=matter("S0003")).admitted  # within the check interval
    admission._lists._checked_at = -1e18  # the interval has passed
    assert not grid_admission(grid=tree.grid_a, matter_type=matter("S0003")).admitted
