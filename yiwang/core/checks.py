from django.conf import settings
from django.core.checks import Error, Warning, register


@register()
def field_key_configured(app_configs, **kwargs):
    if settings.DEBUG or settings.FIELD_ENCRYPTION_KEY:
        return []
    return [
        Warning(
            "YIWANG_FIELD_KEY is not set: personal fields are sealed with a key derived from the secret key.",
            hint="Generate one with `uv run yiwang genkey` and keep it outside the database.",
            id="yiwang.W001",
        )
    ]


@register(deploy=True)
def secret_key_configured(app_configs, **kwargs):
    if settings.DEBUG or settings.SECRET_KEY != settings.DEVELOPMENT_SECRET_KEY:
        return []
    return [Error("The development SECRET_KEY is in use.", hint="Set YIWANG_SECRET_KEY or write var/secret.key.", id="yiwang.E001")]
