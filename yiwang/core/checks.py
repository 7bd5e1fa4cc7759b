from django.conf import settings
from django.core.checks import Warning, register


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
