from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from . import services


class ThrottledModelBackend(ModelBackend):
    """Django's password check, refused outright while the username or address is locked out."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            return None
        address = services.client_address(request)
        if services.login_locked(username=username, remote_addr=address):
            # PermissionDenied stops Django trying other backends and counts as a failure.
            raise PermissionDenied("too many failed logins")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            services.record_login_failure(username=username, remote_addr=address)
        else:
            services.clear_login_failures(username=username)
        return user
