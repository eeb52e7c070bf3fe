"""The audit trail (AuditEvent): one small typed function per kind, usable by every app.

Who saw whose full ID number, who signed in or failed to, who exported personal data. Rows are
never updated; the admin shows them read-only.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpRequest

from .models import AuditEvent, AuditKind, Resident, User


def client_ip(request: HttpRequest | None) -> str | None:
    """The address the request came from (REMOTE_ADDR; behind nginx set it from X-Real-IP there)."""
    if request is None:
        return None
    meta = getattr(request, "META", {})
    return meta.get("REMOTE_ADDR") or None


def _actor(user) -> User | None:
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def login(*, user: User, request: HttpRequest | None, via: str) -> AuditEvent:
    return AuditEvent.objects.create(
        kind=AuditKind.LOGIN, actor=user, username=user.get_username(), ip_address=client_ip(request), data={"via": via}
    )


def login_failed(*, username: str, request: HttpRequest | None, via: str) -> AuditEvent:
    return AuditEvent.objects.create(
        kind=AuditKind.LOGIN_FAILED, username=username[:150], ip_address=client_ip(request), data={"via": via}
    )


def locked_out(*, username: str, request: HttpRequest | None) -> AuditEvent:
    return AuditEvent.objects.create(kind=AuditKind.LOCKED_OUT, username=username[:150], ip_address=client_ip(request))


def logout(*, user: User, request: HttpRequest | None, via: str) -> AuditEvent:
    return AuditEvent.objects.create(
        kind=AuditKind.LOGOUT,
        actor=user,
        username=user.get_username(),
        ip_address=client_ip(request),
        data={"via": via},
    )


def token_issued(*, user: User, request: HttpRequest | None, token_key: str) -> AuditEvent:
    return AuditEvent.objects.create(
        kind=AuditKind.TOKEN_ISSUED,
        actor=user,
        username=user.get_username(),
        subject_type="knox.authtoken",
        subject_id=token_key,
        ip_address=client_ip(request),
    )


def token_revoked(*, user: User, request: HttpRequest | None, token_keys: list[str]) -> AuditEvent:
    return AuditEvent.objects.create(
        kind=AuditKind.TOKEN_REVOKED,
        actor=user,
        username=user.get_username(),
        subject_type="knox.authtoken",
        subject_id=",".join(token_keys)[:64],
        ip_address=client_ip(request),
        data={"tokens": token_keys},
    )


def unmasked_view(*, user: User, residents: Iterable[Resident], request: HttpRequest | None, via: str) -> int:
    """One row per resident whose full ID number and phone were shown to `user` (one INSERT)."""
    ip = client_ip(request)
    rows = [
        AuditEvent(
            kind=AuditKind.UNMASKED_VIEW,
            actor=_actor(user),
            username=user.get_username(),
            subject_type="grids.resident",
            subject_id=str(resident.pk),
            ip_address=ip,
            data={"via": via},
        )
        for resident in residents
    ]
    if rows:
        AuditEvent.objects.bulk_create(rows)
    return len(rows)


def personal_data_export(
    *, user: User, request: HttpRequest | None, what: str, rows: int, subject_ids: Iterable[int] = ()
) -> AuditEvent:
    """An export (XLSX, CSV, DOCX) that contains residents' personal data: what, how many rows."""
    return AuditEvent.objects.create(
        kind=AuditKind.PERSONAL_DATA_EXPORT,
        actor=_actor(user),
        username=user.get_username(),
        subject_type=what[:40],
        ip_address=client_ip(request),
        data={"rows": rows, "ids": list(subject_ids)[:1000]},
    )
