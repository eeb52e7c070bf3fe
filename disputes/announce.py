"""Tell the people concerned about a workflow step. Called by the services inside their
transaction; who is told is decided in `grids.audiences`, the message is a key and parameters
(`disputes.messages`) rendered in each reader's language. The messages go out through the outbox
after commit, and wait for the morning unless the case is urgent."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from grids import audiences
from grids.models import User
from grids.notifications import Message, notify_many

from .messages import CASE_STEP_KEYS
from .models import Case, Urgency
from .worktime import WorkingCalendar


def _when(case: Case):
    now = timezone.now()
    if case.urgency in (Urgency.URGENT, Urgency.EMERGENCY):
        return now
    return WorkingCalendar().next_working_time(now)


def announce(case: Case, step: str, *, department_ids=(), by: User | None = None, event_id: int | None = None) -> None:
    recipients = audiences.case_step(step, center_id=case.center_id, department_ids=department_ids, by=by)
    notify_many(
        [
            Message(
                recipients,
                f"case_{step}",
                key=CASE_STEP_KEYS[step],
                params={"number": case.number, "title": case.display_title},
                url=reverse("case_detail", args=[case.pk]),
                deliver_after=_when(case),
                dedupe_key=f"event:{event_id}" if event_id else "",
            )
        ]
    )
