from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class GridsConfig(AppConfig):
    name = "grids"
    verbose_name = _("网格与人员")

    def ready(self) -> None:
        # Every app's stored-message templates (grids/messages.py: rendered at read time).
        autodiscover_modules("messages")
        from django.db.models.signals import post_delete, post_save

        from .auth import connect_signals
        from .models import Area
        from .selectors import forget_area_choices

        # Audit rows for logins, failed logins and logouts (grids/auth.py).
        connect_signals()
        # Cached area filters (selectors.area_choices_for) are forgotten when the territory changes.
        post_save.connect(forget_area_choices, sender=Area, dispatch_uid="area-choices-save")
        post_delete.connect(forget_area_choices, sender=Area, dispatch_uid="area-choices-delete")
