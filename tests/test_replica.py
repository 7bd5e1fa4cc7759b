"""Reads on the streaming replica (yiwang/core/dbrouting.py).

The router's and the middleware's rules are tested always, with the replica's state given. Tests
marked `replica` read a real streaming replica: they run when YIWANG_TEST_REPLICA_URL names a streaming
replica of YIWANG_TEST_DATABASE_URL (the PostgreSQL run; .ci/run starts one beside its primary), and are
skipped otherwise. The replica copies the whole cluster, so it holds the test database as soon as the
primary has created it: the alias is the primary's test mirror (settings), and these tests commit
(transaction=True) for their rows to reach it."""

from __future__ import annotations

import time

import pytest
from django.conf import settings as django_settings
from django.db import DatabaseError, OperationalError, connections
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from yiwang.core import dbrouting
from yiwang.core.dbrouting import REPLICA, ReplicaReadsMiddleware, ReplicaRouter, ReplicaState, reads_from_primary, reads_from_replica

HAVE_REPLICA = REPLICA in django_settings.DATABASES and django_settings.DATABASES[REPLICA]["ENGINE"].endswith("postgresql")
needs_replica = pytest.mark.skipif(
    not HAVE_REPLICA, reason="no streaming replica: set YIWANG_TEST_REPLICA_URL to a streaming replica of the PostgreSQL test server "
                             "(YIWANG_TEST_DATABASE_URL, run with DATABASE_URL set to it); .ci/run starts one")


def _model(label: str):
    from django.apps import apps

    return apps.get_model(label)


@pytest.fixture
def replica_up(monkeypatch):
    """The replica as configured and current, without asking one."""
    monkeypatch.setattr(dbrouting, "replica_configured", lambda: True)
    monkeypatch.setattr(dbrouting, "replica_state", lambda fresh=False: ReplicaState(True, 0.0, "", time.monotonic()))


@pytest.fixture(autouse=True)
def _forget_state():
    dbrouting.forget_replica_state()
    yield
    dbrouting.forget_replica_state()


# --- rules, no replica needed ------------------------------------------------------------------------

def test_hand_written_reads_follow_the_same_rule(replica_up):
    assert dbrouting.read_alias() == "default"
    with reads_from_replica():
        assert dbrouting.read_alias() == REPLICA


def test_reads_go_to_the_replica_only_when_asked(replica_up):
    router, case = ReplicaRouter(), _model("cases.Case")
    assert router.db_for_read(case) == "default"
    with reads_from_replica():
        assert router.db_for_read(case) == REPLICA
        with reads_from_primary():
            assert router.db_for_read(case) == "default"
        assert router.db_for_read(case) == REPLICA
    assert router.db_for_read(case) == "default"


def test_writes_logins_and_the_queue_stay_on_the_primary(replica_up):
    router = ReplicaRouter()
    with reads_from_replica():
        for label in ("sessions.Session", "accounts.User", "axes.AccessAttempt", "django_tasks_database.DBTaskResult",
                      "core.Throttle", "core.SubmissionKey"):
            assert router.db_for_read(_model(label)) == "default", label
        assert router.db_for_write(_model("cases.Case")) == "default"
    assert router.allow_migrate(REPLICA, "cases") is False and router.allow_migrate("default", "cases") is None


def test_reads_inside_a_write_transaction_stay_on_the_primary(replica_up, db):
    # The test runs inside a transaction on the primary, as a service's write does.
    with reads_from_replica():
        assert ReplicaRouter().db_for_read(_model("cases.Case")) == "default"


def test_a_lagging_or_silent_replica_is_not_read(monkeypatch):
    monkeypatch.setattr(dbrouting, "replica_configured", lambda: True)
    router, case = ReplicaRouter(), _model("cases.Case")
    for state in (ReplicaState(False, 30.0, "lagging 30.0 s", time.monotonic()), ReplicaState(False, None, "down", time.monotonic())):
        monkeypatch.setattr(dbrouting, "replica_state", lambda fresh=False, state=state: state)
        with reads_from_replica():
            assert router.db_for_read(case) == "default"


class _Cursor:
    def __init__(self, row=None, error=None):
        self.row, self.error = row, error

    def __enter__(self):
        if self.error:
            raise self.error
        return self

    def __exit__(self, *exc):
        return False

    def execute(self, sql):
        pass

    def fetchone(self):
        return self.row


class _Connection:
    def __init__(self, **cursor):
        self.cursor_args, self.closed = cursor, False

    def cursor(self):
        return _Cursor(**self.cursor_args)

    def close(self):
        self.closed = True


@pytest.mark.parametrize(("answer", "usable", "reason"), [
    ({"row": (True, True, 0.0)}, True, ""),
    ({"row": (True, True, 0.4)}, True, ""),
    ({"row": (True, True, 12.5)}, False, "lagging 12.5 s"),
    ({"row": (True, False, 0.0)}, False, "not streaming from the primary"),
    ({"row": (False, False, 0)}, True, ""),
    ({"error": OperationalError("connection refused")}, False, "down: OperationalError"),
])
def test_the_lag_check(monkeypatch, settings, answer, usable, reason):
    settings.YIWANG_REPLICA_MAX_LAG_SECONDS = 10
    replica = _Connection(**answer)
    monkeypatch.setattr(dbrouting, "connections", {REPLICA: replica})
    state = dbrouting.measure_replica()
    assert (state.usable, state.reason) == (usable, reason)
    assert replica.closed == ("error" in answer)


def test_the_lag_check_is_believed_for_a_while_and_a_down_replica_for_longer(monkeypatch, settings):
    settings.YIWANG_REPLICA_CHECK_SECONDS, settings.YIWANG_REPLICA_DOWN_RETRY_SECONDS = 2, 10
    clock, asked, answers = [1000.0], [], []
    monkeypatch.setattr(dbrouting.time, "monotonic", lambda: clock[0])

    def measure():
        asked.append(clock[0])
        usable, lag = answers.pop(0)
        return ReplicaState(usable, lag, "" if usable else "down", clock[0])

    monkeypatch.setattr(dbrouting, "measure_replica", measure)
    answers[:] = [(True, 0.0), (False, None), (True, 0.0)]
    assert dbrouting.replica_state().usable
    clock[0] += 1.5
    assert dbrouting.replica_state().usable and len(asked) == 1
    clock[0] += 1
    assert not dbrouting.replica_state().usable and len(asked) == 2
    clock[0] += 5
    assert not dbrouting.replica_state().usable and len(asked) == 2  # down: not asked again for 10 s
    clock[0] += 5
    assert dbrouting.replica_state().usable and len(asked) == 3


def _request(method: str, path: str, cookies: dict | None = None):
    request = getattr(RequestFactory(), method.lower())(path)
    request.COOKIES.update(cookies or {})
    return request


def test_a_write_keeps_that_browser_on_the_primary_for_a_few_seconds(replica_up, settings):
    settings.YIWANG_REPLICA_READS, settings.YIWANG_REPLICA_STICKY_SECONDS = True, 5
    seen = []
    middleware = ReplicaReadsMiddleware(lambda request: seen.append(dbrouting._use_replica.get()) or HttpResponse("ok"))

    middleware(_request("GET", "/api/command/kpi"))
    middleware(_request("GET", "/cases/"))  # not a replica page
    assert seen == [True, False]

    wrote = middleware(_request("POST", "/cases/1/act/accept"))
    cookie = wrote.cookies[dbrouting.WROTE_COOKIE]
    assert cookie["max-age"] == 5 and cookie["httponly"]
    middleware(_request("GET", "/api/command/kpi", {dbrouting.WROTE_COOKIE: cookie.value}))
    assert seen[-1] is False
    # A forged or foreign cookie counts for nothing.
    middleware(_request("GET", "/api/command/kpi", {dbrouting.WROTE_COOKIE: "1"}))
    assert seen[-1] is True


def test_the_sticky_cookie_expires(replica_up, settings, monkeypatch):
    settings.YIWANG_REPLICA_READS, settings.YIWANG_REPLICA_STICKY_SECONDS = True, 5
    middleware = ReplicaReadsMiddleware(lambda request: HttpResponse("ok"))
    value = middleware(_request("POST", "/reviews/daily/")).cookies[dbrouting.WROTE_COOKIE].value
    assert dbrouting.wrote_recently(_request("GET", "/reviews/daily/", {dbrouting.WROTE_COOKIE: value}))
    from django.core import signing

    later = time.time() + 6
    monkeypatch.setattr(signing.time, "time", lambda: later)
    assert not dbrouting.wrote_recently(_request("GET", "/reviews/daily/", {dbrouting.WROTE_COOKIE: value}))


def test_without_a_replica_nothing_changes(settings, monkeypatch):
    monkeypatch.setattr(dbrouting, "replica_configured", lambda: False)
    settings.YIWANG_REPLICA_READS = True
    seen = []
    middleware = ReplicaReadsMiddleware(lambda request: seen.append(dbrouting._use_replica.get()) or HttpResponse("ok"))
    response = middleware(_request("POST", "/command/"))
    middleware(_request("GET", "/command/"))
    assert dbrouting.WROTE_COOKIE not in response.cookies and seen == [False, False]


def test_a_replica_failing_during_a_page_is_answered_from_the_primary(monkeypatch, settings):
    """The API answers its own errors with a 500; a page's view raises. Either way, when the replica
    turns out to be down, the page is answered again from the primary."""
    settings.YIWANG_REPLICA_READS = True
    monkeypatch.setattr(dbrouting, "replica_configured", lambda: True)
    # Asked again after the failure: down now.
    states = iter([ReplicaState(False, None, "down", time.monotonic())])
    monkeypatch.setattr(dbrouting, "replica_state", lambda fresh=False: next(states))

    def api(request):
        return HttpResponse("replica gone", status=500) if dbrouting._use_replica.get() else HttpResponse("from the primary")

    response = ReplicaReadsMiddleware(api)(_request("GET", "/api/command/kpi"))
    assert response.status_code == 200 and response.content == b"from the primary"

    class Match:
        args, kwargs = (), {}

        @staticmethod
        def func(request):
            return HttpResponse("from the primary" if not dbrouting._use_replica.get() else "replica")

    request = _request("GET", "/command/")
    request.reads_replica, request.resolver_match = True, Match
    states = iter([ReplicaState(False, None, "down", time.monotonic())])
    with reads_from_replica():
        answer = ReplicaReadsMiddleware(api).process_exception(request, OperationalError("server closed the connection"))
    assert answer.content == b"from the primary"
    # An error of the page's own, the replica answering: not hidden.
    states = iter([ReplicaState(True, 0.0, "", time.monotonic())])
    request.reads_replica = True
    assert ReplicaReadsMiddleware(api).process_exception(request, DatabaseError("division by zero")) is None


# --- a real streaming replica ------------------------------------------------------------------------

def _wait_for_replica(check, *, seconds: float = 30.0):
    """Until `check()` (run on the replica) is true: replication is asynchronous."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    pytest.fail("the replica did not catch up within %s s" % seconds)


@pytest.fixture
def replica(settings):
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery(), current_database()")
        in_recovery, name = cursor.fetchone()
    if not in_recovery:
        pytest.skip("YIWANG_TEST_REPLICA_URL names a server that is not in recovery: not a streaming replica")
    assert name == connections["default"].settings_dict["NAME"]
    settings.YIWANG_REPLICA_READS = True
    settings.YIWANG_REPLICA_MAX_LAG_SECONDS = 10
    dbrouting.forget_replica_state()
    return connections[REPLICA]


@pytest.mark.replica
@needs_replica
@pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=["default", REPLICA])
def test_the_command_screen_reads_the_replica_and_a_writer_reads_the_primary(replica, settings, client, users):
    """With the replica's replay paused, a case reported on the primary is missing from the screen's
    figures as the replica has them, and present for the browser that has just written."""
    from tests.cases.conftest import POINT_A
    from yiwang.accounts.models import User
    from yiwang.cases.models import Channel
    from yiwang.cases.services import Report, report_case
    from yiwang.matters.models import MatterType

    settings.YIWANG_REPLICA_MAX_LAG_SECONDS = 3600  # paused below: behind, yet within the limit
    street = users["street"]
    _wait_for_replica(lambda: User.objects.using(REPLICA).filter(pk=street.pk).exists() and dbrouting.measure_replica().lag_seconds == 0)
    client.force_login(street)
    kpi = {"region": street.scope_region.code}
    with CaptureQueriesContext(replica) as on_replica:
        before = client.get("/api/command/kpi", kpi)
    assert before.status_code == 200 and len(on_replica) > 0

    with replica.cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")
    try:
        matter = MatterType.objects.get(kind="community", code="S0001")
        report_case(Report(channel=Channel.DESK, matter=matter, lon=POINT_A[0], lat=POINT_A[1], description="楼道堆物"),
                    acting_user=users["community"])
        dbrouting.forget_replica_state()
        assert client.get("/api/command/kpi", kpi).json() == before.json(), "the figures did not come from the replica"
        # Any write request keeps this browser on the primary for the next few seconds: it sees the case.
        client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
        assert dbrouting.WROTE_COOKIE in client.cookies
        with CaptureQueriesContext(replica) as on_replica:
            after = client.get("/api/command/kpi", kpi)
        assert after.status_code == 200 and len(on_replica) == 0 and after.json() != before.json()
    finally:
        with replica.cursor() as cursor:
            cursor.execute("SELECT pg_wal_replay_resume()")


@pytest.mark.replica
@needs_replica
@pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=["default", REPLICA])
def test_a_lagging_replica_is_passed_over_and_the_new_row_read_from_the_primary(replica, settings, tree):
    from yiwang.regions.models import Region

    settings.YIWANG_REPLICA_MAX_LAG_SECONDS = 0
    _wait_for_replica(lambda: Region.objects.using(REPLICA).filter(pk=tree.grid_a.pk).exists())
    with replica.cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")
    try:
        Region.objects.filter(pk=tree.grid_a.pk).update(name="永先社区第一网格")
        # The replica has received the write but not replayed it: its lag is above the limit.
        _wait_for_replica(lambda: not dbrouting.measure_replica().usable, seconds=10)
        dbrouting.forget_replica_state()
        with reads_from_replica():
            assert Region.objects.get(pk=tree.grid_a.pk).name == "永先社区第一网格"
        assert Region.objects.using(REPLICA).get(pk=tree.grid_a.pk).name == "永先社区第1网格"
    finally:
        with replica.cursor() as cursor:
            cursor.execute("SELECT pg_wal_replay_resume()")
    settings.YIWANG_REPLICA_MAX_LAG_SECONDS = 10
    _wait_for_replica(lambda: Region.objects.using(REPLICA).get(pk=tree.grid_a.pk).name == "永先社区第一网格")
    dbrouting.forget_replica_state()
    with reads_from_replica():
        assert ReplicaRouter().db_for_read(Region) == REPLICA
