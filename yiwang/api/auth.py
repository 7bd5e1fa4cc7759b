from ninja.security import HttpBearer, SessionAuth

from yiwang.accounts.services import user_for_token


class BearerToken(HttpBearer):
    """`Authorization: Bearer yw_...` for machine clients."""

    def authenticate(self, request, token):
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


class ActiveSession(SessionAuth):
    """Pages' session login (CSRF-checked on writes by ninja)."""

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


AUTH = [BearerToken(), ActiveSession()]
