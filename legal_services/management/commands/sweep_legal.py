"""`manage.py sweep_legal [--now ISO-8601]`: one sweep of the legal-aid review clocks."""

from __future__ import annotations

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from legal_services.sweep import sweep_aid_reviews


class Command(BaseCommand):
    help = "Raise the yellow and red alerts of legal-aid reviews (each once). Runs synchronously."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--now", help="pretend it is this moment (ISO-8601)")

    def handle(self, *args, now: str | None = None, **options) -> None:
        moment = None
        if now:
            try:
                moment = datetime.fromisoformat(now)
            except ValueError as exc:
                raise CommandError(f"--now: {exc}") from exc
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
        self.stdout.write(str(sweep_aid_reviews(now=moment)))
