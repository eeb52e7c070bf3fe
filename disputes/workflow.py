"""The dispatch workflow as one declared table: which action, from which state, by whom.

Views and the API never test `case.status` themselves; they ask `authorize()` and
`available_actions()`, and the services apply the table's target state (`target_of`), which a
transition may compute from the case and the acting department's assignment (sign, return).

`TABLE` holds the public actions (the API's `ACTION_NAMES`, the buttons on the case page);
`INTERNAL` holds changes that are not workflow actions but need the same permission check
(reclassify). `authorize()` knows both; `available_actions()` offers only the public ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from grids.models import Level, Role, User
from grids.selectors import get_scope

from .models import Assignment, AssignmentRole, AssignmentStatus, Case, ExtensionStatus, Satisfaction, Status


class ActionNotAllowed(Exception):
    """The caller can see the case but may not take this action (HTTP 403)."""


class ActionConflict(Exception):
    """The action is not allowed in the case's current state (HTTP 409)."""


class Actor(StrEnum):
    CENTER = "center"  # staff of the case's responsible center
    TOWN_CENTER = "town_center"  # the same, while that center is a town center
    GRID_WORKER = "grid_worker"  # grid worker of the case's grid
    CENTER_OR_GRID_WORKER = "center_or_grid_worker"
    ASSIGNEE = "assignee"  # staff of a department with an active assignment
    LEAD = "lead"  # staff of the active lead department
    CO = "co"  # staff of an active co-department
    SUPERVISOR = "supervisor"  # an official over the case's area, or staff of a center above the case
    SUPERVISED = "supervised"  # staff of the department with the case's open supervision (督办)


Guard = Callable[[Case], str | None]
# A computed target: the status the case moves to, given the acting assignment (None: it stays).
Target = Callable[[Case, Assignment | None], str | None]


def _co_departments_done(case: Case) -> str | None:
    waiting = [a for a in case.assignments.all() if a.role == AssignmentRole.CO and a.active]
    if waiting:
        names = "、".join(a.department.name for a in waiting)
        return gettext("协办部门尚未反馈:%(names)s") % {"names": names}
    return None


def _pending_extension(case: Case) -> str | None:
    if not any(e.status == ExtensionStatus.PENDING for e in case.extensions.all()):
        return gettext("没有待审批的延期申请")
    return None


def _no_pending_extension(case: Case) -> str | None:
    if any(e.status == ExtensionStatus.PENDING for e in case.extensions.all()):
        return gettext("已有延期申请待审批")
    return None


def _dissatisfied(case: Case) -> str | None:
    if case.satisfaction != Satisfaction.DISSATISFIED:
        return gettext("只有回访不满意的事项才能重新办理")
    return None


def _open_supervision(case: Case):
    return next((s for s in case.supervisions.all() if s.replied_at is None), None)


def _may_supervise(case: Case) -> str | None:
    if _open_supervision(case) is not None:
        return gettext("已有督办待回复")
    if not any(a.role == AssignmentRole.LEAD and a.active for a in case.assignments.all()):
        return gettext("没有在办的主办部门")
    return None


def _supervised(case: Case) -> str | None:
    if _open_supervision(case) is None:
        return gettext("没有待回复的督办")
    return None


def _at_town_center(case: Case) -> str | None:
    if case.center.level != Level.TOWN:
        return gettext("事项已在区级社会治理中心")
    return None


def _lead_signs(case: Case, assignment: Assignment | None) -> str | None:
    """The lead's sign-in starts the work; a co-department's changes nothing."""
    if assignment is not None and assignment.role == AssignmentRole.LEAD and case.status == Status.DISPATCHED:
        return Status.IN_PROGRESS
    return None


def _lead_returns(case: Case, assignment: Assignment | None) -> str | None:
    """The lead's return hands the case back to the center; a co-department's ends only its part."""
    if assignment is not None and assignment.role == AssignmentRole.LEAD:
        return Status.ACCEPTED
    return None


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[str]
    target: str | Target | None  # None: the case keeps its status; a callable computes it
    actor: Actor
    assignment_sources: frozenset[str] = field(default_factory=frozenset)
    guard: Guard | None = None
    style: str = "primary"


OPEN_WORK = frozenset({Status.DISPATCHED, Status.IN_PROGRESS})
ACTIVE = frozenset({AssignmentStatus.PENDING, AssignmentStatus.SIGNED})
SIGNED = frozenset({AssignmentStatus.SIGNED})

TABLE: list[Transition] = [
    Transition("accept", _("受理"), frozenset({Status.REPORTED}), Status.ACCEPTED, Actor.CENTER),
    Transition("reject", _("不予受理"), frozenset({Status.REPORTED}), Status.REJECTED, Actor.CENTER, style="danger"),
    Transition("merge", _("合并重复"), frozenset({Status.REPORTED}), Status.MERGED, Actor.CENTER, style="secondary"),
    Transition("resolve_on_site", _("就地化解"), frozenset({Status.REPORTED}), Status.VERIFIED, Actor.GRID_WORKER),
    Transition("dispatch", _("派单(吹哨)"), frozenset({Status.ACCEPTED}), Status.DISPATCHED, Actor.CENTER),
    Transition("sign", _("签收(报到)"), OPEN_WORK, _lead_signs, Actor.ASSIGNEE, frozenset({AssignmentStatus.PENDING})),
    Transition("return", _("退单"), OPEN_WORK, _lead_returns, Actor.ASSIGNEE, ACTIVE, style="danger"),
    Transition("progress", _("办理进展"), OPEN_WORK, None, Actor.ASSIGNEE, SIGNED, style="secondary"),
    Transition(
        "request_extension",
        _("申请延期"),
        frozenset({Status.IN_PROGRESS}),
        None,
        Actor.LEAD,
        SIGNED,
        _no_pending_extension,
        style="secondary",
    ),
    Transition("approve_extension", _("批准延期"), OPEN_WORK, None, Actor.CENTER, guard=_pending_extension),
    Transition(
        "refuse_extension",
        _("不批准延期"),
        OPEN_WORK,
        None,
        Actor.CENTER,
        guard=_pending_extension,
        style="danger",
    ),
    Transition("report", _("协办反馈"), OPEN_WORK, None, Actor.CO, SIGNED),
    Transition(
        "handle", _("办结"), frozenset({Status.IN_PROGRESS}), Status.HANDLED, Actor.LEAD, SIGNED, _co_departments_done
    ),
    Transition("verify", _("核查通过"), frozenset({Status.HANDLED}), Status.VERIFIED, Actor.CENTER_OR_GRID_WORKER),
    Transition("rework", _("返工"), frozenset({Status.HANDLED}), Status.IN_PROGRESS, Actor.CENTER, style="danger"),
    Transition("feedback", _("回访"), frozenset({Status.VERIFIED}), None, Actor.CENTER, style="secondary"),
    Transition(
        "reopen", _("重新办理"), frozenset({Status.VERIFIED}), Status.ACCEPTED, Actor.CENTER, guard=_dissatisfied
    ),
    Transition("close", _("结案"), frozenset({Status.VERIFIED}), Status.CLOSED, Actor.CENTER),
    Transition(
        "escalate",
        _("上报区中心"),
        frozenset({Status.REPORTED, Status.ACCEPTED, Status.DISPATCHED, Status.IN_PROGRESS}),
        None,
        Actor.TOWN_CENTER,
        guard=_at_town_center,
        style="danger",
    ),
    Transition("supervise", _("督办"), OPEN_WORK, None, Actor.SUPERVISOR, guard=_may_supervise, style="danger"),
    Transition(
        "reply",
        _("督办回复"),
        frozenset(s for s in Status if s not in (Status.CLOSED, Status.REJECTED, Status.MERGED)),
        None,
        Actor.SUPERVISED,
        guard=_supervised,
    ),
]
TRANSITIONS: dict[str, Transition] = {t.action: t for t in TABLE}
ACTION_NAMES = list(TRANSITIONS)

INTERNAL: list[Transition] = [
    # The center corrects the category or urgency, in any state (not a public action).
    Transition("reclassify", _("调整分类"), frozenset(Status.values), None, Actor.CENTER, style="secondary"),
]
ALL_TRANSITIONS: dict[str, Transition] = {**TRANSITIONS, **{t.action: t for t in INTERNAL}}


def target_of(action: str, case: Case, assignment: Assignment | None = None) -> str | None:
    """The status `action` moves the case to (None: it keeps its status)."""
    target = ALL_TRANSITIONS[action].target
    return target(case, assignment) if callable(target) else target


@dataclass
class Standing:
    """What the user is with respect to one case."""

    actors: set[Actor]
    assignments: list[Assignment]  # the user's departments' active assignments, lead first


def standing(user: User, case: Case) -> Standing:
    """Work out the user's actors on the case. Expects `case.assignments` prefetched with departments."""
    scope = get_scope(user)
    actors: set[Actor] = set()
    for grant in scope.grants:
        if grant.role == Role.CENTER_STAFF and grant.area is not None and grant.area.pk == case.center_id:
            actors.add(Actor.CENTER)
            if grant.area.level == Level.TOWN:
                actors.add(Actor.TOWN_CENTER)
        if (
            grant.role == Role.GRID_WORKER
            and grant.area is not None
            and grant.area.level in (Level.GRID, Level.MICRO_GRID, Level.VILLAGE)
            and case.area_path.startswith(grant.area.path)
        ):
            actors.add(Actor.GRID_WORKER)
    if Actor.CENTER in actors or Actor.GRID_WORKER in actors:
        actors.add(Actor.CENTER_OR_GRID_WORKER)
    for grant in scope.grants:
        # 督办: officials over the case's area; centers at or above the case's center.
        if grant.area is None or grant.role not in (Role.OFFICIAL, Role.CENTER_STAFF):
            continue
        if grant.role == Role.OFFICIAL and case.area_path.startswith(grant.area.path):
            actors.add(Actor.SUPERVISOR)
        if grant.role == Role.CENTER_STAFF and case.center.path.startswith(grant.area.path):
            actors.add(Actor.SUPERVISOR)
    department_ids = set(scope.department_ids())
    supervision = _open_supervision(case)
    if supervision is not None and supervision.department_id in department_ids:
        actors.add(Actor.SUPERVISED)
    mine = [a for a in case.assignments.all() if a.department_id in department_ids and a.active]
    mine.sort(key=lambda a: a.role != AssignmentRole.LEAD)
    if mine:
        actors.add(Actor.ASSIGNEE)
    if any(a.role == AssignmentRole.LEAD for a in mine):
        actors.add(Actor.LEAD)
    if any(a.role == AssignmentRole.CO for a in mine):
        actors.add(Actor.CO)
    return Standing(actors=actors, assignments=mine)


def _assignment_for(t: Transition, st: Standing) -> Assignment | None:
    if t.actor == Actor.LEAD:
        return next((a for a in st.assignments if a.role == AssignmentRole.LEAD), None)
    if t.actor == Actor.CO:
        return next((a for a in st.assignments if a.role == AssignmentRole.CO), None)
    if t.actor == Actor.ASSIGNEE:
        fitting = [a for a in st.assignments if a.status in t.assignment_sources]
        return (fitting or st.assignments or [None])[0]
    return None


def authorize(user: User, case: Case, action: str) -> Assignment | None:
    """Check one action against the table. Returns the user's assignment it concerns, if any.

    Raises ActionNotAllowed (403) if the user's role may not take it at all, and
    ActionConflict (409) if the case's state does not allow it now.
    """
    t = ALL_TRANSITIONS.get(action)
    if t is None:
        raise ActionConflict(gettext("未知操作:%(action)s") % {"action": action})
    st = standing(user, case)
    if t.actor not in st.actors:
        raise ActionNotAllowed(gettext("您无权对此事项执行“%(action)s”") % {"action": t.label})
    if case.status not in t.sources:
        if isinstance(t.target, str) and case.status == t.target:
            raise ActionConflict(
                gettext("事项已是“%(status)s”状态,无需重复操作") % {"status": case.get_status_display()}
            )
        raise ActionConflict(
            gettext("事项当前状态为“%(status)s”,不能执行“%(action)s”")
            % {"status": case.get_status_display(), "action": t.label}
        )
    assignment = _assignment_for(t, st)
    if t.assignment_sources and (assignment is None or assignment.status not in t.assignment_sources):
        state = assignment.get_status_display() if assignment else "—"
        raise ActionConflict(
            gettext("您部门的派单状态为“%(state)s”,不能执行“%(action)s”") % {"state": state, "action": t.label}
        )
    if t.guard is not None:
        problem = t.guard(case)
        if problem:
            raise ActionConflict(problem)
    return assignment


def blocked_actions(user: User, case: Case) -> list[tuple[Transition, str]]:
    """The actions this user could take in this state but for a guard, and why not (e.g. the lead
    sees that 办结 waits for a co-department's report)."""
    st = standing(user, case)
    result = []
    for t in TABLE:
        if t.guard is None or t.actor not in st.actors or case.status not in t.sources:
            continue
        assignment = _assignment_for(t, st)
        if t.assignment_sources and (assignment is None or assignment.status not in t.assignment_sources):
            continue
        problem = t.guard(case)
        if problem:
            result.append((t, problem))
    return result


def available_actions(user: User, case: Case) -> list[Transition]:
    """The actions this user may take on this case right now, in table order."""
    result = []
    for t in TABLE:
        try:
            authorize(user, case, t.action)
        except (ActionNotAllowed, ActionConflict):
            continue
        result.append(t)
    return result
