"""Second-factor steps, the account's own security page, password change, and the login log for
scoped admins. The password step itself is web.views.LoginView."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_static.models import StaticDevice

from . import selectors, services, twofactor
from .forms import CodeForm, UsernameForm
from .models import LoginEvent


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' answer to a locked username: the login page as the form drew it (it says why),
    with status 429."""
    if original_response is None:
        return render(request, "web/login.html", {"locked": True}, status=429)
    original_response.status_code = 429
    return original_response


def _safe_next(request, url: str) -> str:
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return url
    return "/"


# --- second factor at login --------------------------------------------------------------------


def verify(request):
    user = twofactor.pending_user(request)
    if user is None:
        messages.warning(request, _("请先输入用户名和密码。"))
        return redirect("login")
    if not twofactor.enrolled(user):
        return redirect("accounts:enrol")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = twofactor.verify(user=user, code=form.cleaned_data["code"])
        if device is not None:
            recovery = isinstance(device, StaticDevice)
            next_url = _safe_next(request, twofactor.pending_next(request))
            twofactor.finish_login(request, user, device, detail="recovery" if recovery else "totp")
            if recovery:
                services.record_login_event(kind=LoginEvent.Kind.RECOVERY_USED, request=request, user=user)
                left = twofactor.recovery_codes_left(user)
                messages.warning(request, _("您用了一个恢复码，还剩 %(left)d 个。请重新绑定手机或生成新的恢复码。") % {"left": left})
                # To the page where the phone is bound again or new codes are made.
                return redirect("accounts:security")
            return redirect(next_url)
        services.record_login_event(kind=LoginEvent.Kind.OTP_FAILURE, request=request, user=user)
        form.add_error("code", _("验证码不正确或已使用。连续出错后须稍等片刻再试。"))
    return render(request, "accounts/verify.html", {"form": form, "pending_username": user.get_username()})


def enrol(request):
    """Bind an authenticator app: for a user whose role requires it at login (pending), or from the
    account page. Someone with a device already must have passed it in this session."""
    pending = twofactor.pending_user(request)
    user = request.user if request.user.is_authenticated else pending
    if user is None:
        return redirect("login")
    if not request.user.is_authenticated and twofactor.enrolled(user):
        return redirect("accounts:verify")
    if request.user.is_authenticated and twofactor.enrolled(user) and not request.user.is_verified():
        raise PermissionDenied(_("请先通过两步验证。"))
    device = twofactor.start_enrolment(user=user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = twofactor.confirm_enrolment(user=user, code=form.cleaned_data["code"], request=request)
        except ValidationError as error:
            form.add_error("code", error.message_dict["code"])
        else:
            device = twofactor.confirmed_device(user)
            if request.user.is_authenticated:
                from django_otp import login as otp_login

                otp_login(request, device)
                next_url = reverse_lazy("accounts:security")
            else:
                next_url = _safe_next(request, twofactor.pending_next(request))
                twofactor.finish_login(request, user, device, detail="enrol")
            return render(request, "accounts/recovery_codes.html", {"codes": codes, "next_url": next_url})
    return render(request, "accounts/enrol.html", {
        "form": form, "qr": twofactor.qr_data_uri(device), "secret": twofactor.secret_text(device),
        "pending_username": None if request.user.is_authenticated else user.get_username(),
        "required": twofactor.required_for(user) if request.user.is_authenticated else True,
    })


# --- the account's own page -------------------------------------------------------------------


@login_required
def security(request):
    user = request.user
    return render(request, "accounts/security.html", {
        "enrolled": twofactor.enrolled(user), "required": twofactor.required_for(user),
        "codes_left": twofactor.recovery_codes_left(user), "events": selectors.own_login_events(user),
        "is_admin": selectors.is_account_admin(user),
    })


@login_required
@require_POST
def new_recovery_codes(request):
    if not (twofactor.enrolled(request.user) and request.user.is_verified()):
        raise PermissionDenied(_("请先通过两步验证。"))
    codes = twofactor.new_recovery_codes(user=request.user, request=request)
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "next_url": reverse_lazy("accounts:security")})


@login_required
@require_POST
def turn_off(request):
    if twofactor.enrolled(request.user) and not request.user.is_verified():
        raise PermissionDenied(_("请先通过两步验证。"))
    try:
        twofactor.turn_off(user=request.user, request=request)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("已关闭两步验证。"))
    return redirect("accounts:security")


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password-change-done")

    def form_valid(self, form):
        # The new password, the cleared flag and the login event together, or none of them.
        with transaction.atomic():
            response = super().form_valid(form)
            services.password_changed(user=self.request.user, request=self.request)
        return response


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"


# --- the login log for scoped admins -----------------------------------------------------------


def _admin_only(request):
    if not selectors.is_account_admin(request.user):
        raise PermissionDenied(_("只有区、街道、社区管理员可以查看登录日志。"))


@login_required
def login_log(request):
    _admin_only(request)
    username, kind = request.GET.get("username", "").strip(), request.GET.get("kind", "")
    if kind not in LoginEvent.Kind.values:
        kind = ""
    events = selectors.login_events(request.user, username=username, kind=kind)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return TemplateResponse(request, "accounts/login_log.html", {
        "page": page, "username": username, "kind": kind, "kinds": LoginEvent.Kind.choices,
        "locked": selectors.locked_usernames(request.user), "form": UsernameForm(),
    })


_ACTIONS = {
    "unlock": (services.unlock_account, gettext_lazy("已解锁 %(user)s。")),
    "reset-2fa": (services.reset_two_factor, gettext_lazy("已重置 %(user)s 的两步验证，其下次登录时须重新绑定。")),
    "require-password-change": (services.require_password_change, gettext_lazy("%(user)s 下次登录时须修改密码。")),
}


@login_required
@require_POST
def account_action(request, action: str):
    _admin_only(request)
    if action not in _ACTIONS:
        raise PermissionDenied
    form = UsernameForm(request.POST)
    service, done = _ACTIONS[action]
    user = None
    if form.is_valid():
        user = selectors.managed_users(request.user).filter(username=form.cleaned_data["username"]).first()
    if user is None:
        # The same answer for a name that does not exist and one outside the scope.
        messages.error(request, _("用户名：%(name)s 不存在或不在您的管理范围内。") % {"name": form.data.get("username", "")})
    else:
        service(user=user, acting_user=request.user, request=request)
        messages.success(request, str(done) % {"user": user.get_username()})
    return redirect("accounts:login-log")
