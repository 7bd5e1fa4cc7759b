"""How the JSON API knows its caller: a bearer token for machine clients, or the pages' session."""

from ninja.security import HttpBearer, SessionAuth

from .services import user_for_token


class BearerToken(HttpBearer):
    """`Authorization: Bearer yw_...` for machine clients."""

    def authenticate(self, request, token):
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


class ActiveSession(SessionAuth):
    """Pages' session login (CSRF-checked on writes by ninja)."""

    def __call__(self, request):
        # No logged-in session: not this method's caller, so 401 (ninja would otherwise check CSRF
        # first and answer an anonymous write 403 "CSRF check Failed").
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        return super().__call__(request)

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


AUTH = [BearerToken(), ActiveSession()]
