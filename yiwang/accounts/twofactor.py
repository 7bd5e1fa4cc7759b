"""TOTP second factor (django-otp) with one-time recovery codes.

Who must use it: the roles in YIWANG_2FA_ROLES ("admin" = superusers). Anyone else who enrolled is
asked too. The password step never logs a user in who is asked for a second factor: it leaves a
pending mark in the session (`begin_pending`), and the verify or enrol step logs in."""

from __future__ import annotations

import time
from base64 import b32decode, b32encode

import segno
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from yiwang.core import audit

RECOVERY_CODE_COUNT = 10
# The password step is good for this long while the second factor is asked.
PENDING_SECONDS = 600
PENDING_KEY = "yiwang_2fa_pending"


def required_for(user) -> bool:
    roles = settings.YIWANG_2FA_ROLES
    if not roles or user is None or not user.is_authenticated:
        return False
    return (user.is_superuser and "admin" in roles) or user.role in roles


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def enrolled(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def asks_second_factor(user) -> bool:
    return required_for(user) or enrolled(user)


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


# --- enrolment ---------------------------------------------------------------------------------


def start_enrolment(*, user) -> TOTPDevice:
    """The user's unconfirmed device (made on first call), whose secret the enrolment page shows."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    return device or TOTPDevice.objects.create(user=user, name="pending", confirmed=False)


def secret_text(device: TOTPDevice) -> str:
    """The secret in base32, for typing into an authenticator app, in groups of four."""
    raw = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def qr_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// URI as an SVG QR code, rendered here (no outside service sees the secret)."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


def _normalise(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def confirm_enrolment(*, user, code: str, request=None) -> list[str]:
    """Check a code from the new device; on success it replaces any earlier device and a fresh set of
    recovery codes is made. Returns the recovery codes (shown once, never stored in clear elsewhere)."""
    from . import services
    from .models import LoginEvent

    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("-pk").first()
        if device is None or not device.verify_token(_normalise(code)):
            raise ValidationError({"code": _("动态验证码不正确或已过期，请输入应用上当前显示的 6 位数字。")})
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.name = "default"
        device.save(update_fields=["confirmed", "name"])
        codes = _replace_recovery_codes(user)
        services.record_login_event(kind=LoginEvent.Kind.OTP_ENROLLED, request=request, user=user)
        audit.record(actor=user, action="accounts.enrol_totp", target=user)
    return codes


def enrol_known_secret(*, user, secret_b32: str) -> TOTPDevice:
    """Bind a device with a given secret, for the demo's published accounts only (the secret is as public
    as their password). Real accounts enrol on the page, with a secret made for them."""
    secret = secret_b32.replace(" ", "").upper()
    key = b32decode(secret + "=" * (-len(secret) % 8)).hex()
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        return TOTPDevice.objects.create(user=user, name="default", key=key, confirmed=True)


def has_secret(user, secret_b32: str) -> bool:
    device = confirmed_device(user)
    secret = secret_b32.replace(" ", "").upper()
    return device is not None and device.key == b32decode(secret + "=" * (-len(secret) % 8)).hex()


def new_recovery_codes(*, user, request=None) -> list[str]:
    with transaction.atomic():
        codes = _replace_recovery_codes(user)
        audit.record(actor=user, action="accounts.new_recovery_codes", target=user)
    return codes


def _replace_recovery_codes(user) -> list[str]:
    # The device stays (only its codes change): a session that logged in with a recovery code names it.
    device = StaticDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    StaticDevice.objects.filter(user=user).exclude(pk=getattr(device, "pk", None)).delete()
    if device is None:
        device = StaticDevice.objects.create(user=user, name="recovery", confirmed=True)
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return [f"{code[:4]}-{code[4:]}" for code in codes]


def turn_off(*, user, request=None) -> None:
    """The user's own choice, for roles that do not require it."""
    from . import services
    from .models import LoginEvent

    if required_for(user):
        raise ValidationError(_("您的角色必须使用两步验证，不能关闭。"))
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        services.record_login_event(kind=LoginEvent.Kind.OTP_RESET, request=request, user=user, detail="self")
        audit.record(actor=user, action="accounts.turn_off_totp", target=user)


# --- verification ------------------------------------------------------------------------------


def verify(*, user, code: str):
    """The device that accepts the code (a TOTP code or an unused recovery code), or None. Both kinds
    slow down after failures (django-otp: 1, 2, 4, 8 … seconds); a recovery code works once."""
    code = _normalise(code)
    if not code:
        return None
    with transaction.atomic():
        if code.isdigit() and len(code) == 6:  # recovery codes have 8 characters
            devices = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True)
        else:
            devices = StaticDevice.objects.select_for_update().filter(user=user, confirmed=True)
        for device in devices:
            if device.verify_token(code):
                return device
    return None


# --- the pending password step ----------------------------------------------------------------


def begin_pending(request, user, *, next_url: str) -> None:
    # A new session key, so a session id known before the password step is worth nothing after it.
    request.session.cycle_key()
    request.session[PENDING_KEY] = {"user": user.pk, "backend": user.backend, "at": time.time(), "next": next_url}


def pending_user(request):
    """The user whose password was right in this session a moment ago, or None."""
    from .models import User

    data = request.session.get(PENDING_KEY)
    if not data or time.time() - data.get("at", 0) > PENDING_SECONDS:
        return None
    user = User.objects.filter(pk=data["user"], is_active=True).first()
    if user is not None:
        user.backend = data["backend"]
    return user


def pending_next(request) -> str:
    return (request.session.get(PENDING_KEY) or {}).get("next") or settings.LOGIN_REDIRECT_URL


def finish_login(request, user, device, *, detail: str) -> None:
    """Log the user in with the second factor passed (the session remembers the device)."""
    from django.contrib.auth import login
    from django_otp import login as otp_login

    request.session.pop(PENDING_KEY, None)
    request.yiwang_login_detail = detail
    login(request, user, backend=user.backend)
    otp_login(request, device)
