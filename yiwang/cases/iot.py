"""Device alerts from IoT platforms, in one common shape (docs/case-lifecycle.md): device id, alert
type, time, optional location. Signed with the platform's shared secret. An alert without a location
is placed at the device's registered place; repeats of one type from one device within the window
join its open case instead of opening another."""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from yiwang.regions.coords import CRS_CHOICES, WGS84

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


# A case in one of these no longer takes alerts: the next one opens a new case.
FINISHED = [Status.REJECTED, Status.MERGED, Status.CLOSED, Status.RATED]


@dataclass
class Alert:
    """One alert in the common shape, checked."""

    device_id: str
    alert_type: str
    raised_at: datetime | None = None  # None: when we received it
    lon: float | None = None
    lat: float | None = None
    crs: str = WGS84
    address: str = ""
    message: str = ""
    attributes: dict = field(default_factory=dict)


def _text(payload: dict, *names: str, limit: int) -> str:
    for name in names:
        value = payload.get(name)
        if value not in (None, ""):
            if not isinstance(value, (str, int)) or isinstance(value, bool):
                raise ValidationError({names[0]: gettext("%(field)s应为文字") % {"field": names[0]}})
            return str(value).strip()[:limit]
    return ""


def _number(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValidationError({name: gettext("%(field)s应为数字") % {"field": name}})
    try:
        number = float(value)
    except ValueError:
        raise ValidationError({name: gettext("%(field)s应为数字") % {"field": name}}) from None
    if not math.isfinite(number):
        raise ValidationError({name: gettext("%(field)s应为有效的数字") % {"field": name}})
    return number


def parse_alert(payload: dict, *, now: datetime | None = None) -> Alert:
    """The common shape: {"device_id", "alert_type", "time" (ISO 8601), "location": {"lon", "lat",
    "crs", "address"}?, "message"?, "attributes"?}; "device" and "kind" are read as before."""
    now = now or timezone.now()
    device_id = _text(payload, "device_id", "device", limit=64)
    if not device_id:
        raise ValidationError({"device_id": gettext("告警未指明设备（device_id）")})
    alert_type = _text(payload, "alert_type", "kind", limit=64)
    if not alert_type:
        raise ValidationError({"alert_type": gettext("告警未指明类型（alert_type）")})
    alert = Alert(device_id=device_id, alert_type=alert_type, message=_text(payload, "message", limit=500))
    raised = payload.get("time")
    if raised not in (None, ""):
        try:
            alert.raised_at = datetime.fromisoformat(str(raised))
        except ValueError:
            raise ValidationError({"time": gettext("time应为ISO 8601时间，如 2026-03-01T09:30:00+08:00")}) from None
        if timezone.is_naive(alert.raised_at):
            alert.raised_at = timezone.make_aware(alert.raised_at)  # the site's time zone (北京时间)
        if (alert.raised_at - now).total_seconds() > settings.YIWANG_WEBHOOK_MAX_SKEW:
            raise ValidationError({"time": gettext("告警时间晚于本平台当前时间")})
    location = payload.get("location")
    if location not in (None, {}):
        if not isinstance(location, dict):
            raise ValidationError({"location": gettext("location应为对象，如 {\"lon\": 108.3, \"lat\": 31.1}")})
        if location.get("lon") is None or location.get("lat") is None:
            raise ValidationError({"location": gettext("location须同时给出lon和lat")})
        alert.lon, alert.lat = _number(location["lon"], "location.lon"), _number(location["lat"], "location.lat")
        if not (-180 <= alert.lon <= 180 and -90 <= alert.lat <= 90):
            raise ValidationError({"location": gettext("（%(lon)s，%(lat)s）不是有效的经纬度") % {"lon": alert.lon, "lat": alert.lat}})
        alert.crs = str(location.get("crs") or WGS84).lower()
        if alert.crs not in CRS_CHOICES:
            raise ValidationError({"location.crs": gettext("坐标系应为%(choices)s之一") % {"choices": "、".join(CRS_CHOICES)}})
        alert.address = _text(location, "address", limit=200)
    attributes = payload.get("attributes") or {}
    if not isinstance(attributes, dict):
        raise ValidationError({"attributes": gettext("attributes应为对象（事项问题的答案）")})
    alert.attributes = attributes
    return alert


def registered_place(device: Device) -> tuple[float, float, str]:
    """Where the device is registered: the registry component it is mounted on, else its own point."""
    if device.component_id is not None:
        component = device.component
        return component.lon, component.lat, device.address or component.name or component.code
    return device.lon, device.lat, device.address


def merge_window(device: Device) -> timedelta:
    minutes = device.merge_window_minutes if device.merge_window_minutes is not None else settings.YIWANG_DEVICE_ALERT_WINDOW_MINUTES
    return timedelta(minutes=minutes)


def find_device(source: DeviceSource, device_id: str) -> Device:
    device = Device.objects.filter(source=source, code=device_id).select_related("matter", "region", "component").first()
    if device is None:
        raise ValidationError({"device_id": gettext("%(platform)s没有登记设备“%(code)s”") % {"platform": source.name, "code": device_id}})
    if not device.active:
        raise ValidationError({"device_id": gettext("设备“%(code)s”已停用") % {"code": device_id}})
    return device


def receive(source: DeviceSource, payload: dict, *, now: datetime | None = None) -> tuple[DeviceAlert, bool]:
    """Record one alert; returns (alert, opened a new case?). Refused alerts write nothing."""
    now = now or timezone.now()
    alert = parse_alert(payload, now=now)
    device = find_device(source, alert.device_id)
    raised_at = alert.raised_at or now
    with transaction.atomic():
        # Lock the device row so two alerts arriving together cannot both open a case.
        Device.objects.select_for_update().filter(pk=device.pk).first()
        # The window runs from the latest alert of this type: a device that keeps alarming keeps one case.
        case = (Case.objects.filter(device=device).exclude(status__in=FINISHED)
                .filter(alerts__kind=alert.alert_type, alerts__raised_at__gte=raised_at - merge_window(device))
                .order_by("-reported_at").first())
        opened = case is None
        if opened:
            if alert.lon is not None:
                lon, lat, address, crs = alert.lon, alert.lat, alert.address, alert.crs
            else:
                (lon, lat, address), crs = registered_place(device), WGS84
            description = alert.message or gettext("%(device)s告警：%(type)s") % {"device": device.name, "type": alert.alert_type}
            case = report_case(Report(channel=Channel.DEVICE, matter=device.matter, lon=lon, lat=lat, crs=crs, address=address or "",
                                      description=description, attributes=alert.attributes, device=device,
                                      reported_at=min(raised_at, now)), now=now).case
        record = DeviceAlert.objects.create(device=device, received_at=now, raised_at=raised_at, kind=alert.alert_type, payload=payload,
                                            case=case, opened_case=opened)
    return record, opened
