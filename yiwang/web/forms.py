from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from yiwang.accounts import services


class ThrottledAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "locked": _("Too many failed logins. Try again in %(minutes)s minutes."),
    }

    def clean(self):
        # The backend refuses a locked account too (for every login path); checking here first
        # lets the page say why instead of "wrong password".
        username = self.cleaned_data.get("username")
        if username and services.login_locked(username=username, remote_addr=services.client_address(self.request)):
            minutes = max(1, settings.LOGIN_FAILURE_WINDOW_SECONDS // 60)
            raise forms.ValidationError(self.error_messages["locked"], code="locked", params={"minutes": minutes})
        return super().clean()
