"""The transactional outbox: tasks are recorded with the change that causes them and published
after commit. A broker outage leaves rows behind; `drain()` publishes them when it is back."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import OutboxMessage

log = logging.getLogger(__name__)
BATCH = 500


def enqueue(task: str, *args, available_at=None) -> int:
    """Record one task to run; it is published once the current transaction commits."""
    return enqueue_many(task, [list(args)], available_at=available_at)[0]


def enqueue_many(task: str, args_list: list[list], available_at=None) -> list[int]:
    """Record many tasks in one insert; published together after commit."""
    when = available_at or timezone.now()
    rows = OutboxMessage.objects.bulk_create(
        [OutboxMessage(task=task, args=list(args), available_at=when) for args in args_list]
    )
    ids = [r.pk for r in rows if r.pk]
    if when <= timezone.now() and ids:
        transaction.on_commit(lambda: publish_many(ids))
    return ids


def publish_many(ids: list[int]) -> int:
    """Publish rows claimed with one UPDATE; rows the broker refused are put back with one UPDATE."""
    now = timezone.now()
    claimed = list(OutboxMessage.objects.filter(pk__in=ids, published_at__isnull=True).values_list("pk", flat=True))
    OutboxMessage.objects.filter(pk__in=claimed, published_at__isnull=True).update(
        published_at=now, attempts=F("attempts") + 1
    )
    messages = OutboxMessage.objects.filter(pk__in=claimed, published_at=now)
    failed: list[int] = []
    error = ""
    sent = 0
    for message in messages:
        if failed:
            failed.append(message.pk)
            continue
        try:
            _send(message)
            sent += 1
        except Exception as exc:  # noqa: BLE001 - the broker is down: keep the rest for the next drain
            error = str(exc)[:300]
            failed.append(message.pk)
    if failed:
        log.warning("broker unavailable, %d task(s) kept in the outbox: %s", len(failed), error)
        OutboxMessage.objects.filter(pk__in=failed).update(
            published_at=None, last_error=error, available_at=now + timedelta(seconds=30)
        )
    return sent


def _send(message: OutboxMessage) -> None:
    from governance.celery import app

    app.send_task(message.task, args=message.args, retry=False)


def drain(now=None, limit: int = BATCH) -> int:
    """Publish what is due in the outbox (the sweep calls this). Returns how many were published."""
    now = now or timezone.now()
    ids = list(
        OutboxMessage.objects.filter(published_at__isnull=True, available_at__lte=now)
        .order_by("available_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    return publish_many(ids) if ids else 0
