from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExportsConfig(AppConfig):
    name = "yiwang.exports"
    verbose_name = _("导出任务")

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        # Each app declares what of its data can be exported (`register` in its `export_kinds`).
        autodiscover_modules("export_kinds")
