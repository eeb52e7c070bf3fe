"""Pagination for long lists: the total is counted only up to a cap, so page 1 of a list with a
million rows costs what page 1 of a list with ten thousand does."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property

COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """A Paginator whose `count` stops at `cap` + 1; `capped` says the list is longer than `cap`.

    Pages past the cap are not offered: past ten thousand rows a filter finds things faster than paging.
    """

    def __init__(self, object_list, per_page, *, cap: int | None = None, **kwargs) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.cap = COUNT_CAP if cap is None else cap

    @cached_property
    def _counted(self) -> int:
        # COUNT over a LIMITed subquery, unordered (an ORDER BY would sort every matching row to
        # find the first cap + 1): reads at most cap + 1 index entries.
        items = self.object_list
        if isinstance(items, QuerySet):
            if not items.query.is_sliced:
                items = items.order_by().values("pk")
            return items[: self.cap + 1].count()
        return len(items[: self.cap + 1])

    @cached_property
    def capped(self) -> bool:
        return self._counted > self.cap

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.cap)


# A tab's badge counts up to this many; past it the badge reads "999+" (a badge is a hint of how
# much waits, not a total: the list's own total counts up to COUNT_CAP).
BADGE_CAP = 999


def capped_counts(querysets: dict[str, QuerySet], cap: int | None = None) -> dict[str, int]:
    """Each queryset's row count, up to `cap` + 1 (default BADGE_CAP), in one statement (one round
    trip for a page's tabs): `SELECT (SELECT count(*) FROM (… LIMIT cap + 1)), …`. Every count
    stops after cap + 1 rows, so a badge costs about the same at a thousand cases and at a million.

    A value above `cap` means "more than cap" (see `badge`)."""
    cap = BADGE_CAP if cap is None else cap
    if not querysets:
        return {}
    names = list(querysets)
    parts: list[str] = []
    params: list = []
    alias = None
    for name in names:
        # In the list's own order: the index that serves the list (newest first) then also finds
        # the first cap + 1 rows of a big tab without reading the rest.
        qs = querysets[name].values("pk")[: cap + 1]
        alias = alias or qs.db
        sql, sql_params = qs.query.sql_with_params()
        parts.append(f"(SELECT count(*) FROM ({sql}) AS c{len(parts)})")
        params.extend(sql_params)
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return dict(zip(names, (int(v) for v in row), strict=True))


def badge(count: int, cap: int | None = None) -> str:
    """A badge's text: the count, or "999+" past the cap (default BADGE_CAP)."""
    cap = BADGE_CAP if cap is None else cap
    return f"{cap}+" if count > cap else str(count)
