"""The one place that decides what a user may see.

Every list, detail, export and API view asks these functions; views never filter by hand.
Out-of-scope objects are simply absent from the querysets, so they read as 404.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet

from . import caching
from .models import Area, Department, Membership, Resident, Role, User

# Roles tied to an area that read everything in its subtree.
AREA_ROLES = {
    Role.GRID_WORKER,
    Role.GRID_CHIEF,
    Role.CENTER_STAFF,
    Role.OFFICIAL,
    Role.MEDIATOR,
    Role.LEGAL_STAFF,
}
# Roles that may see special-population and key-person flags and full ID numbers, in their own area.
SENSITIVE_ROLES = {Role.GRID_WORKER, Role.GRID_CHIEF, Role.CENTER_STAFF}


@dataclass(frozen=True)
class Grant:
    role: str
    area: Area | None
    department: Department | None

    @property
    def role_label(self) -> str:
        return Role(self.role).label


@dataclass
class Scope:
    """What one user may see, computed once per request from their memberships."""

    user_id: int | None
    is_admin: bool = False
    grants: list[Grant] = field(default_factory=list)

    def roles(self) -> set[str]:
        return {g.role for g in self.grants}

    def has_role(self, *roles: str) -> bool:
        return self.is_admin and Role.ADMIN in roles or any(g.role in roles for g in self.grants)

    def areas(self, roles=AREA_ROLES) -> list[Area]:
        return [g.area for g in self.grants if g.role in roles and g.area is not None]

    def area_paths(self, roles=AREA_ROLES) -> list[str]:
        return _minimal_prefixes([a.path for a in self.areas(roles)])

    def departments(self) -> list[Department]:
        return [g.department for g in self.grants if g.role == Role.DEPARTMENT_STAFF and g.department]

    def department_ids(self) -> list[int]:
        return [d.pk for d in self.departments()]

    def covers(self, path: str, roles=AREA_ROLES) -> bool:
        """True if an area at `path` lies inside one of the user's areas for these roles."""
        return self.is_admin or any(path.startswith(p) for p in self.area_paths(roles))

    def home_area(self) -> Area | None:
        """The widest area the user reads: the natural root of their area browser and dashboard."""
        areas = sorted(self.areas(), key=lambda a: (a.depth, a.code))
        return areas[0] if areas else None

    def path_q(self, field_name: str, roles=AREA_ROLES) -> Q:
        """A Q object matching rows whose `field_name` path lies in the user's areas."""
        if self.is_admin:
            return Q()
        paths = self.area_paths(roles)
        if not paths:
            return Q(pk__in=[])
        return reduce(or_, (Q(**{f"{field_name}__startswith": p}) for p in paths))


def _minimal_prefixes(paths: list[str]) -> list[str]:
    """Drop paths already covered by a shorter one, so the OR stays small."""
    result: list[str] = []
    for p in sorted(set(paths), key=len):
        if not any(p.startswith(r) for r in result):
            result.append(p)
    return result


def get_scope(user: User) -> Scope:
    if not user or not user.is_authenticated:
        return Scope(user_id=None)
    cached = getattr(user, "_governance_scope", None)
    if cached is not None:
        return cached
    memberships = Membership.objects.filter(user=user).select_related("area", "department__area")
    grants = [Grant(m.role, m.area, m.department) for m in memberships]
    is_admin = user.is_superuser or any(g.role == Role.ADMIN for g in grants)
    scope = Scope(user_id=user.pk, is_admin=is_admin, grants=grants)
    user._governance_scope = scope
    return scope


def areas_visible_to(user: User) -> QuerySet[Area]:
    """Area roles see their subtree; department staff see the area their department serves."""
    scope = get_scope(user)
    qs = Area.objects.all()
    if scope.is_admin:
        return qs
    paths = scope.area_paths() + [d.area.path for d in scope.departments()]
    paths = _minimal_prefixes(paths)
    if not paths:
        return qs.none()
    return qs.filter(reduce(or_, (Q(path__startswith=p) for p in paths)))


# The area filter of a list (hundreds of villages and grids) is the same for everyone with the same
# scope and changes only when the territory does: cached per scope, forgotten when an area changes.
AREA_CHOICES_SECONDS = 300
_AREAS_VERSION_KEY = "areas:version"


def _bump_areas_version() -> None:
    caching.bump(_AREAS_VERSION_KEY)


def forget_area_choices(**_signal_kwargs) -> None:
    """The territory changed (an area added, renamed, moved or removed): every cached choice list
    goes, now and again when the change commits (a reader in between may have cached the old list).
    Also the receiver of Area's post_save and post_delete (grids/apps.py)."""
    _bump_areas_version()
    transaction.on_commit(_bump_areas_version)


def area_choices_for(user: User, levels) -> list[tuple[int, str]]:
    """(id, name) of the areas of these levels the user can see, in the areas' order, for a filter's
    `<select>`: read from the cache when someone with the same scope asked in the last minutes."""
    scope = get_scope(user)
    basis = (
        "*"
        if scope.is_admin
        else "|".join(_minimal_prefixes(scope.area_paths() + [d.area.path for d in scope.departments()]))
    )
    digest = hashlib.sha1(f"{basis}#{','.join(sorted(levels))}".encode()).hexdigest()
    return caching.remember(
        f"area-choices:{caching.version(_AREAS_VERSION_KEY)}:{digest}",
        lambda: list(areas_visible_to(user).filter(level__in=list(levels)).values_list("pk", "name")),
        AREA_CHOICES_SECONDS,
    )


def departments_visible_to(user: User) -> QuerySet[Department]:
    """Departments serving an area the user can see, or on the path above it (they serve it too)."""
    scope = get_scope(user)
    qs = Department.objects.select_related("kind", "area")
    if scope.is_admin:
        return qs
    paths = scope.area_paths() + [d.area.path for d in scope.departments()]
    if not paths:
        return qs.none()
    # A department serves its own area's subtree: visible if its area is inside ours or above ours.
    inside = reduce(or_, (Q(area__path__startswith=p) for p in paths))
    above_codes = {code for p in paths for code in p.split("/") if code}
    return qs.filter(inside | Q(area__code__in=above_codes) | Q(pk__in=scope.department_ids()))


def residents_visible_to(user: User) -> QuerySet[Resident]:
    """Residents of the user's areas. Department staff have no resident register."""
    scope = get_scope(user)
    qs = Resident.objects.select_related("micro_grid", "household")
    return qs.filter(scope.path_q("area_path"))


def can_see_sensitive(user: User, resident: Resident) -> bool:
    """Special-population flags, key-person flags and full ID numbers: only the roles that need
    them, and only in their own area."""
    scope = get_scope(user)
    return scope.covers(resident.area_path, roles=SENSITIVE_ROLES)


def digit_search_q(user: User, value: str) -> Q | None:
    """What a digit search may match, or None.

    Exactly four digits match the last four of an ID number or phone: those are visible even in
    the masked form. A whole ID number or a whole phone number matches only among the residents
    whose numbers the caller sees unmasked (the sensitive roles, in their own area). Anything else
    (a longer suffix, a prefix, digits the caller sees masked) matches nothing, so a masked number
    cannot be recovered by extending a search one digit at a time.
    """
    from .validators import normalize_id_number, normalize_phone

    compact = value.replace(" ", "").replace("-", "").upper()
    if not compact.rstrip("X").isdigit() or compact.count("X") > 1 or len(compact) < 4:
        return None
    if len(compact) == 4:
        # The last four digits are shown even when masked (1101**********123X, 139****5678).
        return Q(id_number__endswith=compact) | (Q(phone__endswith=compact) if compact.isdigit() else Q(pk__in=[]))
    scope = get_scope(user)
    if not scope.is_admin and not scope.area_paths(SENSITIVE_ROLES):
        return None
    allowed = scope.path_q("area_path", roles=SENSITIVE_ROLES)
    match = None
    try:
        match = Q(id_number=normalize_id_number(compact))
    except ValidationError:
        pass
    if compact.isdigit():
        try:
            phone = normalize_phone(value)
        except ValidationError:
            phone = ""
        if phone:
            match = Q(phone=phone) if match is None else match | Q(phone=phone)
    return allowed & match if match is not None else None


def team_of(area: Area) -> QuerySet[Membership]:
    """The grid team (1+3+N): everyone holding a role on this area or the areas above it."""
    codes = area.ancestor_codes + [area.code]
    return (
        Membership.objects.filter(area__code__in=codes)
        .exclude(role__in=[Role.ADMIN, Role.OFFICIAL])
        .select_related("user", "area")
        .order_by("area__path", "role", "user__username")
    )


# --------------------------------------------------------------------------------------------------
# Field work: patrols, visits, households, follow-ups (帮教) and the registration audit
# --------------------------------------------------------------------------------------------------


def households_visible_to(user: User) -> QuerySet:
    """Household files (一户一档) of the user's areas; department staff keep no resident register."""
    from .models import Household

    return Household.objects.filter(get_scope(user).path_q("area_path"))


def patrols_visible_to(user: User) -> QuerySet:
    """Patrols in the user's areas (grid worker, chief, center, official, mediator, legal staff)."""
    from .models import Patrol

    return Patrol.objects.filter(get_scope(user).path_q("area_path")).select_related("worker", "grid")


def can_see_follow_ups(user: User, area_path: str) -> bool:
    """Special-population follow-ups (帮教) are sensitive: the same roles as `can_see_sensitive`."""
    return get_scope(user).covers(area_path, roles=SENSITIVE_ROLES)


def follow_ups_visible_to(user: User) -> QuerySet:
    """Follow-ups only for the roles that need them, in their own area (never mediators, officials,
    departments or outsiders)."""
    from .models import FollowUp

    return FollowUp.objects.filter(get_scope(user).path_q("area_path", roles=SENSITIVE_ROLES))


def visits_visible_to(user: User) -> QuerySet:
    """Visits in the user's areas; special-population follow-up visits only where the user may see
    sensitive data."""
    from .models import Visit, VisitPurpose

    scope = get_scope(user)
    qs = Visit.objects.select_related("by", "household", "resident")
    if scope.is_admin:
        return qs
    ordinary = scope.path_q("area_path") & ~Q(purpose=VisitPurpose.FOLLOW_UP)
    sensitive = scope.path_q("area_path", roles=SENSITIVE_ROLES)
    return qs.filter(ordinary | sensitive)


def registration_changes_visible_to(user: User) -> QuerySet:
    """The door-registration audit: those who keep the register (grid workers, chiefs, centers)."""
    from .models import RegistrationChange

    return RegistrationChange.objects.filter(get_scope(user).path_q("area_path", roles=SENSITIVE_ROLES))


REGISTRAR_ROLES = {Role.GRID_WORKER, Role.GRID_CHIEF}


def can_register_in(user: User, area_path: str) -> bool:
    """Door-to-door registration: grid workers and chiefs, in their own grid."""
    return get_scope(user).covers(area_path, roles=REGISTRAR_ROLES)


def patrol_grids_for(user: User) -> list[Area]:
    """The grids a user may patrol: those they work in as grid worker or chief."""
    scope = get_scope(user)
    return [a for a in scope.areas(REGISTRAR_ROLES) if a.level in ("grid", "micro_grid")]


def can_see_map(user: User) -> bool:
    """The base map (streets, buildings, landmarks) is for anyone with a place in the territory."""
    scope = get_scope(user)
    return scope.is_admin or bool(scope.area_paths() or scope.departments())
