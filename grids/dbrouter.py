"""The read-replica router: dashboards and reports read from a PostgreSQL streaming replica, and
nothing else does; writes never go there.

With `DATABASE_REPLICA_URL` set, settings add a `replica` database. Code that may read slightly
old data (a dashboard, a report's figures) runs its reads `with replica_reads():` (or under the
`@replica_reads()` decorator); every other read, and every write, locking read (`select_for_update`)
and migration, goes to `default`. Work that must read what it is about to write inside a replica
block (the roll-up computing a stale day, `disputes.stats.ensure`) opts back out with
`primary_reads()`. Without a replica configured, all of this is a no-op.
"""

from __future__ import annotations

from contextlib import ContextDecorator
from contextvars import ContextVar

from django.conf import settings

REPLICA = "replica"
_reads_from: ContextVar[str | None] = ContextVar("reads_from", default=None)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


class _ReadsFrom(ContextDecorator):
    def __init__(self, alias: str | None) -> None:
        self.alias = alias
        self.tokens = []

    def _recreate_cm(self):  # a fresh instance per decorated call: safe across threads
        return _ReadsFrom(self.alias)

    def __enter__(self):
        self.tokens.append(_reads_from.set(self.alias))
        return self

    def __exit__(self, *exc) -> None:
        _reads_from.reset(self.tokens.pop())


def replica_reads() -> _ReadsFrom:
    """Reads inside go to the replica (when one is configured)."""
    return _ReadsFrom(REPLICA)


def primary_reads() -> _ReadsFrom:
    """Reads inside go to the primary again, even within `replica_reads()`."""
    return _ReadsFrom(None)


class ReplicaRouter:
    """DATABASE_ROUTERS entry: reads to the replica only inside `replica_reads()`; writes,
    relations and migrations always on `default`."""

    def db_for_read(self, model, **hints):
        if _reads_from.get() == REPLICA and replica_configured():
            return REPLICA
        return "default"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica is a copy of the primary: the same rows

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
