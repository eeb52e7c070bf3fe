"""The transactional outbox: tasks are recorded with the change that causes them and published
after commit. A broker outage leaves rows behind; `drain()` publishes them when it is back.

Claim, publish, then mark: a row is first claimed (`claimed_at`, a conditional UPDATE, so two
publishers never both take it), handed to the broker, and only then marked `published_at`. A
publisher that dies between the claim and the mark leaves a claim behind; once older than
`CLAIM_TIMEOUT` it is claimed again, so a task may be published twice but is never lost (tasks are
idempotent: they claim their own work).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from celery import current_app
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import OutboxMessage

log = logging.getLogger(__name__)
BATCH = 500
CLAIM_TIMEOUT = timedelta(minutes=5)
RETRY_AFTER = timedelta(seconds=30)
# After the broker refused a publish, the requests of this process leave their tasks to the relay
# for this long instead of each waiting out a connection attempt (seconds per request while Redis is
# down). The relay and the sweep drain on their own schedule and always try.
BROKER_PAUSE = RETRY_AFTER
_broker_refused_at: datetime | None = None


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
        transaction.on_commit(lambda: publish_after_commit(ids))
    return ids


def publish_after_commit(ids: list[int]) -> int:
    """Publish a request's tasks at once, unless the broker refused a publish less than
    `BROKER_PAUSE` ago: then the rows stay due in the outbox for the relay's next drain."""
    refused = _broker_refused_at
    if refused is not None and timezone.now() - refused < BROKER_PAUSE:
        return 0
    return publish_many(ids)


def broker_refused(at: datetime | None) -> None:
    """Record (or clear, with None) this process's last refused publish."""
    global _broker_refused_at
    _broker_refused_at = at


def _claimable(now: datetime) -> Q:
    """Unpublished, and not claimed by a publisher that may still be at work."""
    return Q(published_at__isnull=True) & (Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT))


def publish_many(ids: list[int], now: datetime | None = None) -> int:
    """Claim the rows with one UPDATE, hand them to the broker, then mark the ones it took as
    published with one UPDATE; the ones it refused are released for a later drain."""
    now = now or timezone.now()
    OutboxMessage.objects.filter(_claimable(now), pk__in=ids).update(claimed_at=now, attempts=F("attempts") + 1)
    # Our claim: the rows whose claim carries exactly this moment.
    messages = list(OutboxMessage.objects.filter(pk__in=ids, published_at__isnull=True, claimed_at=now))
    sent: list[int] = []
    failed: list[int] = []
    error = ""
    for message in messages:
        if failed:
            failed.append(message.pk)
            continue
        try:
            _send(message)
            sent.append(message.pk)
        except Exception as exc:  # noqa: BLE001 - the broker is down: keep the rest for the next drain
            error = str(exc)[:300]
            failed.append(message.pk)
    if sent:
        OutboxMessage.objects.filter(pk__in=sent, claimed_at=now).update(published_at=timezone.now())
        broker_refused(None)
    if failed:
        broker_refused(timezone.now())
        log.warning("broker unavailable, %d task(s) kept in the outbox: %s", len(failed), error)
        OutboxMessage.objects.filter(pk__in=failed, claimed_at=now).update(
            claimed_at=None, last_error=error, available_at=now + RETRY_AFTER
        )
    return len(sent)


def _send(message: OutboxMessage) -> None:
    # The project's Celery app, without importing the project (grids imports no app above it).
    current_app.send_task(message.task, args=message.args, retry=False)


def drain(now=None, limit: int = BATCH) -> int:
    """Publish what is due in the outbox, including claims abandoned for longer than
    `CLAIM_TIMEOUT` (the sweep and the relay call this). Returns how many were published."""
    now = now or timezone.now()
    ids = list(
        OutboxMessage.objects.filter(_claimable(now), available_at__lte=now)
        .order_by("available_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    return publish_many(ids, now) if ids else 0
