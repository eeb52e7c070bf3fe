"""The cache as an optimisation only: every read falls back to computing the value when the cache
(Redis) is out of reach, and every forget is best-effort, so a page never fails because Redis did.

An entry a failed forget could not reach lives out its timeout (minutes), which is why only slow-
moving figures are cached this way (area choices, a population)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache

log = logging.getLogger(__name__)
T = TypeVar("T")


def remember(key: str, compute: Callable[[], T], seconds: int) -> T:
    """`cache.get_or_set`, or `compute()` when the cache cannot be reached."""
    try:
        return cache.get_or_set(key, compute, seconds)
    except Exception as exc:  # noqa: BLE001 - any cache failure: compute instead
        log.warning("cache unavailable, computing %s: %s", key.split(":")[0], exc)
        return compute()


def version(key: str) -> int:
    """A version number kept in the cache (1 when unset, 0 when the cache cannot be reached)."""
    try:
        return cache.get_or_set(key, 1, None)
    except Exception as exc:  # noqa: BLE001
        log.warning("cache unavailable, no version for %s: %s", key, exc)
        return 0


def bump(key: str) -> None:
    """Move a version on, so every entry keyed with the old one is no longer read."""
    try:
        try:
            cache.incr(key)
        except ValueError:  # not set yet
            cache.set(key, 2, None)
    except Exception as exc:  # noqa: BLE001
        log.warning("cache unavailable, %s not moved on: %s", key, exc)


def forget(keys: list[str]) -> None:
    try:
        cache.delete_many(keys)
    except Exception as exc:  # noqa: BLE001
        log.warning("cache unavailable, %d entries not forgotten: %s", len(keys), exc)
