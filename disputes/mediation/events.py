"""Typed timeline events of a dispute: one small function per kind (EventKind)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from grids.models import User

from .models import Dispute, DisputeEvent, EventKind


def _record(
    dispute: Dispute,
    kind: str,
    *,
    by: User | None,
    from_status: str = "",
    comment: str = "",
    data: dict | None = None,
    at: datetime | None = None,
) -> DisputeEvent:
    return DisputeEvent.objects.create(
        dispute=dispute,
        actor=by,
        kind=kind,
        from_status=from_status or dispute.status,
        to_status=dispute.status,
        comment=comment,
        data=data or {},
        created_at=at or timezone.now(),
    )


def created(dispute: Dispute, *, by: User) -> DisputeEvent:
    return _record(dispute, EventKind.CREATE, by=by, from_status="", data={"source": dispute.source})


def assigned(dispute: Dispute, *, by: User, from_status: str) -> DisputeEvent:
    data = {"organisation": dispute.organisation_id, "organisation_name": dispute.organisation.name}
    if dispute.mediator_id:
        data |= {"mediator": dispute.mediator_id, "mediator_name": _name(dispute.mediator)}
    return _record(dispute, EventKind.ASSIGN, by=by, from_status=from_status, data=data)


def accepted(dispute: Dispute, *, by: User, from_status: str) -> DisputeEvent:
    return _record(dispute, EventKind.ACCEPT, by=by, from_status=from_status)


def session_held(dispute: Dispute, *, by: User, session) -> DisputeEvent:
    return _record(
        dispute,
        EventKind.SESSION,
        by=by,
        data={"session": session.pk, "held_at": session.held_at.isoformat(), "place": session.place},
    )


def agreed(dispute: Dispute, *, by: User, from_status: str) -> DisputeEvent:
    return _record(dispute, EventKind.AGREE, by=by, from_status=from_status)


def failed(dispute: Dispute, *, by: User, from_status: str, reason: str) -> DisputeEvent:
    return _record(dispute, EventKind.FAIL, by=by, from_status=from_status, comment=reason)


def referred(dispute: Dispute, *, by: User, from_status: str, to: str, note: str) -> DisputeEvent:
    return _record(dispute, EventKind.REFER, by=by, from_status=from_status, comment=note, data={"to": to})


def confirmed(dispute: Dispute, *, by: User, court_confirmed: bool, note: str) -> DisputeEvent:
    return _record(dispute, EventKind.CONFIRM, by=by, comment=note, data={"court_confirmed": court_confirmed})


def fulfilled(dispute: Dispute, *, by: User, fulfilled: bool, note: str) -> DisputeEvent:
    return _record(dispute, EventKind.FULFIL, by=by, comment=note, data={"fulfilled": fulfilled})


def followed_up(dispute: Dispute, *, by: User, note: str, satisfied: bool) -> DisputeEvent:
    return _record(dispute, EventKind.FOLLOW_UP, by=by, comment=note, data={"satisfied": satisfied})


def closed(dispute: Dispute, *, by: User, from_status: str, comment: str) -> DisputeEvent:
    return _record(dispute, EventKind.CLOSE, by=by, from_status=from_status, comment=comment)


def risk_raised(dispute: Dispute) -> DisputeEvent:
    return _record(dispute, EventKind.RISK, by=None, data={"level": dispute.risk_level})


def _name(user: User) -> str:
    return user.get_full_name() or user.username


def event_label(event: DisputeEvent) -> str:
    """The timeline line in the reader's language, from the event's kind and data."""
    from django.utils.translation import gettext

    from .models import ReferralTarget, RiskLevel

    text = str(EventKind(event.kind).label) if event.kind in EventKind.values else event.kind
    d = event.data or {}
    if event.kind == EventKind.ASSIGN and d.get("organisation_name"):
        text += f" → {d['organisation_name']}" + (f"({d['mediator_name']})" if d.get("mediator_name") else "")
    elif event.kind == EventKind.REFER and d.get("to") in ReferralTarget.values:
        text += f" → {ReferralTarget(d['to']).label}"
    elif event.kind == EventKind.RISK and d.get("level") in RiskLevel.values:
        text += f" · {RiskLevel(d['level']).label}"
    elif event.kind == EventKind.CONFIRM:
        text += " · " + (gettext("已确认") if d.get("court_confirmed") else gettext("未确认"))
    elif event.kind == EventKind.FULFIL:
        text += " · " + (gettext("已履行") if d.get("fulfilled") else gettext("未履行"))
    elif event.kind == EventKind.FOLLOW_UP:
        text += " · " + (gettext("满意") if d.get("satisfied") else gettext("不满意"))
    elif event.kind == EventKind.ESCALATE:
        text += " → " + gettext("镇街司法所")
    return text
