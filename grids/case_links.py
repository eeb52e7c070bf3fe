"""Cases on field-work pages, without importing the disputes app.

Cases live in `disputes`, which sits above this app. The patrol and household pages and APIs
still show the cases a patrol produced or a household is involved in: `disputes` registers a
reader here when the app registry is ready (`disputes.apps`), the same inversion Django uses for
signals. Without it (grids alone) the lists are simply empty.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class CaseLink:
    """A case as field-work pages show it: enough to list and link it."""

    id: int
    number: str
    title: str
    status: str
    status_display: str
    url: str
    patrol_id: int | None = None
    household_ids: tuple[int, ...] = ()


# (user, patrol ids) → visible cases found on those patrols
PatrolReader = Callable[[object, Iterable[int]], list[CaseLink]]
# (user, household ids) → visible cases involving members of those households
HouseholdReader = Callable[[object, Iterable[int]], list[CaseLink]]
# (user, patrol, case ids) → links the cases to the patrol, or raises ValidationError
PatrolLinker = Callable[..., int]

_readers: dict[str, Callable] = {}


def register(*, patrol_cases: PatrolReader, household_cases: HouseholdReader, link_to_patrol: PatrolLinker) -> None:
    _readers.update(patrol_cases=patrol_cases, household_cases=household_cases, link_to_patrol=link_to_patrol)


def patrol_cases(user, patrol_ids: Iterable[int]) -> list[CaseLink]:
    reader = _readers.get("patrol_cases")
    return reader(user, list(patrol_ids)) if reader else []


def household_cases(user, household_ids: Iterable[int]) -> list[CaseLink]:
    reader = _readers.get("household_cases")
    return reader(user, list(household_ids)) if reader else []


def link_to_patrol(*, by, patrol, case_ids: list[int]) -> int:
    """Link already reported cases (ids) to a patrol; returns how many were linked."""
    linker = _readers.get("link_to_patrol")
    if not case_ids:
        return 0
    if linker is None:
        raise RuntimeError("no case linker registered")
    return linker(by=by, patrol=patrol, case_ids=case_ids)
