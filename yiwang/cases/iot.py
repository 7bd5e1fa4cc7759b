"""Device alerts from IoT platforms: signed with a shared secret; repeated alerts from one device
within its window join the device's open case instead of opening another."""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from .models import Case, Channel, Device, DeviceAlert, DeviceSource, Status
from .services import Report, report_case

SIGNATURE_HEADER = "X-Yiwang-Signature"
TIMESTAMP_HEADER = "X-Yiwang-Timestamp"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """hex HMAC-SHA256 of "<timestamp>.<body>": what a platform puts in X-Yiwang-Signature (as sha256=<hex>)."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify(source: DeviceSource, *, timestamp: str, signature: str, body: bytes, now: float | None = None) -> None:
    now = time.time() if now is None else now
    try:
        skew = abs(now - int(timestamp))
    except (TypeError, ValueError):
        raise PermissionDenied(gettext("%(header)s应为以秒计的Unix时间") % {"header": TIMESTAMP_HEADER}) from None
    if skew > settings.YIWANG_WEBHOOK_MAX_SKEW:
        raise PermissionDenied(gettext("%(header)s与本平台时钟相差%(seconds)s秒") % {"header": TIMESTAMP_HEADER, "seconds": int(skew)})
    expected = "sha256=" + sign(source.secret(), timestamp, body)
    if not hmac.compare_digest(expected, signature or ""):
        raise PermissionDenied(gettext("%(header)s与请求内容不符") % {"header": SIGNATURE_HEADER})


def receive(source: DeviceSource, payload: dict) -> tuple[DeviceAlert, bool]:
    """Record one alert; returns (alert, opened a new case?)."""
    code = str(payload.get("device") or "").strip()
    if not code:
        raise ValidationError({"device": gettext("告警未指明设备")})
    device = Device.objects.filter(source=source, code=code, active=True).select_related("matter", "region").first()
    if device is None:
        raise ValidationError({"device": gettext("%(platform)s没有设备“%(code)s”") % {"platform": source.name, "code": code}})
    kind = str(payload.get("kind") or "")[:64]
    now = timezone.now()
    with transaction.atomic():
        # Lock the device row so two alerts arriving together cannot both open a case.
        Device.objects.select_for_update().filter(pk=device.pk).first()
        window_start = now - timedelta(minutes=device.merge_window_minutes)
        # The window runs from the device's latest alert: a device that keeps alarming keeps one case.
        case = (Case.objects.filter(device=device).exclude(status__in=[Status.REJECTED, Status.MERGED, Status.CLOSED, Status.RATED])
                .filter(Q(reported_at__gte=window_start) | Q(alerts__received_at__gte=window_start)).order_by("-reported_at").first())
        opened = case is None
        if opened:
            description = str(payload.get("message") or f"{device.name} 告警 {kind}").strip()[:500]
            attributes = payload.get("attributes") or {}
            if not isinstance(attributes, dict):
                raise ValidationError({"attributes": "an object of answers is expected"})
            case = report_case(Report(channel=Channel.DEVICE, matter=device.matter, lon=device.lon, lat=device.lat,
                                      address=device.address, description=description, attributes=attributes, device=device), now=now).case
        alert = DeviceAlert.objects.create(device=device, received_at=now, kind=kind, payload=payload, case=case, opened_case=opened)
    return alert, opened
