"""Pagination for long lists: the total is counted only up to a cap, so page 1 of a list with a
million rows costs what page 1 of a list with ten thousand does."""

from __future__ import annotations

from django.core.paginator import Paginator
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
        # COUNT over a LIMITed subquery: reads at most cap + 1 index entries.
        return self.object_list[: self.cap + 1].count()

    @cached_property
    def capped(self) -> bool:
        return self._counted > self.cap

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.cap)
