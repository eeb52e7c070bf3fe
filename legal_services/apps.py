from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LegalServicesConfig(AppConfig):
    name = "legal_services"
    verbose_name = _("公共法律服务")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from grids.models import Resident

        from . import figures, referrals

        referrals.register_own_kinds()
        # The population behind "legal-savvy residents per 1,000" is cached (figures.population).
        post_save.connect(figures.on_resident_changed, sender=Resident, dispatch_uid="legal-population-save")
        post_delete.connect(figures.on_resident_changed, sender=Resident, dispatch_uid="legal-population-delete")
