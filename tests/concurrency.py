"""Races on real connections, for the tests that prove a row lock or a constraint holds: the calls run in
threads released together by a barrier, each on its own database connection."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection


def race(calls: list[Callable], *, expect: type[BaseException] | tuple[type[BaseException], ...] = Exception) -> list:
    """Run the calls at the same moment; return what each returned, or the `expect` exception it raised,
    in the order of `calls`. Any other exception fails the test once every thread has ended."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    unexpected: list[BaseException] = []

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except expect as exc:
            results[i] = exc
        except Exception as exc:  # noqa: BLE001 - raised in the test's own thread below
            unexpected.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if unexpected:
        raise unexpected[0]
    return results
