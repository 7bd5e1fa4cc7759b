"""Second-factor steps, the account's own security page, password change, and the login log for
scoped admins. The password step itself is web.views.LoginView."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_static.models import StaticDevice

from yiwang.core import errors
from yiwang.core.pages import run_action
from yiwang.core.scope import Role

from . import selectors, services, twofactor
from .forms import AccountForm, AuditFilterForm, CodeForm, UsernameForm
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


# --- local administration: a district, street or community admin keeps their own people ------------

# The password made or reset is put here for the one page that shows it, then removed.
_SHOW_ONCE = "yiwang_local_admin_password"


def _local_admin_only(request):
    if not selectors.is_account_admin(request.user):
        raise PermissionDenied(_("只有区、街道、社区管理员可以管理辖区账号。"))


def _flag(value: str) -> bool | None:
    return {"1": True, "0": False}.get(value)


@login_required
def people(request):
    _local_admin_only(request)
    query, role, active = request.GET.get("q", "").strip()[:100], request.GET.get("role", ""), request.GET.get("active", "")
    if role not in Role.values:
        role = ""
    accounts = selectors.local_accounts(request.user, query=query, role=role, active=_flag(active))
    page = Paginator(accounts, 50).get_page(request.GET.get("page"))
    rows = [(account, services.may_administer(request.user, account)) for account in page]
    return TemplateResponse(request, "accounts/people.html", {
        "page": page, "rows": rows, "q": query, "role": role, "active": active, "roles": Role.choices,
        "may_create": bool(services.givable_roles(request.user)),
        "filters": urlencode({"q": query, "role": role, "active": active}),
    })


def _account_form(request, data=None):
    roles = services.givable_roles(request.user)
    levels = tuple(dict.fromkeys(level for role in roles for level in services.ROLE_LEVELS[role]))
    return AccountForm(data, roles=roles, levels=levels, actor=request.user)


_ACCOUNT_FIELDS = {"username": gettext_lazy("用户名"), "full_name": gettext_lazy("姓名"), "first_name": gettext_lazy("姓名"),
                   "role": gettext_lazy("角色"), "scope_region": gettext_lazy("数据范围"), "unit": gettext_lazy("单位/部门"),
                   "password": gettext_lazy("初始密码")}


@login_required
def new_person(request):
    _local_admin_only(request)
    form = _account_form(request, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account, password = services.create_account(
                acting_user=request.user, username=data["username"], role=data["role"], scope_region=data["scope_region"],
                full_name=data["full_name"], unit=data["unit"], password=data["password"], request=request)
        except ValidationError as exc:
            # The model calls the name first_name; the form calls it full_name.
            exc = ValidationError({("full_name" if key == "first_name" else key): value
                                   for key, value in errors.by_field(exc).items()})
            errors.apply_to_form(form, exc, lambda key: str(_ACCOUNT_FIELDS.get(key, key)))
        else:
            request.session[_SHOW_ONCE] = {"pk": account.pk, "password": password, "new": True}
            return redirect("accounts:person", pk=account.pk)
    return render(request, "accounts/person_form.html", {"form": form})


@login_required
def person(request, pk: int):
    _local_admin_only(request)
    account = selectors.local_account(request.user, pk)
    if account is None:
        raise Http404(_("账号不存在或不在您的管理范围内。"))
    shown = request.session.get(_SHOW_ONCE)
    password = None
    if shown and shown.get("pk") == account.pk:
        password = shown
        del request.session[_SHOW_ONCE]
    response = TemplateResponse(request, "accounts/person.html", {
        "account": account, "password": password, "may_administer": services.may_administer(request.user, account),
        "entries": selectors.scope_audit_entries(request.user).filter(target_type=account._meta.label_lower, target_id=str(account.pk))[:20],
    })
    # The password is shown once: no copy kept by the browser or a proxy.
    response["Cache-Control"] = "no-store"
    return response


def _managed_account(request, pk: int):
    account = selectors.local_account(request.user, pk)
    if account is None:
        raise Http404(_("账号不存在或不在您的管理范围内。"))
    return account


@login_required
@require_POST
def person_active(request, pk: int):
    _local_admin_only(request)
    account = _managed_account(request, pk)
    active = request.POST.get("active") == "1"
    done = _("已启用账号 %(user)s。") if active else _("已停用账号 %(user)s，其无法再登录。")
    return run_action(request, lambda: services.set_account_active(acting_user=request.user, user=account, active=active, request=request),
                      redirect_to=("accounts:person", pk), success=done % {"user": account.username},
                      denied=_("您不能管理该账号：它的角色或数据范围超出了您可以创建的范围。"))


@login_required
@require_POST
def person_reset_password(request, pk: int):
    _local_admin_only(request)
    account = _managed_account(request, pk)
    try:
        password = services.reset_password(acting_user=request.user, user=account, request=request)
    except PermissionDenied:
        messages.error(request, _("您不能管理该账号：它的角色或数据范围超出了您可以创建的范围。"))
    else:
        request.session[_SHOW_ONCE] = {"pk": account.pk, "password": password, "new": False}
    return redirect("accounts:person", pk=pk)


@login_required
def audit_log(request):
    """The audit log of the admin's scope, newest first, by who, which part of the system and date."""
    _local_admin_only(request)
    form = AuditFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    entries = selectors.scope_audit_entries(request.user, who=data.get("who", ""), app=data.get("app", ""),
                                            since=data.get("since"), until=data.get("until"))
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    filters = urlencode({key: request.GET.get(key, "") for key in ("who", "app", "since", "until")})
    app_names = dict(form.fields["app"].choices)
    rows = [(entry, app_names.get(entry.action.partition(".")[0], "")) for entry in page]
    return TemplateResponse(request, "accounts/audit_log.html", {"form": form, "page": page, "rows": rows, "filters": filters})
