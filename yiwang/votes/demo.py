"""Demo rows for this app, built after the closed loop inside `yiwang demo`."""

from __future__ import annotations

import random

from yiwang.regions.models import Region


def build(*, rng: random.Random, district: Region, street: Region) -> str:
    """Create the demo rows under `street`; return a one-line summary for the demo log."""
    return ""


def delete(inside: str, delete_rows) -> None:
    """Delete this app's rows under the region path `inside`, before the regions go."""
