"""The legal-aid review clock in the deadline sweep: yellow at 80 % of the working time, red at the
limit, each raised exactly once.

A conditional UPDATE claims each alert (`... WHERE review_alert = ''` for yellow, `<> 'red'` for
red), so two sweeps running at once, or the same sweep run twice, raise it once; the timeline event
has its own unique constraint besides. Called from the beat task in governance/tasks.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from grids.notifications import Message, notify_many

from . import events, messages
from .models import OPEN_AID_STATUSES, AidApplication, AlertLevel
from .services import _staff_over


@dataclass
class LegalSweepResult:
    yellow: int = 0
    red: int = 0

    def __str__(self) -> str:
        return f"legal aid reviews: {self.yellow} yellow, {self.red} red"


def _claim(application: AidApplication, level: str, now: datetime) -> bool:
    qs = AidApplication.objects.filter(pk=application.pk, status__in=OPEN_AID_STATUSES)
    if level == AlertLevel.YELLOW:
        qs = qs.filter(review_alert="", review_warn_at__lte=now)
    else:
        qs = qs.exclude(review_alert=AlertLevel.RED).filter(review_deadline__lte=now)
    return bool(qs.update(review_alert=level))


def _fire(application: AidApplication, level: str, now: datetime) -> None:
    if level == AlertLevel.YELLOW:
        events.review_warning(application, at=now)
        key = messages.AID_REVIEW_WARNING
    else:
        events.review_overdue(application, at=now)
        key = messages.AID_REVIEW_OVERDUE
    recipients = _staff_over(application.area_path)
    if recipients:
        notify_many(
            [
                Message(
                    recipients,
                    f"legal_aid_review_{level}",
                    key=key,
                    params={
                        "number": application.number,
                        "deadline": f"{timezone.localtime(application.review_deadline):%Y-%m-%d %H:%M}",
                    },
                    url=reverse("legal:aid_detail", args=[application.pk]),
                    dedupe_key=f"legal-aid-{level}:{application.pk}",
                )
            ]
        )


def sweep_aid_reviews(*, now: datetime | None = None) -> LegalSweepResult:
    now = now or timezone.now()
    result = LegalSweepResult()
    open_reviews = AidApplication.objects.filter(status__in=OPEN_AID_STATUSES)
    red = list(open_reviews.exclude(review_alert=AlertLevel.RED).filter(review_deadline__lte=now).order_by("id"))
    yellow = list(open_reviews.filter(review_alert="", review_warn_at__lte=now, review_deadline__gt=now).order_by("id"))
    for level, rows in ((AlertLevel.RED, red), (AlertLevel.YELLOW, yellow)):
        for application in rows:
            with transaction.atomic():
                if not _claim(application, level, now):
                    continue
                _fire(application, level, now)
            if level == AlertLevel.RED:
                result.red += 1
            else:
                result.yellow += 1
    return result
