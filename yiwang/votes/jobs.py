"""Votes' periodic job: ballots past their closing time are closed (and published when set) on the record."""

from yiwang.core import jobs


@jobs.periodic("votes.close_due_ballots", order=60)
def close_ballots_past_their_time(now) -> int:
    from .services import close_due_ballots

    return close_due_ballots(now=now)
