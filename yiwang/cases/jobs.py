"""Cases' periodic jobs, run in this order by the sweep (`core.jobs`): a leave that began since the
last sweep hands A's cases to B before the reminders go out; then reminders, overdue marks and
automatic escalation (of cases marked overdue in the same sweep too). Imports are inside the jobs,
so that finding them at start-up loads nothing else."""

from yiwang.core import jobs


@jobs.folder("cases.rollups")
def fold_rollups() -> int:
    from .rollups import fold_all

    return fold_all()


@jobs.periodic("cases.handover", order=10)
def hand_over_leaves_begun(now) -> int:
    from .handover import hand_over_started_leaves

    return hand_over_started_leaves(now=now)


@jobs.periodic("cases.reminders", order=20)
def send_reminders(now) -> int:
    from .sweep import remind_due

    return remind_due(now=now)


@jobs.periodic("cases.overdue", order=30)
def mark_overdue(now) -> int:
    from .sweep import mark_overdue

    return mark_overdue(now=now)


@jobs.periodic("cases.auto_escalation", order=40)
def escalate_overdue(now) -> int:
    from .sweep import auto_escalate

    return auto_escalate(now=now)


@jobs.periodic("cases.supervision_overdue", order=35)
def flag_overdue_supervision(now) -> int:
    from .supervision import flag_overdue

    return flag_overdue(now=now)
