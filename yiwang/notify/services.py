"""Delivery of notices: rows in people's in-app inbox, and messages to the group robots (WeCom /
DingTalk webhooks) of the regions above where it happened. A robot that failed is tried again by the
sweep (`jobs.py`).

Who is told about what is the caller's rule (cases: `cases.notices`). Callers queue the delivery as a
task inside their own transaction, so a notice goes out only if that transaction commits, and a crash
right after COMMIT cannot lose it; the worker runs `deliver`.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.utils import timezone

from yiwang.core.scope import ancestor_paths

from .models import Notification, WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)


def deliver(*, users: Iterable, kind: str, text: str, region_path: str, case=None) -> int:
    """Write one inbox row per user and send `text` to every active robot of `region_path` and the
    regions above it; returns the inbox rows made."""
    users = list(users)
    Notification.objects.bulk_create([Notification(user=user, case=case, kind=kind, text=text[:300]) for user in users])
    for endpoint in WebhookEndpoint.objects.filter(active=True, region__path__in=ancestor_paths(region_path)):
        send(WebhookDelivery.objects.create(endpoint=endpoint, payload=robot_payload(text)))
    return len(users)


def robot_payload(text: str) -> dict:
    """The text-message shape both WeCom and DingTalk group robots accept."""
    return {"msgtype": "text", "text": {"content": text}}


def send(delivery: WebhookDelivery, *, timeout: float = 5.0) -> bool:
    delivery.attempts += 1
    request = urllib.request.Request(delivery.endpoint.url, data=json.dumps(delivery.payload, ensure_ascii=False).encode(),
                                     headers={"Content-Type": "application/json; charset=utf-8"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read(4096)
        delivery.sent_at, delivery.last_error = timezone.now(), ""
    except Exception as exc:  # a robot that is down must not stop the inbox; the error is kept for a retry
        delivery.last_error = str(exc)[:300]
        log.warning("webhook %s failed: %s", delivery.endpoint.url, exc)
    delivery.save(update_fields=["attempts", "sent_at", "last_error"])
    return delivery.sent_at is not None


def resend_failed(*, now: datetime, attempts: int = 5) -> int:
    """Robot messages that failed are tried again on later sweeps, for a day, at most `attempts` times."""
    failed = WebhookDelivery.objects.filter(sent_at__isnull=True, attempts__lt=attempts, created_at__gte=now - timedelta(days=1))
    return sum(send(delivery) for delivery in failed.select_related("endpoint")[:100])
