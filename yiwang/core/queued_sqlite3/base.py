"""Django's SQLite backend, with writers queued on a file lock beside the database.

SQLite lets one writer in at a time; the others wait in its busy handler, which sleeps and retries
(1, 2, 5 … 100 ms apart) and is not fair: under a burst of intakes from several server processes a
waiting writer can lose the race again and again, and the slowest intakes waited hundreds of
milliseconds while the lock was free most of the time. Here a write transaction (BEGIN IMMEDIATE,
see settings.DATABASES) first takes an exclusive `flock` on `<database>.writers`: the kernel wakes
the next waiter the moment the lock is released, and releases it when a process dies (kill -9
included), so it cannot be left held. Writes made outside a transaction still use the busy handler.
"""

from __future__ import annotations

import fcntl
import os

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._writers_fd: int | None = None

    def _writers_path(self) -> str | None:
        name = str(self.settings_dict["NAME"])
        return None if self.is_in_memory_db() or name.startswith("file:") else name + ".writers"

    def _start_transaction_under_autocommit(self):
        path = self._writers_path()
        if path is not None and self.transaction_mode == "IMMEDIATE":
            if self._writers_fd is None:
                self._writers_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._writers_fd, fcntl.LOCK_EX)
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_writers()
            raise

    def _release_writers(self) -> None:
        if self._writers_fd is not None:
            fcntl.flock(self._writers_fd, fcntl.LOCK_UN)

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._release_writers()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._release_writers()

    def _close(self):
        try:
            return super()._close()
        finally:
            if self._writers_fd is not None:
                os.close(self._writers_fd)  # closing the descriptor also releases its lock
                self._writers_fd = None
