"""The national evaluation indicators (GB/T 30428, yiwang.cases.national) on hand-built cases: every
numerator and denominator exactly, on /api/command/kpi, on the command screen and in the weekly report."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from yiwang.cases.models import Case, CaseEvent, Channel, Level, Status
from yiwang.cases.national import NAMES, national_rates

pytestmark = pytest.mark.django_db


@pytest.fixture
def hand_built(tree):
    from yiwang.matters.models import MatterType
    from yiwang.matters.services import current_version

    matter = MatterType.objects.get(kind="community", code="S0001")
    version = current_version(matter)
    now = timezone.now()
    day = now - timedelta(days=3)
    counter = iter(range(1, 100))

    def make(status, *, reported_at=day, late_steps=(), **fields):
        case = Case.objects.create(number=f"N{next(counter):05d}", channel=Channel.DESK, matter=matter, matter_version=version, board=matter.board,
                                   tier="A", level=Level.GRID, region=tree.grid_a, handling_region=tree.grid_a, status=status,
                                   reported_at=reported_at, **fields)
        for step in late_steps:  # the sweep's mark when a step's clock ran out
            CaseEvent.objects.create(case=case, at=reported_at + timedelta(hours=5), action="mark_overdue", to_status=status,
                                     detail={"step": step}, public=False)
        return case

    t = lambda hours: day + timedelta(hours=hours)  # noqa: E731
    made = {
        "waiting": make(Status.REPORTED),  # not yet judged valid or not: in no count
        "rejected": make(Status.REJECTED, rejected_at=t(1), late_steps=["accept"]),
        "merged": make(Status.MERGED, merged_at=t(1)),
        "accepted_late": make(Status.ACCEPTED, accepted_at=t(3), late_steps=["accept"]),
        "returned": make(Status.DISPATCHED, accepted_at=t(1), dispatched_at=t(2), return_count=1),
        "closed_on_time": make(Status.CLOSED, accepted_at=t(1), dispatched_at=t(2), signed_at=t(3), handled_at=t(20), verified_at=t(21),
                               closed_at=t(22), close_due_at=t(40), rework_count=1, extension_count=1, late_steps=["sign", "handle"]),
        "closed_late": make(Status.RATED, accepted_at=t(1), dispatched_at=t(2), signed_at=t(3), handled_at=t(30), verified_at=t(31),
                            closed_at=t(50), close_due_at=t(40), rating="satisfied"),
        "on_the_spot": make(Status.CLOSED, accepted_at=t(0.5), dispatched_at=t(0.5), signed_at=t(0.5), handled_at=t(0.5), verified_at=t(0.5),
                            closed_at=t(0.5), close_due_at=t(40), solved_on_spot=True),
        "extended": make(Status.SIGNED, accepted_at=t(1), dispatched_at=t(2), signed_at=t(3), extension_count=1),
        "handled": make(Status.HANDLED, accepted_at=t(1), dispatched_at=t(2), signed_at=t(3), handled_at=t(10)),
        # Reported before the period: in none of the period's counts.
        "old": make(Status.CLOSED, reported_at=now - timedelta(days=60), accepted_at=now - timedelta(days=60), dispatched_at=now - timedelta(days=60),
                    handled_at=now - timedelta(days=59), verified_at=now - timedelta(days=59), closed_at=now - timedelta(days=59),
                    close_due_at=now - timedelta(days=58), return_count=2, rework_count=1),
    }
    return made


EXPECTED = {
    "disposal_rate": (4, 6),  # handled: closed ×2, on the spot, handled / dispatched: those and returned, extended
    "disposal_on_time_rate": (3, 4),  # the closed-on-time case's handle step was marked overdue
    "closure_rate": (3, 7),  # closed ×3 / registered: every valid case accepted or closed
    "closure_on_time_rate": (2, 3),
    "dispatch_accuracy_rate": (5, 6),  # the returned case was not dispatched right
    "rework_rate": (1, 3),  # sent back at verification / checked at verification (verified or reworked)
    "extension_rate": (2, 6),
    "registration_on_time_rate": (6, 7),  # accepted_late's accept step was marked overdue (a rejected one does not count)
    "valid_report_rate": (7, 9),  # decided reports: all but the waiting one; valid: all but rejected and merged
}


def test_each_numerator_and_denominator(hand_built):
    now = timezone.now()
    found = national_rates(Case.objects.all(), start=now - timedelta(days=30), end=now + timedelta(days=1))
    assert list(found) == list(NAMES)
    assert {name: (rate.numerator, rate.denominator) for name, rate in found.items()} == EXPECTED
    assert found["closure_rate"].value == pytest.approx(3 / 7)
    # The whole history adds the old case: dispatched, handled, closed on time, reworked, returned.
    whole = national_rates(Case.objects.all())
    assert (whole["dispatch_accuracy_rate"].numerator, whole["dispatch_accuracy_rate"].denominator) == (5, 7)
    assert (whole["rework_rate"].numerator, whole["rework_rate"].denominator) == (2, 4)


def test_no_cases_gives_none_not_zero(tree):
    found = national_rates(Case.objects.all())
    assert all(rate.value is None and rate.numerator == rate.denominator == 0 for rate in found.values())


def test_the_command_screen_and_its_api_show_them(client, users, tree, hand_built):
    client.force_login(users["street"])
    kpi = client.get("/api/command/kpi", {"region": tree.street.code}).json()
    for name, (numerator, denominator) in EXPECTED.items():
        assert kpi[name] == {"value": pytest.approx(numerator / denominator), "numerator": numerator, "denominator": denominator}, name
    assert [row["key"] for row in kpi["national"]] == list(NAMES)
    assert kpi["national"][0]["label"] == "处置率" and kpi["national"][0]["denominator_label"] == "应处置"
    # Another street has no cases: null rates over zero denominators.
    client.force_login(users["district"])
    other = client.get("/api/command/kpi", {"region": tree.other_street.code}).json()
    assert other["closure_rate"] == {"value": None, "numerator": 0, "denominator": 0}
    client.force_login(users["street"])
    page = client.get("/command/", {"region": tree.street.code}).content.decode()
    assert 'data-testid="national"' in page and 'data-testid="national-closure_rate">42.9%<' in page
    assert 'data-testid="national-valid_report_rate">77.8%<' in page


def test_the_weekly_report_has_them(tree, hand_built):
    from yiwang.reviews.documents import report_tables
    from yiwang.reviews.figures import monday_of, weekly_figures

    day = hand_built["handled"].reported_at
    figures = weekly_figures(region=tree.street, week_start=monday_of(timezone.localdate(day)))
    national = {row["key"]: (row["this_numerator"], row["this_denominator"]) for row in figures["national"]}
    assert national == EXPECTED
    table = next(t for t in report_tables(figures) if t.key == "national")
    assert [row[0] for row in table.rows][:2] == ["处置率", "按期处置率"] and table.rows[2][2:4] == [3, 7]
