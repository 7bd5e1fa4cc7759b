"""Notify's periodic job: robot messages that failed are sent again."""

from yiwang.core import jobs


@jobs.periodic("notify.resend_webhooks", order=50)
def resend_failed_webhooks(now) -> int:
    from .services import resend_failed

    return resend_failed(now=now)
