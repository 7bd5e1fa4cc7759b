"""Exports' timed work: the pruning of expired files keeps its own chain (every 15 minutes, see tasks.py)."""

from yiwang.core import jobs


@jobs.standing("export pruning")
def keep_pruning_scheduled() -> bool:
    from .tasks import ensure_prune_scheduled

    return ensure_prune_scheduled()
