from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from disputes.mediation.sweep import sweep_disputes
from disputes.sweep import sweep_deadlines


class Command(BaseCommand):
    help = "Run one deadline sweep synchronously (yellow warnings, red lapses, escalation, the outbox)."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="ISO-8601 moment to sweep at, e.g. 2026-11-23T09:00+08:00")

    def handle(self, *args, now=None, **options):
        moment = timezone.now()
        if now:
            moment = parse_datetime(now)
            if moment is None:
                raise CommandError(f"--now: not an ISO-8601 date-time: {now!r}")
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
        result = sweep_deadlines(now=moment)
        self.stdout.write(f"swept at {timezone.localtime(moment):%Y-%m-%d %H:%M %Z}: {result}")
        self.stdout.write(f"  {sweep_disputes(now=moment)}")
