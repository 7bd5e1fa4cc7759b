"""SQLite's writers queue on a file lock beside the database (yiwang/core/queued_sqlite3): a second
writer's transaction begins only once the first has committed or rolled back, and a process killed
while holding the lock does not hold it any more."""

import os
import subprocess
import sys
import threading

import pytest
from django.db import connection, connections, transaction

from yiwang.core.models import SubmissionKey

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True),
              pytest.mark.skipif(connection.vendor != "sqlite", reason="the writers' lock is the SQLite backend's")]


def _write(events: list, name: str, *, hold: threading.Event | None = None, fail: bool = False):
    def run():
        try:
            with transaction.atomic():
                events.append(f"{name} began")
                SubmissionKey.objects.filter(pk=-1).update(kind="x")  # a write: takes SQLite's own lock too
                if hold is not None:
                    hold.wait(10)
                if fail:
                    raise RuntimeError("rolled back")
            events.append(f"{name} committed")
        except RuntimeError:
            events.append(f"{name} rolled back")
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.parametrize("first_ends", ["commit", "rollback"])
def test_a_second_writer_begins_only_after_the_first_ends(first_ends):
    events: list[str] = []
    hold = threading.Event()
    first = _write(events, "A", hold=hold, fail=first_ends == "rollback")
    while "A began" not in events:
        first.join(0.01)
    second = _write(events, "B")
    second.join(0.5)
    assert events == ["A began"], "B began while A held the write lock"
    hold.set()
    first.join(10)
    second.join(10)
    ended = "A committed" if first_ends == "commit" else "A rolled back"
    # Released as A ends, B goes on (it may log before A's thread logs its end).
    assert events[0] == "A began" and sorted(events[1:]) == sorted([ended, "B began", "B committed"])
    assert events.index("B began") < events.index("B committed")


def test_a_killed_holder_leaves_the_lock_free():
    path = str(connection.settings_dict["NAME"]) + ".writers"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, os, sys, time\n"
        f"fd = os.open({path!r}, os.O_RDWR | os.O_CREAT)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "print('held', flush=True)\n"
        "time.sleep(60)\n")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        events: list[str] = []
        writer = _write(events, "B")
        writer.join(0.5)
        assert events == [], "B wrote while another process held the lock"
        holder.kill()
        writer.join(10)
        assert events == ["B began", "B committed"]
    finally:
        holder.kill()
        holder.wait()
