"""Typed timeline events of legal aid: one small function per kind (Saleor's order/events.py).

An event stores a kind and data; its sentence is rendered when read (`label`)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from grids.models import User

from .models import AidApplication, AidEvent, AidEventKind


def _event(
    application: AidApplication,
    kind: str,
    *,
    by: User | None,
    from_status: str = "",
    comment: str = "",
    data: dict | None = None,
    at: datetime | None = None,
) -> AidEvent:
    return AidEvent.objects.create(
        application=application,
        kind=kind,
        actor=by,
        from_status=from_status,
        to_status=application.status,
        comment=comment,
        data=data or {},
        created_at=at or timezone.now(),
    )


def applied(application: AidApplication, *, by: User, referral_from: str = "") -> AidEvent:
    data = {"referral_from": referral_from} if referral_from else {}
    return _event(application, AidEventKind.APPLY, by=by, data=data)


def review_started(application: AidApplication, *, by: User, from_status: str) -> AidEvent:
    return _event(application, AidEventKind.REVIEW, by=by, from_status=from_status)


def approved(application: AidApplication, *, by: User, from_status: str, comment: str, reasons: list) -> AidEvent:
    return _event(
        application, AidEventKind.APPROVE, by=by, from_status=from_status, comment=comment, data={"reasons": reasons}
    )


def refused(application: AidApplication, *, by: User, from_status: str, reason: str, reasons: list) -> AidEvent:
    return _event(
        application, AidEventKind.REFUSE, by=by, from_status=from_status, comment=reason, data={"reasons": reasons}
    )


def assigned(application: AidApplication, *, by: User, from_status: str) -> AidEvent:
    lawyer = application.lawyer
    return _event(
        application,
        AidEventKind.ASSIGN,
        by=by,
        from_status=from_status,
        data={"lawyer_id": lawyer.pk, "lawyer_name": lawyer.name, "firm": lawyer.firm},
    )


def closed(application: AidApplication, *, by: User, from_status: str, outcome: str) -> AidEvent:
    return _event(application, AidEventKind.CLOSE, by=by, from_status=from_status, comment=outcome)


def review_warning(application: AidApplication, *, at: datetime) -> AidEvent:
    return _event(application, AidEventKind.REVIEW_WARNING, by=None, from_status=application.status, at=at)


def review_overdue(application: AidApplication, *, at: datetime) -> AidEvent:
    return _event(application, AidEventKind.REVIEW_OVERDUE, by=None, from_status=application.status, at=at)


def label(event: AidEvent) -> str:
    """The event's sentence in the active language."""
    return str(AidEventKind(event.kind).label) if event.kind in AidEventKind.values else event.kind
