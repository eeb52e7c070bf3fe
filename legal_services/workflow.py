"""Legal aid as one declared transition table: which action, from which state, by whom.

    applied → reviewing → approved | refused → (approved) assigned → closed

Views and the API never test the status themselves: they ask `authorize()` and
`available_actions()`, and the services apply the table's target state.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from grids.models import Role, User
from grids.selectors import get_scope

from .models import AidApplication, AidStatus


class ActionNotAllowed(Exception):
    """The caller can see the application but may not act on it (HTTP 403)."""


class ActionConflict(Exception):
    """The action is not allowed in the application's current state (HTTP 409)."""


class Actor(StrEnum):
    LEGAL_STAFF = "legal_staff"  # legal-services staff whose area covers the application


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[str]
    target: str
    actor: Actor
    style: str = "primary"


TABLE: list[Transition] = [
    Transition("review", _("开始审查"), frozenset({AidStatus.APPLIED}), AidStatus.REVIEWING, Actor.LEGAL_STAFF),
    Transition("approve", _("批准援助"), frozenset({AidStatus.REVIEWING}), AidStatus.APPROVED, Actor.LEGAL_STAFF),
    Transition(
        "refuse", _("不予援助"), frozenset({AidStatus.REVIEWING}), AidStatus.REFUSED, Actor.LEGAL_STAFF, "danger"
    ),
    Transition("assign", _("指派律师"), frozenset({AidStatus.APPROVED}), AidStatus.ASSIGNED, Actor.LEGAL_STAFF),
    Transition("close", _("结案"), frozenset({AidStatus.ASSIGNED}), AidStatus.CLOSED, Actor.LEGAL_STAFF),
]
TRANSITIONS: dict[str, Transition] = {t.action: t for t in TABLE}
ACTION_NAMES = list(TRANSITIONS)


def actors(user: User, application: AidApplication) -> set[Actor]:
    scope = get_scope(user)
    if scope.is_admin or scope.covers(application.area_path, roles={Role.LEGAL_STAFF}):
        return {Actor.LEGAL_STAFF}
    return set()


def authorize(user: User, application: AidApplication, action: str) -> Transition:
    """Check one action against the table: 403 for the wrong role, 409 for the wrong state."""
    t = TRANSITIONS.get(action)
    if t is None:
        raise ActionConflict(gettext("未知操作:%(action)s") % {"action": action})
    if t.actor not in actors(user, application):
        raise ActionNotAllowed(gettext("您无权对此申请执行“%(action)s”") % {"action": t.label})
    if application.status not in t.sources:
        if application.status == t.target:
            raise ActionConflict(
                gettext("申请已是“%(status)s”状态,无需重复操作") % {"status": application.get_status_display()}
            )
        raise ActionConflict(
            gettext("申请当前状态为“%(status)s”,不能执行“%(action)s”")
            % {"status": application.get_status_display(), "action": t.label}
        )
    return t


def available_actions(user: User, application: AidApplication) -> list[Transition]:
    if not actors(user, application):
        return []
    return [t for t in TABLE if application.status in t.sources]
