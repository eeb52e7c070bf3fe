from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "governance"

    def ready(self) -> None:
        # Cross-app referral kinds (cases, later disputes) for legal services.
        from . import referrals

        referrals.register()
