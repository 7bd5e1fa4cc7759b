"""System checks for the login settings: a typo must not silently turn a protection off."""

from django.conf import settings
from django.core.checks import Error, register

from yiwang.core.scope import Role


@register()
def two_factor_roles(app_configs, **kwargs):
    known = set(Role.values) | {"admin"}
    unknown = [role for role in settings.YIWANG_2FA_ROLES if role not in known]
    if not unknown:
        return []
    return [Error(f"YIWANG_2FA_ROLES names unknown roles: {', '.join(unknown)}",
                  hint=f"Use roles from: {', '.join(sorted(known))} (admin = superusers), comma-separated.", id="yiwang.E010")]


@register()
def trusted_proxies(app_configs, **kwargs):
    import ipaddress

    errors = []
    for proxy in settings.YIWANG_TRUSTED_PROXIES:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            errors.append(Error(f"YIWANG_TRUSTED_PROXIES: {proxy!r} is not an address or network", id="yiwang.E011"))
    return errors
