"""Random walks through the case lifecycle (hypothesis.stateful).

A `RuleBasedStateMachine` reports cases (random matter of each tier, a point in grid A or B, a
random reporter) and then lets random users — anonymous, a resident, the grid workers of both
grids, the community, the street, the district, the department member, a superuser, or the
background worker (`system=True`) — take random actions of `lifecycle.ACTIONS` with random
parameters, on a simulated clock that only moves forward. The services may refuse with
IllegalTransition, PermissionDenied or ValidationError; anything else fails the test.

After every step the machine checks, for every case it made:
- the timeline replays the transition table: the first event is "report", every later event's
  (from_status, action) is in TRANSITIONS, its to_status is the row's target (or unchanged for a
  None target), and each event starts where the previous one ended;
- the case's status is its last event's to_status;
- the timeline is exactly the report plus the successful calls, in order: every transition is
  audited, and a refused call wrote nothing (no event, routing row, extension request, summons
  or points, no change to the case row);
- the deadlines agree with the status: a step clock runs iff STEP_OF names a step (on hold the
  handling clock stays, paused), started <= warn <= due, and the clock is paused only on hold or
  while an extension request waits;
- no case is lost or duplicated, and case numbers are unique.

Each hypothesis example runs inside a savepoint that is rolled back at teardown, so the examples
share one region tree and set of users and still start from an empty case table.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, multiple, precondition, rule, run_state_machine_as_test

from yiwang.cases import services
from yiwang.cases.lifecycle import ACTIONS, STEP_OF, TRANSITIONS, Actor, IllegalTransition, actions_from
from yiwang.cases.models import Case, CaseEvent, Channel, ExtensionRequest, RequestStatus, RoutingDecision, Status, Summons
from yiwang.cases.permissions import may_act
from yiwang.points.models import PointEntry

from .conftest import POINT_A, POINT_B

REFUSALS = (IllegalTransition, PermissionDenied, ValidationError)

# (kind, code): tier A in the community and the urban catalogue, tier B, tier C with a department
# serving the street, tier C not admitted to grids with no department, and a tier-A matter with a
# required extra question (refused unless answered).
MATTERS = [("community", "S0001"), ("event", "06010"), ("community", "S0002"), ("event", "06001"), ("community", "S0006"),
           ("community", "S0004")]
USERS = [None, "resident", "worker_a", "worker_b", "community", "street", "district", "department", "admin"]
REGIONS = [None, "grid_a", "grid_b", "micro_a1", "community", "street", "other_street", "district"]
NOTES = ["情况说明", "情况说明", "情况说明", "", "  "]
LIKELY = st.sampled_from([True, True, True, False])  # three times in four
RATINGS = ["satisfied", "basic", "unsatisfied", "", "great"]
AMOUNTS = ["1d", "4h", None, "0h", "soon"]

MAIN_LINE = {"accept", "dispatch", "sign", "handle", "verify", "close", "rate"}
WAITS = [timedelta(0), timedelta(minutes=30), timedelta(hours=4), timedelta(days=1), timedelta(days=5)]
MAX_CASES = 5
REPORT_ARGS = dict(matter=st.sampled_from([code for _, code in MATTERS]), at=st.sampled_from([POINT_A, POINT_B]),
                   reporter=st.sampled_from(USERS), channel=st.sampled_from([Channel.GRID_WORKER, Channel.DESK, Channel.HOTLINE]),
                   urgency=st.sampled_from(["normal", "urgent", "critical"]), answer=st.booleans())

# Rows a refused call must not have written.
SIDE_TABLES = (CaseEvent, RoutingDecision, ExtensionRequest, Summons, PointEntry)


def make_machine(tree, users, department):
    from yiwang.matters.models import MatterType

    matters = {code: MatterType.objects.get(kind=kind, code=code) for kind, code in MATTERS}
    people = dict(users)
    people["admin"] = type(users["district"]).objects.create_superuser("admin", password="Yiwang-test-2026")

    class CaseLifecycle(RuleBasedStateMachine):
        cases = Bundle("cases")

        def __init__(self):
            super().__init__()
            self._savepoint = transaction.savepoint_create()
            # Simulated time, passed to every service call: it starts weeks back so that it can move
            # forward without passing the real now (do_rate_case takes no `now`: after it the clock
            # jumps to the real now, and the simulated clock must never run backwards).
            self.now = timezone.now() - timedelta(days=40)
            self.created: list[int] = []
            self.applied: dict[int, list[str]] = {}  # case pk → actions that succeeded, in order
            self.codes: dict[int, str] = {}  # case pk → the reporter's access code

        def teardown(self):
            transaction.savepoint_rollback(self._savepoint)

        # --- rules ---------------------------------------------------------------------------

        @initialize(target=cases, **REPORT_ARGS)
        def first_report(self, **report):
            return self.report(**report)

        # A handful of cases, so that most steps act on them rather than report more.
        @precondition(lambda self: len(self.created) < MAX_CASES)
        @rule(target=cases, **REPORT_ARGS)
        def report(self, matter, at, reporter, channel, urgency, answer):
            attributes = {"location_kind": "corridor"} if matter == "S0004" and answer else {}
            before = Case.objects.count()
            try:
                intake = services.report_case(
                    services.Report(channel=channel, matter=matters[matter], lon=at[0], lat=at[1], description="随机事件",
                                    urgency=urgency, attributes=attributes),
                    acting_user=people[reporter] if reporter else None, now=self.now)
            except REFUSALS:
                assert Case.objects.count() == before, "a refused report left a case behind"
                return multiple()
            pk = intake.case.pk
            self.created.append(pk)
            self.applied[pk] = []
            self.codes[pk] = intake.access_code
            return pk

        @rule(pk=cases, data=st.data(), system=st.sampled_from([False, False, False, True]), note=st.sampled_from(NOTES),
              rating=st.sampled_from(RATINGS), amount=st.sampled_from(AMOUNTS), to_department=st.booleans(),
              region=st.sampled_from(REGIONS), original=st.one_of(st.none(), cases), code=st.sampled_from(["right", "none", "wrong"]),
              via_rate_case=st.booleans(), wait=st.sampled_from(WAITS))
        def act(self, pk, data, system, note, rating, amount, to_department, region, original, code, via_rate_case, wait):
            # Time passes first, never past the real now (see __init__).
            self.now = min(self.now + wait, timezone.now())
            # Any action by anyone sometimes; mostly an action the table allows from the case's
            # status (the main line report → … → rate first, then other moves, then notes such as
            # urge) by a user allowed to take it, so that walks get past the first steps instead of
            # bouncing off IllegalTransition and PermissionDenied.
            case = Case.objects.select_related("region", "handling_region").get(pk=pk)
            legal = sorted(row.action for row in actions_from(case.status))
            moves = [action for action in legal if TRANSITIONS[(case.status, action)].target is not None]
            choices = {"main line": [action for action in moves if action in MAIN_LINE], "move": moves, "legal": legal, "any": ACTIONS}
            pick = data.draw(st.sampled_from(["main line", "main line", "move", "legal", "any"]), label="pick")
            action = data.draw(st.sampled_from(choices[pick] or ACTIONS), label="action")
            row = TRANSITIONS.get((case.status, action))
            if row is not None and row.actor is Actor.SYSTEM:
                system = data.draw(LIKELY, label="system")
            allowed = [who for who in USERS if row is not None and may_act(people[who] if who else None, case, row)]
            who = data.draw(st.sampled_from(allowed if allowed and data.draw(LIKELY) else USERS), label="who")
            user = people[who] if who else None
            access_code = {"none": None, "right": self.codes[pk], "wrong": "WRONG234"}[code]
            snapshot = self._snapshot(pk)
            try:
                if action in ("rate", "rate_unsatisfied") and via_rate_case:
                    # The named action picks rate or rate_unsatisfied from the rating; it has no `now`.
                    done = "rate_unsatisfied" if rating == "unsatisfied" else "rate"
                    try:
                        services.do_rate_case(pk, rating=rating, note=note, acting_user=user, access_code=access_code)
                    finally:
                        self.now = max(self.now, timezone.now())
                else:
                    done = action
                    params = {}
                    if action in ("request_extension", "approve_extension", "refuse_extension"):
                        params["amount"] = amount
                    if action in ("rate", "rate_unsatisfied"):
                        params["rating"] = rating
                    if action == "dispatch":
                        params["department"] = department if to_department else None
                        params["region"] = getattr(tree, region) if region else None
                    if action == "merge":
                        params["original"] = original
                    services.perform(pk, action, acting_user=user, note=note, system=system, access_code=access_code, now=self.now,
                                     **params)
            except REFUSALS:
                assert self._snapshot(pk) == snapshot, f"refused {action} by {who} changed case {pk} or wrote rows"
                return
            self.applied[pk].append(done)

        # --- invariants ----------------------------------------------------------------------

        @invariant()
        def no_case_lost_or_duplicated(self):
            rows = list(Case.objects.values_list("pk", "number"))
            assert sorted(pk for pk, _ in rows) == sorted(self.created)
            numbers = [number for _, number in rows]
            assert None not in numbers and len(set(numbers)) == len(numbers)

        @invariant()
        def timelines_replay_the_table(self):
            events: dict[int, list[tuple[str, str, str]]] = {}
            for case_id, action, before, after in CaseEvent.objects.order_by("id").values_list("case_id", "action", "from_status", "to_status"):
                events.setdefault(case_id, []).append((action, before, after))
            statuses = dict(Case.objects.values_list("pk", "status"))
            for pk in self.created:
                timeline = events.get(pk, [])
                assert timeline, f"case {pk} has no events"
                assert timeline[0] == ("report", "", Status.REPORTED), f"case {pk} starts with {timeline[0]}"
                for (_, _, previous), (action, before, after) in zip(timeline, timeline[1:]):
                    assert before == previous, f"case {pk}: {action} starts at {before} but the case was {previous}"
                    row = TRANSITIONS.get((before, action))
                    assert row is not None, f"case {pk}: ({before}, {action}) is not in the table"
                    assert after == (row.target if row.target is not None else before), f"case {pk}: {action} from {before} ended in {after}"
                assert statuses[pk] == timeline[-1][2], f"case {pk} is {statuses[pk]} but its last event says {timeline[-1][2]}"
                assert [action for action, _, _ in timeline] == ["report", *self.applied[pk]], f"case {pk}: timeline ≠ successful calls"

        @invariant()
        def deadlines_agree_with_status(self):
            pending = set(ExtensionRequest.objects.filter(status=RequestStatus.PENDING).values_list("case_id", flat=True))
            for case in Case.objects.all():
                label = f"case {case.pk} ({case.status}, step {case.step!r})"
                if case.status == Status.ON_HOLD:
                    assert case.step == STEP_OF[Status.SIGNED] and case.paused_at is not None, f"{label}: on hold, the handling clock pauses"
                else:
                    assert case.step == STEP_OF.get(case.status, ""), f"{label}: wrong step"
                clock = (case.step_started_at, case.step_warn_at, case.step_due_at)
                if case.step:
                    assert None not in clock, f"{label}: a running step without its times {clock}"
                    assert case.step_started_at <= case.step_warn_at <= case.step_due_at, f"{label}: {clock} out of order"
                else:
                    assert clock == (None, None, None), f"{label}: times {clock} without a step"
                    assert not case.step_overdue, f"{label}: overdue without a step"
                if case.paused_at is not None:
                    assert case.status == Status.ON_HOLD or case.pk in pending, f"{label}: paused with no hold and no pending extension"
                if case.step_overdue:
                    assert case.ever_overdue, f"{label}: overdue now but never overdue"
                assert case.close_due_at is not None and case.close_due_at >= case.reported_at, f"{label}: close_due_at {case.close_due_at}"

        def _snapshot(self, pk):
            """The case row and how many rows the side tables hold: what a refused call must not change."""
            counts = ", ".join(f"(SELECT COUNT(*) FROM {model._meta.db_table})" for model in SIDE_TABLES)
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {counts}")
                return Case.objects.filter(pk=pk).values().get(), cursor.fetchone()

    return CaseLifecycle


@pytest.mark.django_db
def test_random_walks_keep_every_case_consistent(tree, users, department):
    machine = make_machine(tree, users, department)
    run_state_machine_as_test(
        machine,
        settings=settings(max_examples=25, stateful_step_count=30, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]),
    )
