"""The whole loop on hand-made cases: routing, each transition, deadlines and who may act."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from yiwang.cases import services
from yiwang.cases.lifecycle import IllegalTransition
from yiwang.cases.models import CaseEvent, Level, Status

from .conftest import POINT_B


def test_tier_a_case_goes_to_the_grid_and_round_the_loop(tree, users, report):
    intake = report("S0001")
    case = intake.case
    assert case.status == Status.REPORTED and case.region == tree.grid_a and case.level == Level.GRID
    assert case.handling_region == tree.grid_a and case.number.endswith(f"{case.pk:06d}")
    decision = case.routings.get()
    assert any("落在 永先社区第1网格" in reason for reason in decision.reasons)
    assert case.step == "accept" and case.step_due_at > case.step_warn_at > case.reported_at

    services.do_accept_case(case, acting_user=users["community"])
    services.do_dispatch_case(case, acting_user=users["community"])
    assert case.status == Status.DISPATCHED and case.level == Level.GRID
    with pytest.raises(PermissionDenied):
        services.do_sign_case(case, acting_user=users["worker_b"])
    services.do_sign_case(case, acting_user=users["worker_a"])
    services.do_handle_case(case, acting_user=users["worker_a"], note="已调解")
    services.do_rework_case(case, acting_user=users["community"], reason="未回访")
    assert case.status == Status.SIGNED and case.rework_count == 1
    services.do_handle_case(case, acting_user=users["worker_a"], note="已回访")
    services.do_verify_case(case, acting_user=users["community"])
    services.do_close_case(case, acting_user=users["community"])
    assert case.status == Status.CLOSED and case.closed_at is not None and case.step == ""
    services.do_rate_case(case, rating="satisfied", access_code=intake.access_code)
    assert case.status == Status.RATED and case.rating == "satisfied"

    actions = list(CaseEvent.objects.filter(case=case).values_list("action", flat=True))
    assert actions == ["report", "accept", "dispatch", "sign", "handle", "rework", "handle", "verify", "close", "rate"]


def test_illegal_transition_raises_and_changes_nothing(users, report):
    case = report("S0001").case
    with pytest.raises(IllegalTransition):
        services.do_close_case(case, acting_user=users["community"])
    case.refresh_from_db()
    assert case.status == Status.REPORTED and case.events.count() == 1


def test_tier_c_case_goes_to_the_street_and_its_department(tree, users, report, department):
    case = report("06001").case
    assert case.level == Level.STREET and case.handling_region == tree.street
    assert case.routings.get().department == department
    with pytest.raises(PermissionDenied):
        services.do_accept_case(case, acting_user=users["community"])
    services.do_accept_case(case, acting_user=users["street"])
    services.do_dispatch_case(case, acting_user=users["street"])
    assert case.level == Level.DEPARTMENT and case.handling_department == department
    services.do_return_case(case, acting_user=users["department"], reason="不属于本部门")
    assert case.status == Status.ACCEPTED and case.return_count == 1 and case.level == Level.STREET


def test_not_admitted_matter_never_goes_down_to_a_grid(tree, users, report):
    case = report("S0006").case  # water level: tier C, not admitted
    services.do_accept_case(case, acting_user=users["street"])
    with pytest.raises(ValidationError, match="未准入网格"):
        services.do_dispatch_case(case, acting_user=users["street"], region=tree.grid_a)
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED and case.routings.count() == 1


def test_point_outside_every_grid_is_refused_and_nothing_written(report):
    from yiwang.cases.models import Case

    with pytest.raises(ValidationError) as info:
        report("S0001", at=(100.0, 20.0))
    assert "不在任何网格内" in str(info.value)
    assert Case.objects.count() == 0


def test_unsatisfied_rating_reopens(users, report):
    intake = report("S0001", at=POINT_B)
    case = intake.case
    for step in ("accept", "dispatch"):
        services.perform(case, step, acting_user=users["community"])
    services.do_sign_case(case, acting_user=users["worker_b"])
    services.do_handle_case(case, acting_user=users["worker_b"], note="done")
    services.do_verify_case(case, acting_user=users["community"])
    services.do_close_case(case, acting_user=users["community"])
    with pytest.raises(PermissionDenied):
        services.do_rate_case(case, rating="unsatisfied", access_code="WRONG123")
    services.do_rate_case(case, rating="unsatisfied", access_code=intake.access_code, note="没修好")
    assert case.status == Status.ACCEPTED and case.reopen_count == 1 and case.rating == "unsatisfied"


def test_a_case_keeps_the_matter_version_it_was_routed_with(users, report, matters):
    from yiwang.matters.services import save_matter_type

    before = report("S0001").case
    matter = matters("S0001")
    matter.handle_limit = "1d"
    save_matter_type(matter, acting_user=users["district"])
    save_matter_type(matter, acting_user=users["district"])  # nothing changed: no new version
    after = report("S0001").case
    assert (before.matter_version.number, after.matter_version.number) == (1, 2)
    assert before.matter_version.limits["handle"] == "3d" and after.matter_version.limits["handle"] == "1d"


def test_merge_a_duplicate_into_its_original(users, report):
    from yiwang.matters.models import MatterType

    original = report("S0001").case
    duplicate = report("S0001", at=(108.3021, 31.1051)).case
    assert services.duplicates_near(matter=MatterType.objects.get(code="S0001"), lon=108.3021, lat=31.1051, exclude=duplicate.pk) == [original]
    services.do_merge_case(duplicate, acting_user=users["community"], original=original)
    assert duplicate.status == Status.MERGED and duplicate.merged_into == original
    with pytest.raises(ValidationError):
        services.do_merge_case(report("S0001").case, acting_user=users["community"], original=duplicate)


def test_concurrent_accepts_cannot_both_win(users, report):
    """The second of two accepts sees the first one's status (the row lock serialises them)."""
    case = report("S0001").case
    stale = type(case).objects.get(pk=case.pk)  # loaded before the first accept, still says "reported"
    services.do_accept_case(case, acting_user=users["community"])
    with pytest.raises(IllegalTransition):
        services.do_accept_case(stale, acting_user=users["street"])
    assert case.events.filter(action="accept").count() == 1


def test_grid_worker_solves_a_tier_a_case_on_the_spot(users, matters, png):
    from yiwang.cases.models import Channel, PhotoKind
    from yiwang.cases.services import Report, solve_on_spot

    from .conftest import POINT_A

    report = Report(channel=Channel.GRID_WORKER, matter=matters("06036"), lon=POINT_A[0], lat=POINT_A[1], description="楼道堆物")
    with pytest.raises(ValidationError, match="处置前和处置后的照片"):
        solve_on_spot(report, acting_user=users["worker_a"], before=[png()], after=[], note="已清理")
    case = solve_on_spot(report, acting_user=users["worker_a"], before=[png()], after=[png()], note="已清理").case
    assert case.status == Status.CLOSED and case.solved_on_spot and case.handler == users["worker_a"]
    assert sorted(case.photos.values_list("kind", flat=True)) == [PhotoKind.AFTER, PhotoKind.BEFORE]
    assert sorted(case.point_entries.values_list("event", flat=True)) == ["reported", "solved_on_spot"]
    with pytest.raises(ValidationError, match="简易事项"):
        solve_on_spot(Report(channel=Channel.GRID_WORKER, matter=matters("S0010"), lon=POINT_A[0], lat=POINT_A[1]),
                      acting_user=users["worker_a"], before=[png()], after=[png()], note="x")
    assert type(case).objects.count() == 1
