"""The dispute time limit in the deadline sweep: a yellow warning at 80 % of the limit (working
time), then at the limit a red lapse that escalates to the town judicial office, each exactly once.

Set-based: the due disputes are read as values, the alerts are inserted in bulk with
ON CONFLICT DO NOTHING on the unique (dispute, level), and only the rows this sweep inserted (its
token) are announced. Two sweeps at once, or a re-run after a crash, cannot announce twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from secrets import token_hex

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from grids.models import Membership, Role, User
from grids.notifications import Message, notify_many

from . import messages
from .models import OPEN_DISPUTE_STATUSES, Dispute, DisputeAlert, DisputeEvent, EventKind, Mediator
from .workflow import JUDICIAL_KIND

BATCH = 2000


@dataclass
class SweepResult:
    warned: int = 0
    escalated: int = 0

    def __str__(self) -> str:
        return f"disputes: {self.warned} warned, {self.escalated} escalated"


def sweep_disputes(*, now: datetime | None = None) -> SweepResult:
    now = now or timezone.now()
    result = SweepResult()
    while True:
        warned, escalated = _sweep_batch(now)
        result.warned += warned
        result.escalated += escalated
        if warned + escalated < BATCH:
            return result


@transaction.atomic
def _sweep_batch(now: datetime) -> tuple[int, int]:
    token = token_hex(8)
    open_disputes = Dispute.objects.filter(status__in=OPEN_DISPUTE_STATUSES)
    red = list(
        open_disputes.filter(deadline__lte=now)
        .exclude(deadline_alert="red")
        .values_list("pk", "deadline", "town_id")[:BATCH]
    )
    yellow = list(
        open_disputes.filter(warn_at__lte=now, deadline__gt=now, deadline_alert="").values_list("pk", "deadline")[
            : BATCH - len(red)
        ]
    )
    rows = [DisputeAlert(dispute_id=pk, level="red", deadline=d, sweep=token, escalated_to_id=t) for pk, d, t in red]
    rows += [DisputeAlert(dispute_id=pk, level="yellow", deadline=d, sweep=token) for pk, d in yellow]
    if not rows:
        return 0, 0
    DisputeAlert.objects.bulk_create(rows, ignore_conflicts=True)
    new = list(DisputeAlert.objects.filter(sweep=token).values_list("dispute_id", "level"))
    red_ids = [pk for pk, level in new if level == "red"]
    yellow_ids = [pk for pk, level in new if level == "yellow"]
    Dispute.objects.filter(pk__in=red_ids).update(deadline_alert="red", updated_at=now)
    Dispute.objects.filter(pk__in=yellow_ids, deadline_alert="").update(deadline_alert="yellow", updated_at=now)
    # Rows another sweep announced already are marked too, so they are not read again.
    Dispute.objects.filter(pk__in=[pk for pk, *_ in red]).exclude(pk__in=red_ids).update(deadline_alert="red")
    disputes = Dispute.objects.filter(pk__in=red_ids + yellow_ids).select_related("town", "area", "organisation")
    by_id = {d.pk: d for d in disputes}
    DisputeEvent.objects.bulk_create(
        [
            DisputeEvent(
                dispute_id=pk,
                kind=EventKind.ESCALATE if level == "red" else EventKind.WARNING,
                from_status=by_id[pk].status,
                to_status=by_id[pk].status,
                data={"deadline": by_id[pk].deadline.isoformat()}
                | ({"escalated_to": by_id[pk].town_id} if level == "red" else {}),
                created_at=now,
            )
            for pk, level in new
        ]
    )
    recipients = _recipients([(by_id[pk], level) for pk, level in new])
    notify_many([_message(by_id[pk], level, recipients) for pk, level in new])
    return len(yellow_ids), len(red_ids)


def _recipients(items: list[tuple[Dispute, str]]) -> dict[tuple[str, int], list[User]]:
    """Who hears of each alert, read in a constant number of queries for the whole batch:
    ("judicial", area) and ("center", area) staff, ("mediator", user), ("body", organisation)."""
    result: dict[tuple[str, int], list[User]] = {}
    areas = {(d.town_id or d.area_id) for d, _level in items}
    staff = Membership.objects.filter(
        Q(role=Role.DEPARTMENT_STAFF, department__kind__code=JUDICIAL_KIND, department__area_id__in=areas)
        | Q(role=Role.CENTER_STAFF, area_id__in=areas),
        user__is_active=True,
    ).select_related("user", "department")
    for m in staff:
        if m.role == Role.CENTER_STAFF:
            result.setdefault(("center", m.area_id), []).append(m.user)
        else:
            result.setdefault(("judicial", m.department.area_id), []).append(m.user)
    mediator_ids = {d.mediator_id for d, level in items if level == "yellow" and d.mediator_id}
    for u in User.objects.filter(pk__in=mediator_ids):
        result[("mediator", u.pk)] = [u]
    orgs = {d.organisation_id for d, level in items if level == "yellow" and d.organisation_id and not d.mediator_id}
    for m in Mediator.objects.filter(organisation_id__in=orgs, active=True).select_related("user"):
        result.setdefault(("body", m.organisation_id), []).append(m.user)
    return result


def _message(dispute: Dispute, level: str, recipients: dict) -> Message:
    deadline = f"{timezone.localtime(dispute.deadline):%Y-%m-%d %H:%M}"
    params = {"number": dispute.number, "deadline": deadline}
    url = reverse("dispute_detail", args=[dispute.pk])
    area_id = dispute.town_id or dispute.area_id
    if level == "red":
        return Message(
            recipients.get(("judicial", area_id), []),
            "mediation_deadline",
            key=messages.DEADLINE_ESCALATED,
            params=params,
            url=url,
            dedupe_key=f"dispute-red-{dispute.pk}",
        )
    if dispute.mediator_id:
        users = recipients.get(("mediator", dispute.mediator_id), [])
    elif dispute.organisation_id:
        users = recipients.get(("body", dispute.organisation_id), [])
    else:
        users = recipients.get(("center", area_id), []) + recipients.get(("judicial", area_id), [])
    return Message(
        users,
        "mediation_deadline",
        key=messages.DEADLINE_WARNING,
        params=params,
        url=url,
        dedupe_key=f"dispute-yellow-{dispute.pk}",
    )
