"""Reads on the streaming replica (settings: YIWANG_DATABASE_REPLICA_URL adds the alias `replica`).

Nothing reads the replica unless it is asked to, in one of two ways:
- a request whose path is one of `REPLICA_READ_PATHS` (the command screen, analysis, the reports),
  by GET or HEAD, from a user who has not written in the last YIWANG_REPLICA_STICKY_SECONDS
  (`ReplicaReadsMiddleware`: every POST, PUT, PATCH or DELETE sets a signed cookie with its time);
- code inside `with reads_from_replica():` (also a decorator), e.g. a background task's heavy reads
  that may be a few seconds old.

Even then a read stays on the primary when it happens inside a transaction on the primary (a write
reading what it just wrote), when its app keeps state that must be current (sessions, accounts, login
lockout, second factor, the task queue, core's keys and throttles), when the replica lags more than
YIWANG_REPLICA_MAX_LAG_SECONDS, or when it does not answer. The lag check is one query, believed for
YIWANG_REPLICA_CHECK_SECONDS per process; a replica that failed is tried again after
YIWANG_REPLICA_DOWN_RETRY_SECONDS. A page whose replica fails in the middle is answered again from
the primary (GET and HEAD only, which write nothing). Every write goes to the primary.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

log = logging.getLogger(__name__)

REPLICA = "replica"
# Pages and API calls that only read, and read much: the command screen, analysis, the daily and weekly reports.
REPLICA_READ_PATHS = ("/command/", "/api/command/", "/analysis/", "/api/analysis/", "/reviews/", "/api/reviews/")
# Apps whose rows must be read as they are now, whoever asks: who is logged in, locked out or verified,
# the task queue, submission keys, throttles, kept photos.
PRIMARY_ONLY_APPS = frozenset({
    "sessions", "auth", "contenttypes", "admin", "accounts", "axes", "django_otp", "otp_totp", "otp_static",
    "django_tasks_database", "core",
})
READ_METHODS = frozenset({"GET", "HEAD"})
WROTE_COOKIE = "yiwang_wrote"
_WROTE_SALT = "yiwang.core.dbrouting.wrote"

_use_replica: ContextVar[bool] = ContextVar("yiwang_reads_from_replica", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def reads_from_replica():
    """Reads inside go to the replica while it is current enough; usable as a decorator."""
    token = _use_replica.set(True)
    try:
        yield
    finally:
        _use_replica.reset(token)


@contextmanager
def reads_from_primary():
    """Reads inside go to the primary, even within `reads_from_replica`."""
    token = _use_replica.set(False)
    try:
        yield
    finally:
        _use_replica.reset(token)


# --- is the replica current enough? -------------------------------------------------------------------

@dataclass(frozen=True)
class ReplicaState:
    usable: bool
    lag_seconds: float | None  # None when it could not be asked
    reason: str  # why it is not usable ("" when it is)
    checked_at: float  # time.monotonic()


# Lag in seconds: none while the replica has replayed all it received; else the age of the last
# transaction it replayed. A replica whose WAL receiver is not running (cut off from the primary) may be
# far behind without knowing it: not usable. A server not in recovery is a primary, current by definition.
LAG_SQL = """
SELECT pg_is_in_recovery(),
       EXISTS (SELECT 1 FROM pg_stat_wal_receiver),
       CASE WHEN NOT pg_is_in_recovery() THEN 0
            WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
            ELSE COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp()), 1e9)
       END
"""

_state: ReplicaState | None = None
_state_lock = threading.Lock()


def measure_replica() -> ReplicaState:
    """Ask the replica how far behind it is, now (one query; a failure closes its connection)."""
    now = time.monotonic()
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(LAG_SQL)
            in_recovery, receiving, lag = cursor.fetchone()
    except DatabaseError as exc:
        try:
            connections[REPLICA].close()
        except DatabaseError:
            pass
        log.warning("replica not answering, reading from the primary: %s", exc)
        return ReplicaState(False, None, f"down: {exc.__class__.__name__}", now)
    lag = float(lag)
    if in_recovery and not receiving:
        return ReplicaState(False, lag, "not streaming from the primary", now)
    if lag > settings.YIWANG_REPLICA_MAX_LAG_SECONDS:
        return ReplicaState(False, lag, f"lagging {lag:.1f} s", now)
    return ReplicaState(True, lag, "", now)


def replica_state(*, fresh: bool = False) -> ReplicaState:
    """The replica's last known state, measured again when older than YIWANG_REPLICA_CHECK_SECONDS
    (YIWANG_REPLICA_DOWN_RETRY_SECONDS after a failure to answer)."""
    global _state
    state = _state
    if not fresh and state is not None and time.monotonic() - state.checked_at < _believe_for(state):
        return state
    with _state_lock:
        state = _state
        # Another thread may have measured while this one waited for the lock.
        if fresh or state is None or time.monotonic() - state.checked_at >= _believe_for(state):
            state = _state = measure_replica()
        return state


def _believe_for(state: ReplicaState) -> float:
    if state.lag_seconds is None:
        return settings.YIWANG_REPLICA_DOWN_RETRY_SECONDS
    return settings.YIWANG_REPLICA_CHECK_SECONDS


def forget_replica_state() -> None:
    global _state
    with _state_lock:
        _state = None


def replica_usable() -> bool:
    return replica_configured() and replica_state().usable


# --- the router ---------------------------------------------------------------------------------------

def read_alias() -> str:
    """Where a read goes now: the replica inside `reads_from_replica` while it is usable, outside any
    transaction on the primary; else the primary. Hand-written reads (core/sql.py) ask this directly."""
    if _use_replica.get() and not connections[DEFAULT_DB_ALIAS].in_atomic_block and replica_usable():
        return REPLICA
    return DEFAULT_DB_ALIAS


class ReplicaRouter:
    """settings.DATABASE_ROUTERS, when a replica is configured."""

    def db_for_read(self, model, **hints):
        if model._meta.app_label in PRIMARY_ONLY_APPS:
            return DEFAULT_DB_ALIAS
        # Said outright even for the primary: otherwise Django reads an object's relations where it came from.
        return read_alias()

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # One database seen twice: rows from either may be related.
        return {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA, None}

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # A replica is read-only; it receives the primary's schema by replication.
        return False if db == REPLICA else None


# --- requests -----------------------------------------------------------------------------------------

def wrote_recently(request) -> bool:
    """Whether this browser sent a write within YIWANG_REPLICA_STICKY_SECONDS (its signed cookie)."""
    seconds = settings.YIWANG_REPLICA_STICKY_SECONDS
    return seconds > 0 and request.get_signed_cookie(WROTE_COOKIE, default=None, salt=_WROTE_SALT, max_age=seconds) is not None


def request_reads_replica(request) -> bool:
    return (settings.YIWANG_REPLICA_READS and replica_configured() and request.method in READ_METHODS
            and request.path.startswith(REPLICA_READ_PATHS) and not wrote_recently(request))


class ReplicaReadsMiddleware:
    """Runs the replica's pages with `reads_from_replica`, and marks every writing request's browser
    so that its next requests, for a few seconds, read the primary and see what it wrote."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.reads_replica = request_reads_replica(request)
        if request.reads_replica:
            with reads_from_replica():
                response = self.get_response(request)
            if response.status_code >= 500 and not replica_state(fresh=True).usable:
                # The API answers its own errors (no process_exception): the whole answer again, from the primary.
                request.reads_replica = False
                response = self.get_response(request)
        else:
            response = self.get_response(request)
        if request.method not in READ_METHODS and request.method != "OPTIONS" and replica_configured():
            seconds = settings.YIWANG_REPLICA_STICKY_SECONDS
            if seconds > 0:
                response.set_signed_cookie(WROTE_COOKIE, "1", salt=_WROTE_SALT, max_age=math.ceil(seconds), httponly=True,
                                           samesite="Lax", secure=settings.SESSION_COOKIE_SECURE)
        return response

    def process_exception(self, request, exception):
        """A replica that failed during the page: answer the page again from the primary."""
        if not getattr(request, "reads_replica", False) or not isinstance(exception, DatabaseError):
            return None
        if replica_state(fresh=True).usable:
            return None  # the replica answers: the error was the page's own
        match = request.resolver_match
        if match is None:
            return None
        request.reads_replica = False
        with reads_from_primary():
            return match.func(request, *match.args, **match.kwargs)
