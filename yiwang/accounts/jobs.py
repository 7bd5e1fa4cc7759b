"""Accounts' periodic job: login events past their retention (YIWANG_LOGIN_LOG_DAYS) are deleted."""

from yiwang.core import jobs


@jobs.periodic("accounts.prune_login_events", order=80)
def prune_old_login_events(now) -> int:
    from .services import prune_login_events

    return prune_login_events(now=now)
