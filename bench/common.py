"""Shared helpers for benchmarks: one JSON object per metric, the baseline measured in the same run."""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from collections.abc import Callable
from functools import lru_cache


@lru_cache(maxsize=1)
def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cpu}; {os.cpu_count()} cores; Python {platform.python_version()}"


def metric(name: str, value: float, unit: str, *, baseline: str, baseline_value: float) -> dict:
    """ratio = ours / baseline, in the metric's own unit."""
    return {
        "metric": name,
        "value": round(value, 3),
        "unit": unit,
        "baseline": baseline,
        "baseline_value": round(baseline_value, 3),
        "ratio": round(value / baseline_value, 4) if baseline_value else None,
        "machine": machine(),
    }


def emit(row: dict) -> None:
    sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def best_rate(work: Callable[[], int], *, repeat: int = 3) -> float:
    """Items per second of the fastest of `repeat` runs; `work` returns how many items it did."""
    best = 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        done = work()
        elapsed = time.perf_counter() - start
        best = max(best, done / elapsed)
    return best
