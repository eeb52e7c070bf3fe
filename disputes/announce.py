"""Who hears about a workflow step. Called by the services inside their transaction; the messages
go out through the outbox after commit, and wait for the morning unless the case is urgent."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.models import Membership, Role, User
from grids.notifications import Message, notify_many

from .models import Case, Urgency
from .worktime import WorkingCalendar


def _when(case: Case):
    now = timezone.now()
    if case.urgency in (Urgency.URGENT, Urgency.EMERGENCY):
        return now
    return WorkingCalendar().next_working_time(now)


def _department_staff(department_ids) -> list[User]:
    return [
        m.user
        for m in Membership.objects.filter(role=Role.DEPARTMENT_STAFF, department_id__in=department_ids).select_related(
            "user"
        )
    ]


def _center_staff(area_id: int) -> list[User]:
    return [m.user for m in Membership.objects.filter(role=Role.CENTER_STAFF, area_id=area_id).select_related("user")]


def announce(case: Case, step: str, *, department_ids=(), by: User | None = None, event_id: int | None = None) -> None:
    url = reverse("case_detail", args=[case.pk])
    title_by_step = {
        "dispatch": _("新派单:%(number)s 请及时签收"),
        "return": _("退单:%(number)s 需重新派单"),
        "request_extension": _("延期申请:%(number)s 待审批"),
        "handle": _("办结:%(number)s 待核查"),
        "escalate": _("上报:%(number)s 已转区级社会治理中心"),
    }
    if step == "dispatch":
        recipients = _department_staff(department_ids)
    else:
        recipients = _center_staff(case.center_id)
    recipients = [u for u in recipients if by is None or u.pk != by.pk]
    title = title_by_step[step] % {"number": case.number}
    notify_many(
        [
            Message(
                recipients,
                f"case_{step}",
                title,
                case.display_title,
                url,
                _when(case),
                f"event:{event_id}" if event_id else "",
            )
        ]
    )
