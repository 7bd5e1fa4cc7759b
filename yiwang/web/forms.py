from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class ThrottledAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "locked": _("登录失败次数过多，该账号已暂时锁定。请 %(minutes)s 分钟后再试，或请管理员解锁。"),
    }

    def get_invalid_login_error(self):
        # django-axes refused the username (yiwang.accounts.backends.LockoutBackend marks the request):
        # say why instead of "wrong password". A name that does not exist is locked alike, so this
        # tells an attacker nothing about which accounts exist.
        if getattr(self.request, "yiwang_refused_locked", False) or getattr(self.request, "axes_locked_out", False):
            minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds()) // 60)
            return forms.ValidationError(self.error_messages["locked"], code="locked", params={"minutes": minutes})
        return super().get_invalid_login_error()
