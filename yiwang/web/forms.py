from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from yiwang.accounts import services


class ThrottledAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "locked": _("Too many failed logins. Try again in 15 minutes."),
    }

    def clean(self):
        username = self.cleaned_data.get("username")
        if username and services.login_locked(username=username, remote_addr=services.client_address(self.request)):
            raise forms.ValidationError(self.error_messages["locked"], code="locked")
        try:
            return super().clean()
        except PermissionDenied:
            raise forms.ValidationError(self.error_messages["locked"], code="locked") from None
