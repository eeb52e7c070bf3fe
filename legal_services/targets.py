"""Things in other apps that legal services point at (cases, disputes), without importing them.

An app above (governance) registers, per kind, a *resolver* — which of these ids may this user
see, with a label and a link — and, for consultations, a *referrer* that creates the target and
returns its id. `legal_services` registers its own kind ("aid") the same way. A dispute is one more
kind: registering it is all the mediation branch needs to do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from grids.models import User


@dataclass(frozen=True)
class Target:
    kind: str
    id: int
    label: str
    url: str
    closed: bool = False
    area_path: str = ""


Resolver = Callable[[User, list[int]], dict[int, Target]]
# (consultation, by, data) → (target id, area path); raises django ValidationError for bad input.
Referrer = Callable[..., int]

_resolvers: dict[str, Resolver] = {}
_referrers: dict[str, tuple[Callable, object]] = {}


def register_resolver(kind: str, resolver: Resolver) -> None:
    _resolvers[kind] = resolver


def register_referrer(kind: str, referrer: Callable, form_class: object = None) -> None:
    """`referrer(consultation=, by=, **cleaned)` creates the target and returns its id;
    `form_class` parses the body (a Django form taking data)."""
    _referrers[kind] = (referrer, form_class)


def referrer_for(kind: str) -> tuple[Callable, object] | None:
    return _referrers.get(kind)


def referral_kinds() -> list[str]:
    return list(_referrers)


def resolve(user: User, refs: Iterable[tuple[str, int]]) -> dict[tuple[str, int], Target]:
    """The targets among `refs` this user may see. Unknown kinds and hidden ids are left out."""
    by_kind: dict[str, list[int]] = {}
    for kind, pk in refs:
        by_kind.setdefault(kind, []).append(int(pk))
    found: dict[tuple[str, int], Target] = {}
    for kind, ids in by_kind.items():
        resolver = _resolvers.get(kind)
        if resolver is None:
            continue
        for pk, target in resolver(user, ids).items():
            found[(kind, pk)] = target
    return found


def resolve_one(user: User, kind: str, pk: int) -> Target | None:
    return resolve(user, [(kind, pk)]).get((kind, int(pk)))
