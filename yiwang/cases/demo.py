"""Demo step after the A/B roles (`ab_roles.demo`): the open demo cases of 云枫 are put on their desks."""

from __future__ import annotations

import random

from django.utils import timezone

from yiwang.regions.models import Region

from .desks import assign_open_cases


def build(*, rng: random.Random, district: Region, street: Region) -> str:
    return f"{assign_open_cases(inside=street.path, at=timezone.now())} open cases on their desks"


def delete(inside: str, delete_rows) -> None:
    """Nothing of its own: the cases are deleted with the closed loop."""
