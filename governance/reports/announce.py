"""Telling the readers a report is ready. Who they are is decided in `grids.audiences`; the message
is a key and parameters (`governance.messages`), read in each reader's language."""

from __future__ import annotations

from django.urls import reverse

from grids import audiences
from grids.messages import label
from grids.notifications import Message, notify_many
from grids.periods import percent_text

from ..messages import REPORT_READY
from ..models import Report, ReportKind

NOTIFICATION_KIND = "report"


def announce(report: Report) -> None:
    """The key is per kind, area and period, so regenerating a period (a re-run, a retry, the
    button) never announces it twice."""
    figures = report.data["figures"]
    counts = figures["counts"]
    notify_many(
        [
            Message(
                audiences.report_readers(report.area),
                NOTIFICATION_KIND,
                key=REPORT_READY,
                params={
                    "area": report.area.name,
                    "kind": label(ReportKind(report.kind).label),
                    "period": report.period_label,
                    "new": counts["new"],
                    "closed": counts["closed"],
                    "overdue": counts["overdue"],
                    **{
                        key: percent_text(figures["rates"][key]["rate"])
                        for key in ("response", "resolution", "satisfaction")
                    },
                },
                url=reverse("report_detail", args=[report.pk]),
                dedupe_key=f"report:{report.kind}:{report.area.code}:{report.period_start.isoformat()}",
            )
        ]
    )
