"""Grid work's periodic job: care plans whose first day has come are counted in the care counters
(`counters.count_started_plans`). Imports inside, so that finding the job at start-up loads nothing else."""

from yiwang.core import jobs


@jobs.periodic("gridwork.care_plans_started", order=60)
def count_started_plans(now) -> int:
    from django.utils import timezone

    from .counters import count_started_plans

    return count_started_plans(today=timezone.localdate(now))
