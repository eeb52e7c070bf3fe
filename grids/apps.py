from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class GridsConfig(AppConfig):
    name = "grids"
    verbose_name = _("网格与人员")

    def ready(self) -> None:
        # Every app's stored-message templates (grids/messages.py: rendered at read time).
        autodiscover_modules("messages")
        # Audit rows for logins, failed logins and logouts (grids/auth.py).
        from .auth import connect_signals

        connect_signals()
