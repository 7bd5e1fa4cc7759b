"""Links' periodic job: whoever answers for a link that missed its cadence is told, once per period."""

from yiwang.core import jobs


@jobs.periodic("links.remind_missed", order=60)
def remind_missed_cadences(now) -> int:
    from .services import remind_missed

    return remind_missed(now=now)
