from axes.backends import AxesStandaloneBackend


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check, marking the request when it refuses a locked username, so the
    login event says "tried while locked" rather than "locked" again."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        try:
            return super().authenticate(request, username=username, password=password, **kwargs)
        except Exception:
            if request is not None:
                request.yiwang_refused_locked = True
            raise
