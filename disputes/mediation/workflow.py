"""The mediation workflow as one declared table: which action, from which state, by whom.

reported → assigned → mediating → agreed | failed → referred → closed. Views and the API ask
`authorize()` and `available_actions()`; the services apply the table's target state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from grids.models import Department, Level, Role, User
from grids.selectors import get_scope

from ..workflow import ActionConflict, ActionNotAllowed
from .models import Dispute, DisputeStatus, Mediator

S = DisputeStatus
JUDICIAL_KIND = "judicial"

__all__ = ["ActionConflict", "ActionNotAllowed", "TABLE", "TRANSITIONS", "ACTION_NAMES", "authorize"]


class Actor(StrEnum):
    CENTER = "center"  # town or district center staff over the dispute, or its town's judicial office
    BODY_MEDIATOR = "body_mediator"  # a mediator of the dispute's body
    MEDIATOR = "mediator"  # the dispute's mediator (any mediator of the body while none is named)
    MEDIATOR_OR_CENTER = "mediator_or_center"


Guard = Callable[[Dispute], str | None]


def _has_agreement(d: Dispute) -> str | None:
    return None if getattr(d, "agreement", None) is not None else gettext("尚无调解协议")


def _not_confirmed(d: Dispute) -> str | None:
    problem = _has_agreement(d)
    if problem:
        return problem
    if d.agreement.court_confirmed is not None:
        return gettext("司法确认已记录")
    return None


def _not_fulfilled(d: Dispute) -> str | None:
    problem = _has_agreement(d)
    if problem:
        return problem
    if d.agreement.fulfilled:
        return gettext("协议已履行完毕")
    return None


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[str]
    target: str | None  # None: the dispute keeps its status
    actor: Actor
    guard: Guard | None = None
    style: str = "primary"


TABLE: list[Transition] = [
    Transition("assign", _("指派调解"), frozenset({S.REPORTED, S.ASSIGNED}), S.ASSIGNED, Actor.CENTER),
    Transition("accept", _("受理调解"), frozenset({S.ASSIGNED}), S.MEDIATING, Actor.BODY_MEDIATOR),
    Transition("session", _("记录调解"), frozenset({S.MEDIATING}), None, Actor.MEDIATOR, style="secondary"),
    Transition("agree", _("达成协议"), frozenset({S.MEDIATING}), S.AGREED, Actor.MEDIATOR),
    Transition("fail", _("调解不成"), frozenset({S.MEDIATING}), S.FAILED, Actor.MEDIATOR, style="danger"),
    Transition("refer", _("移送(诉调对接)"), frozenset({S.FAILED}), S.REFERRED, Actor.MEDIATOR_OR_CENTER),
    Transition(
        "confirm", _("司法确认"), frozenset({S.AGREED, S.CLOSED}), None, Actor.MEDIATOR, _not_confirmed, "secondary"
    ),
    Transition(
        "fulfil", _("履行情况"), frozenset({S.AGREED, S.CLOSED}), None, Actor.MEDIATOR, _not_fulfilled, "secondary"
    ),
    Transition(
        "follow_up",
        _("回访"),
        frozenset({S.AGREED, S.REFERRED, S.CLOSED}),
        None,
        Actor.MEDIATOR,
        style="secondary",
    ),
    Transition("close", _("结案"), frozenset({S.AGREED, S.REFERRED}), S.CLOSED, Actor.MEDIATOR_OR_CENTER),
]
TRANSITIONS: dict[str, Transition] = {t.action: t for t in TABLE}
ACTION_NAMES = list(TRANSITIONS)


def mediator_org_ids(user: User) -> set[int]:
    cached = getattr(user, "_mediator_org_ids", None)
    if cached is None:
        cached = set(Mediator.objects.filter(user_id=user.pk, active=True).values_list("organisation_id", flat=True))
        user._mediator_org_ids = cached
    return cached


def judicial_paths(user: User) -> list[str]:
    """Area paths served by the judicial offices (司法所) the user works for (one query, cached)."""
    cached = getattr(user, "_judicial_paths", None)
    if cached is None:
        ids = get_scope(user).department_ids()
        cached = (
            list(Department.objects.filter(pk__in=ids, kind__code=JUDICIAL_KIND).values_list("area__path", flat=True))
            if ids
            else []
        )
        user._judicial_paths = cached
    return cached


def is_center_for(user: User, dispute: Dispute) -> bool:
    """Center staff of the dispute's town or district, or staff of a judicial office serving it."""
    scope = get_scope(user)
    for g in scope.grants:
        if (
            g.role == Role.CENTER_STAFF
            and g.area is not None
            and g.area.level in (Level.TOWN, Level.DISTRICT)
            and dispute.area_path.startswith(g.area.path)
        ):
            return True
    return any(dispute.area_path.startswith(p) for p in judicial_paths(user))


def actors(user: User, dispute: Dispute) -> set[Actor]:
    result: set[Actor] = set()
    if is_center_for(user, dispute):
        result.add(Actor.CENTER)
    if dispute.organisation_id and dispute.organisation_id in mediator_org_ids(user):
        result.add(Actor.BODY_MEDIATOR)
        if dispute.mediator_id in (None, user.pk):
            result.add(Actor.MEDIATOR)
    if Actor.CENTER in result or Actor.MEDIATOR in result:
        result.add(Actor.MEDIATOR_OR_CENTER)
    return result


def authorize(user: User, dispute: Dispute, action: str) -> Transition:
    """Check one action against the table: ActionNotAllowed (403) if the user may not take it at
    all, ActionConflict (409) if the dispute's state does not allow it now."""
    t = TRANSITIONS.get(action)
    if t is None:
        raise ActionConflict(gettext("未知操作:%(action)s") % {"action": action})
    if t.actor not in actors(user, dispute):
        raise ActionNotAllowed(gettext("您无权对此纠纷执行“%(action)s”") % {"action": t.label})
    if dispute.status not in t.sources:
        raise ActionConflict(
            gettext("纠纷当前状态为“%(status)s”,不能执行“%(action)s”")
            % {"status": dispute.get_status_display(), "action": t.label}
        )
    if t.guard is not None:
        problem = t.guard(dispute)
        if problem:
            raise ActionConflict(problem)
    return t


def available_actions(user: User, dispute: Dispute) -> list[Transition]:
    result = []
    for t in TABLE:
        try:
            authorize(user, dispute, t.action)
        except (ActionNotAllowed, ActionConflict):
            continue
        result.append(t)
    return result
