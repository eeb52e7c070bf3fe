"""Writes for territory, organisations and roles. One function per domain action."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from .models import PARENT_LEVEL, Area, Department, DepartmentKind, Membership, Role, User


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
def api_token_issue(*, user: User, request=None) -> str:
    """Sign a device in to the API: a new token of its own (only its hash is stored), expiring after
    the configured idle time. The user's expired tokens are swept on the way; the login is audited."""
    from django.contrib.auth.signals import user_logged_in
    from knox.models import AuthToken
    from knox.settings import knox_settings

    from . import audit

    AuthToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
    instance, token = AuthToken.objects.create(user=user, expiry=knox_settings.TOKEN_TTL)
    # The same signal as a page login: last_login, the lockout reset and the audit row.
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    audit.token_issued(user=user, request=request, token_key=instance.token_key)
    return token


@transaction.atomic
def api_token_revoke(*, user: User, request=None, token=None) -> int:
    """Sign out of the API: revoke one token (this device), or with `token=None` all of the user's."""
    from knox.models import AuthToken

    from . import audit

    tokens = AuthToken.objects.filter(user=user)
    if token is not None:
        tokens = tokens.filter(pk=token.pk)
    keys = list(tokens.values_list("token_key", flat=True))
    tokens.delete()
    audit.token_revoked(user=user, request=request, token_keys=keys)
    return len(keys)
