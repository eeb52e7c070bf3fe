"""Who hears about what: the one place that turns something that happened into its recipients.

Recipients are memberships (a role on an area or a department), so this lives in `grids`, where
disputes, legal_services and governance can all use it without importing upwards. The callers say
*what* happened and compose the message (a key and parameters, see `grids.messages`); this module
says *who* is told, and when many notices to one person become a digest.

| What happened                                   | Who is told                                   |
|-------------------------------------------------|-----------------------------------------------|
| a case dispatched (`case_step` "dispatch")       | staff of the assigned departments             |
| returned, extension asked, handled, escalated    | staff of the case's center                    |
| a yellow deadline warning (`Overseers`)          | staff of the department                       |
| a red lapse (`Overseers`)                        | the department, the center(s), the officials  |
|                                                  | of every area above the case                  |
| a report is ready (`report_readers`)             | officials on or above the area, its center    |

Adding recipients for a new feature (mediation, legal aid, supervision, the reporter hearing back):
write one function here named after what happened, returning users from memberships (one query,
`select_related("user")`, no loop of queries), add a row to the table above, and call it from the
feature's service next to `notify_many`. Never decide recipients in a view, a task or a template.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Q, QuerySet

from .models import Area, Membership, Role, User

# More notices than this to one recipient (or one department) in one batch become one digest.
DIGEST_AFTER = 5


def needs_digest(count: int) -> bool:
    """Whether `count` notices for one recipient (or cases of one department) in one batch are
    folded into one digest."""
    return count > DIGEST_AFTER


def _users(memberships: QuerySet[Membership], exclude: User | None = None) -> list[User]:
    seen: dict[int, User] = {}
    for m in memberships.select_related("user"):
        if exclude is None or m.user_id != exclude.pk:
            seen.setdefault(m.user_id, m.user)
    return list(seen.values())


def department_staff(department_ids: Iterable[int], *, exclude: User | None = None) -> list[User]:
    """The staff of these departments."""
    return _users(
        Membership.objects.filter(role=Role.DEPARTMENT_STAFF, department_id__in=list(department_ids)), exclude
    )


def center_staff(center_ids: Iterable[int], *, exclude: User | None = None) -> list[User]:
    """The staff of these centers (a center is an area: the town's or the district's)."""
    return _users(Membership.objects.filter(role=Role.CENTER_STAFF, area_id__in=list(center_ids)), exclude)


CASE_STEPS = frozenset({"dispatch", "return", "request_extension", "handle", "escalate"})


def case_step(step: str, *, center_id: int, department_ids: Iterable[int] = (), by: User | None = None) -> list[User]:
    """Who is told of a step of the case workflow. A dispatch goes to the departments that must
    sign; every other step to the center that dispatches. The person who acted is not told."""
    if step not in CASE_STEPS:
        raise ValueError(f"no audience for case step {step!r}")
    if step == "dispatch":
        return department_staff(department_ids, exclude=by)
    return center_staff([center_id], exclude=by)


def report_readers(area: Area) -> QuerySet[User]:
    """A report of `area` is ready: the officials over the area (on it or above it) and the staff
    of its own center."""
    codes = [*area.ancestor_codes, area.code]
    return User.objects.filter(
        Q(memberships__role=Role.OFFICIAL, memberships__area__code__in=codes)
        | Q(memberships__role=Role.CENTER_STAFF, memberships__area=area),
        is_active=True,
    ).distinct()


class Overseers:
    """The recipients of a batch of deadline alerts, read in one query: the staff of each
    department, the staff of each center, and the officials over each area path."""

    def __init__(self, *, department_ids: Iterable[int], center_ids: Iterable[int], area_paths: Iterable[str]):
        codes = {code for path in area_paths for code in path.split("/") if code}
        memberships = Membership.objects.filter(
            Q(role=Role.DEPARTMENT_STAFF, department_id__in=set(department_ids))
            | Q(role=Role.CENTER_STAFF, area_id__in=set(center_ids))
            | Q(role=Role.OFFICIAL, area__code__in=codes)
        ).select_related("user", "area")
        self._departments: dict[int, list[User]] = defaultdict(list)
        self._centers: dict[int, list[User]] = defaultdict(list)
        self._officials: list[tuple[str, User]] = []
        for m in memberships:
            if m.role == Role.DEPARTMENT_STAFF:
                self._departments[m.department_id].append(m.user)
            elif m.role == Role.CENTER_STAFF:
                self._centers[m.area_id].append(m.user)
            elif m.role == Role.OFFICIAL and m.area is not None:
                self._officials.append((m.area.path, m.user))

    def yellow(self, department_id: int) -> list[User]:
        """A deadline is near: the department that holds it."""
        return self._departments[department_id]

    def red_department(self, department_id: int) -> list[User]:
        """A deadline lapsed: the department is told of every one (supervision, 红灯督办)."""
        return self._departments[department_id]

    def red_overseers(self, *, area_path: str, center_ids: Iterable[int]) -> list[User]:
        """A deadline lapsed: the center(s) that dispatched or now hold the case, and the officials
        of every area above it."""
        users: list[User] = []
        for center_id in set(center_ids):
            users += self._centers[center_id]
        users += [u for path, u in self._officials if area_path.startswith(path)]
        return users

    def center(self, center_id: int) -> list[User]:
        """A center clock (accept, verify, feedback) is near its limit: the center that holds it."""
        return self._centers[center_id]


# --- Issue 12: the reporter hears back; supervision (督办) and its reply -----------------------
# | a case accepted, handled, closed (`case_reporter`) | the person who reported it               |
# | a supervision (`supervision_step` "supervise")    | staff of the supervised department        |
# | its reply (`supervision_step` "reply")            | the supervisor and the case's center      |
# | a center clock warns (`Overseers.center`)         | staff of the case's center                |


def case_reporter(reporter: User | None, *, by: User | None = None) -> list[User]:
    """The person who reported a case hears when it is accepted, handled and closed (not of their
    own acts)."""
    if reporter is None or not reporter.is_active or (by is not None and reporter.pk == by.pk):
        return []
    return [reporter]


SUPERVISION_STEPS = frozenset({"supervise", "reply"})


def supervision_step(
    step: str, *, department_id: int, center_id: int, supervisor: User | None = None, by: User | None = None
) -> list[User]:
    """督办 goes to the supervised department's staff; the reply to the supervisor and the center."""
    if step not in SUPERVISION_STEPS:
        raise ValueError(f"no audience for supervision step {step!r}")
    if step == "supervise":
        return department_staff([department_id], exclude=by)
    users = {u.pk: u for u in center_staff([center_id], exclude=by)}
    if supervisor is not None and (by is None or supervisor.pk != by.pk):
        users.setdefault(supervisor.pk, supervisor)
    return list(users.values())
