"""Writes for territory, organisations and roles. One function per domain action."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from .models import PARENT_LEVEL, Area, Department, DepartmentKind, Membership, Notification, Role, User


def area_path_for(*, code: str, parent: Area | None) -> str:
    return f"{parent.path if parent else ''}{code}/"


@transaction.atomic
def area_create(
    *,
    code: str,
    name: str,
    level: str,
    parent: Area | None,
    boundary: dict | None = None,
    centroid: tuple[float, float] | None = None,
) -> Area:
    """Create one area under its parent; the level must be one below the parent's."""
    if PARENT_LEVEL.get(level) != (parent.level if parent else None):
        raise ValueError(f"level {level} cannot sit under {parent.level if parent else 'nothing'}")
    lat, lng = centroid if centroid else (None, None)
    if boundary and not centroid:
        from .geo import centroid_of

        lat, lng = centroid_of(boundary)
    return Area.objects.create(
        code=code,
        name=name,
        level=level,
        parent=parent,
        path=area_path_for(code=code, parent=parent),
        boundary=boundary,
        centroid_lat=lat,
        centroid_lng=lng,
        updated_at=timezone.now(),
    )


@transaction.atomic
def department_create(*, code: str, name: str, kind: DepartmentKind, area: Area, phone: str = "") -> Department:
    """A functional department and the group through which its staff receive case permissions."""
    group, _ = Group.objects.get_or_create(name=f"department:{code}")
    return Department.objects.create(code=code, name=name, kind=kind, area=area, phone=phone, group=group)


def department_group(department: Department) -> Group:
    if department.group_id is None:
        department.group, _ = Group.objects.get_or_create(name=f"department:{department.code}")
        department.save(update_fields=["group"])
    return department.group


@transaction.atomic
def membership_grant(
    *,
    user: User,
    role: str,
    area: Area | None = None,
    department: Department | None = None,
    team_role: str = "",
) -> Membership:
    """Give a user a role on an area or a department. Department staff join the department's group."""
    membership, _ = Membership.objects.get_or_create(
        user=user, role=role, area=area, department=department, defaults={"team_role": team_role}
    )
    if role == Role.DEPARTMENT_STAFF and department is not None:
        user.groups.add(department_group(department))
    if role == Role.ADMIN and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    user.__dict__.pop("_governance_scope", None)
    return membership


@transaction.atomic
def membership_revoke(*, membership: Membership) -> None:
    user, department = membership.user, membership.department
    membership.delete()
    if department is not None and not Membership.objects.filter(user=user, department=department).exists():
        user.groups.remove(department_group(department))


@transaction.atomic
def notification_mark_read(*, notification: Notification, by: User) -> Notification:
    """The reader has seen one of their notifications. Idempotent; a concurrent read keeps the first
    moment (a conditional UPDATE). The caller finds the notification through the reader's inbox."""
    if notification.recipient_id != by.pk:
        raise PermissionError("a notification is marked read only by its recipient")
    if notification.read_at is None:
        now = timezone.now()
        if Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now):
            notification.read_at = now
        else:
            notification.refresh_from_db(fields=["read_at"])
    return notification


@transaction.atomic
def notifications_mark_all_read(*, by: User) -> int:
    """The reader has seen all their due notifications; returns how many were unread."""
    from .notifications import inbox

    return inbox(by).filter(read_at__isnull=True).update(read_at=timezone.now())
