"""A task for tests/test_worker_pool.py: each run appends its number to a file, so the test can count
how often each task ran, whichever worker process ran it."""

from __future__ import annotations

import os
import time

from django.tasks import task


@task
def record_run(path: str, number: int, pause: float) -> int:
    time.sleep(pause)  # long enough for the workers to overlap
    # One short append per run: O_APPEND writes of a line land whole, even from several processes.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{number} {os.getpid()}\n".encode())
    finally:
        os.close(fd)
    return number
