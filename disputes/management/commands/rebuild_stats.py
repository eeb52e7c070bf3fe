"""`manage.py rebuild_stats`: count every day of the case history into the daily roll-up again.

The services keep the roll-up current; this is for data written around them (a bulk import, a
restore, a hand-edited database)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from disputes import stats
from disputes.models import DailyStat


class Command(BaseCommand):
    help = "Recount the daily roll-up behind the dashboards and reports from the cases."

    def handle(self, *args, **options) -> None:
        started = time.monotonic()
        days = stats.rebuild()
        self.stdout.write(
            self.style.SUCCESS(
                f"Counted {days} days into {DailyStat.objects.count()} rows in {time.monotonic() - started:.1f} s."
            )
        )
