"""`manage.py make_reports --week YYYY-Www | --month YYYY-MM`: generate the reports of one period."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from governance import reports
from governance.models import Report, ReportKind


class Command(BaseCommand):
    help = (
        "Generate the reports of a finished period: --week 2026-W47 makes the weekly report of every town and "
        "of the district; --month 2026-11 makes the district's monthly ranking. Re-running replaces them."
    )

    def add_arguments(self, parser) -> None:
        period = parser.add_mutually_exclusive_group(required=True)
        period.add_argument("--week", metavar="YYYY-Www", help="an ISO week, e.g. 2026-W47")
        period.add_argument("--month", metavar="YYYY-MM", help="a month, e.g. 2026-11")

    def handle(self, *args, week: str | None = None, month: str | None = None, **options) -> None:
        kind, text = (ReportKind.WEEKLY, week) if week is not None else (ReportKind.MONTHLY, month)
        try:
            start = reports.parse_period(kind=kind, text=text)
        except reports.PeriodError as exc:
            flag = "--week" if kind == ReportKind.WEEKLY else "--month"
            raise CommandError(f"{flag} {text!r}: {exc}") from None
        end = reports.period_end(kind=kind, start=start)
        if not reports.period_is_over(kind=kind, start=start):
            raise CommandError(
                f"{text} has not ended yet (it ends on {end:%Y-%m-%d}); only finished periods are reported."
            )
        self.stdout.write(f"Making {kind.value} reports for {text} ({start:%Y-%m-%d} to {end:%Y-%m-%d}, end exclusive)")
        made = reports.generate_reports(kind=kind, start=start, on_report=self._progress)
        if made:
            self.stdout.write(self.style.SUCCESS(f"Made {len(made)} report(s) for {text}."))
        else:
            self.stdout.write(self.style.WARNING("No district or town exists: nothing to report."))

    def _progress(self, report: Report) -> None:
        counts = report.data["figures"]["counts"]
        self.stdout.write(
            f"  · {report.area.name} ({report.area.code}): report #{report.pk}, "
            f"{counts['new']} new, {counts['closed']} closed, {counts['overdue']} overdue"
        )
