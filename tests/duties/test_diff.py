"""What changed between two versions: items added, removed and changed field by field."""

from __future__ import annotations

import pytest

from yiwang.duties import selectors, services

pytestmark = pytest.mark.django_db


def test_diff_names_every_change(statutory, users):
    proposal = services.propose_change(statutory, acting_user=users["street"], reason="调整", changes=[
        {"op": "add", "key": "FD-004", "title": "负责辖区防溺水", "matter_types": "S0008"},
        {"op": "change", "key": "FD-001", "owner_unit": "综治中心", "matter_types": "S0001 S0009", "note": "与派出所联动"},
        {"op": "remove", "key": "FD-003"},
    ])
    diff = selectors.diff(statutory.current_version, proposal)
    assert [r.item.key for r in diff.added] == ["FD-004"]
    assert [r.item.key for r in diff.removed] == ["FD-003"]
    assert diff.unchanged == 1 and not diff.empty
    [change] = diff.changed
    assert change.key == "FD-001"
    fields = {f.field: f for f in change.fields}
    assert set(fields) == {"owner_unit", "matter_types", "note"}
    assert (fields["owner_unit"].old, fields["owner_unit"].new) == ("平安法治办公室", "综治中心")
    assert (fields["note"].old, fields["note"].new) == ("", "与派出所联动")
    assert fields["matter_types"].added == ["S0009 生活噪音"]
    assert fields["matter_types"].removed == ["S0002 物业矛盾"]
    assert fields["matter_types"].old == "S0001 邻里纠纷、S0002 物业矛盾"
    body = diff.as_dict()
    assert body["from_version"] == 1 and body["to_version"] == 2
    assert body["added"][0]["matter_types"] == ["community-S0008"]


def test_diff_backwards_and_from_nothing(statutory, users):
    proposal = services.propose_change(statutory, acting_user=users["street"], reason="调整",
                                       changes=[{"op": "remove", "key": "FD-002"}])
    backwards = selectors.diff(proposal, statutory.current_version)
    assert [r.item.key for r in backwards.added] == ["FD-002"] and not backwards.removed
    everything = selectors.diff(None, statutory.current_version)
    assert [r.item.key for r in everything.added] == ["FD-001", "FD-002", "FD-003"] and everything.unchanged == 0
    assert selectors.diff(proposal, proposal).empty


def test_diff_refuses_versions_of_two_lists(statutory, grid_list):
    with pytest.raises(ValueError):
        selectors.diff(statutory.current_version, grid_list.current_version)
