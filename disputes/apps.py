from django.apps import AppConfig
from django.db.models.signals import pre_delete
from django.utils.translation import gettext_lazy as _


class DisputesConfig(AppConfig):
    name = "disputes"
    verbose_name = _("事项与纠纷")

    def ready(self) -> None:
        from . import stats
        from .models import Case
        from .worktime import admin_table_overrides, set_override_source

        # The working calendar lives in grids; the admin's holiday table lives here.
        set_override_source(admin_table_overrides)

        # A deleted case (admin, data clean-up) leaves the days it was counted on.
        pre_delete.connect(stats.on_case_deleted, sender=Case, dispatch_uid="stats-case-deleted")
        _register_field_links()


def _register_field_links() -> None:
    """Cases on the field-work pages of grids (patrols, household files): see grids/case_links.py."""
    from grids import case_links

    from . import field_links

    case_links.register(
        patrol_cases=field_links.patrol_cases,
        household_cases=field_links.household_cases,
        link_to_patrol=field_links.link_to_patrol,
    )
