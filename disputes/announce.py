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

from .messages import CASE_CO_WITHDREW, CASE_REPLY, CASE_STEP_KEYS, CASE_SUPERVISE, REPORTER_KEYS
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


def announce_reporter(case: Case, step: str, *, by: User | None = None, event_id: int | None = None) -> None:
    """The reporter hears back (accepted, handled, closed), as FixMyStreet tells its reporters."""
    recipients = audiences.case_reporter(case.reporter, by=by)
    if not recipients:
        return
    notify_many(
        [
            Message(
                recipients,
                f"case_reporter_{step}",
                key=REPORTER_KEYS[step],
                params={"number": case.number, "title": case.display_title},
                url=reverse("case_detail", args=[case.pk]),
                deliver_after=_when(case),
                dedupe_key=f"event:{event_id}:reporter" if event_id else "",
            )
        ]
    )


def announce_co_withdrew(case: Case, *, department, by: User | None = None, event_id: int | None = None) -> None:
    """A co-department returned its part: the center is told it withdrew (nothing to re-dispatch)."""
    notify_many(
        [
            Message(
                audiences.case_step("return", center_id=case.center_id, by=by),
                "case_co_withdrew",
                key=CASE_CO_WITHDREW,
                params={"number": case.number, "title": case.display_title, "department": department.name},
                url=reverse("case_detail", args=[case.pk]),
                deliver_after=_when(case),
                dedupe_key=f"event:{event_id}" if event_id else "",
            )
        ]
    )


def announce_supervision(case: Case, supervision, step: str, *, by: User | None = None, event_id=None) -> None:
    """督办 to the supervised department (at once: it demands a reply); its reply to the supervisor
    and the center."""
    recipients = audiences.supervision_step(
        step,
        department_id=supervision.department_id,
        center_id=case.center_id,
        supervisor=supervision.by,
        by=by,
    )
    if step == "supervise":
        deadline = timezone.localtime(supervision.clock.deadline).strftime("%Y-%m-%d %H:%M")
        key, params = CASE_SUPERVISE, {"number": case.number, "deadline": deadline, "note": supervision.note}
    else:
        key = CASE_REPLY
        params = {"number": case.number, "department": supervision.department.name, "note": supervision.reply_note}
    notify_many(
        [
            Message(
                recipients,
                f"case_{step}",
                key=key,
                params=params,
                url=reverse("case_detail", args=[case.pk]),
                deliver_after=timezone.now(),
                dedupe_key=f"event:{event_id}" if event_id else "",
            )
        ]
    )
