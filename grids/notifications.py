"""Notifications: recorded in-app for every recipient, delivered by email and SMS through the outbox.

Callers decide when a message may go out (`deliver_after`): the workflow defers non-urgent messages
raised outside working hours to the next working morning.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation

from . import outbox
from .models import Channel, Delivery, DeliveryStatus, Notification, User
from .sms import get_backend

log = logging.getLogger(__name__)
DELIVER_TASK = "grids.tasks.deliver"
MAX_ATTEMPTS = 5
# A delivery claimed ("sending") longer than this belongs to a worker that died: it is taken again.
SENDING_TIMEOUT = timedelta(minutes=10)
# A delivery whose task was queued longer ago than this and still waits lost its task.
REQUEUE_AFTER = timedelta(minutes=5)


@dataclass
class Message:
    """One notification for some recipients. New code passes `key` and `params` (a message declared
    with `grids.messages.define`), rendered in each reader's language when read; `title` and `body`
    are the legacy stored text, shown only when there is no key."""

    recipients: Iterable[User]
    kind: str
    title: str = ""
    body: str = ""
    url: str = ""
    deliver_after: datetime | None = None
    dedupe_key: str = ""
    key: str = ""
    params: dict = field(default_factory=dict)


@transaction.atomic
def notify_many(messages: list[Message]) -> list[Notification]:
    """Record notifications for many messages at once (a constant number of queries), and queue
    their email/SMS deliveries through the outbox. With a `dedupe_key`, a recipient never gets the
    same notification twice."""
    now = timezone.now()
    rows: list[Notification] = []
    users: dict[int, User] = {}
    keys = {m.dedupe_key for m in messages if m.dedupe_key}
    already = set()
    if keys:
        already = set(Notification.objects.filter(dedupe_key__in=keys).values_list("recipient_id", "dedupe_key"))
    for m in messages:
        for u in m.recipients:
            if u is None or not u.is_active or (u.pk, m.dedupe_key) in already:
                continue
            if m.dedupe_key:
                already.add((u.pk, m.dedupe_key))
            users[u.pk] = u
            rows.append(
                Notification(
                    recipient=u,
                    kind=m.kind,
                    title=m.title[:200],
                    body=m.body,
                    key=m.key,
                    params=m.params,
                    url=m.url[:200],
                    dedupe_key=m.dedupe_key,
                    created_at=now,
                    deliver_after=m.deliver_after or now,
                )
            )
    if not rows:
        return []
    created = Notification.objects.bulk_create(rows)
    deliveries = []
    for n in created:
        user = users[n.recipient_id]
        if user.email:
            deliveries.append(Delivery(notification=n, channel=Channel.EMAIL, queued_at=n.deliver_after))
        if user.phone:
            deliveries.append(Delivery(notification=n, channel=Channel.SMS, queued_at=n.deliver_after))
    if deliveries:
        Delivery.objects.bulk_create(deliveries)
        by_time: dict[datetime, list[int]] = {}
        for d in deliveries:
            by_time.setdefault(d.notification.deliver_after, []).append(d.pk)
        for when, ids in by_time.items():
            outbox.enqueue_many(DELIVER_TASK, [[i] for i in ids], available_at=when)
    return created


def notify(
    *,
    recipients: Iterable[User],
    kind: str,
    key: str = "",
    params: dict | None = None,
    title: str = "",
    body: str = "",
    url: str = "",
    deliver_after: datetime | None = None,
    dedupe_key: str = "",
) -> list[Notification]:
    """Record one notification per recipient and queue its email/SMS deliveries. Pass a message
    `key` and `params` (see `grids.messages`); `title`/`body` are free text only for words a person
    wrote, never a sentence the code composed."""
    return notify_many(
        [
            Message(
                list(recipients),
                kind,
                title=title,
                body=body,
                url=url,
                deliver_after=deliver_after,
                dedupe_key=dedupe_key,
                key=key,
                params=params or {},
            )
        ]
    )


def inbox(user: User):
    """The user's notifications that are due (deferred ones appear in the morning)."""
    return Notification.objects.filter(recipient=user, deliver_after__lte=timezone.now())


def unread_count(user: User) -> int:
    return inbox(user).filter(read_at__isnull=True).count()


def _sendable(now: datetime) -> Q:
    """Waiting to be sent: pending, failed with attempts left, or claimed by a worker that died."""
    return (
        Q(status=DeliveryStatus.PENDING)
        | Q(status=DeliveryStatus.FAILED, attempts__lt=MAX_ATTEMPTS)
        | Q(status=DeliveryStatus.SENDING, claimed_at__lt=now - SENDING_TIMEOUT, attempts__lt=MAX_ATTEMPTS)
    )


def requeue_stale(now: datetime | None = None, limit: int = 1000) -> int:
    """Queue again the deliveries whose task was lost: still waiting `REQUEUE_AFTER` after their
    task was queued (a broker restarted empty, a worker killed mid-send). Each is queued once per
    `REQUEUE_AFTER`, and `deliver` claims it conditionally, so it is sent once."""
    now = now or timezone.now()
    stale = list(
        Delivery.objects.filter(_sendable(now), queued_at__lt=now - REQUEUE_AFTER)
        .order_by("queued_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    if not stale:
        return 0
    with transaction.atomic():
        # Conditional: of two relays at once, only one queues each delivery.
        taken = Delivery.objects.filter(pk__in=stale, queued_at__lt=now - REQUEUE_AFTER).update(queued_at=now)
        if taken:
            ids = list(Delivery.objects.filter(pk__in=stale, queued_at=now).values_list("pk", flat=True))
            outbox.enqueue_many(DELIVER_TASK, [[i] for i in ids], available_at=now)
    return taken


def deliver(delivery_id: int) -> str:
    """Send one delivery. Claimed with a conditional UPDATE, so two workers never both send it;
    a failure puts it back for a retry, up to MAX_ATTEMPTS; a claim older than SENDING_TIMEOUT (the
    worker died mid-send) is taken again."""
    now = timezone.now()
    claimed = Delivery.objects.filter(_sendable(now), pk=delivery_id).update(
        status=DeliveryStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return "skipped"
    delivery = Delivery.objects.select_related("notification__recipient").get(pk=delivery_id)
    n = delivery.notification
    try:
        # Rendered now, in the site's language (the recipient reads it outside any request).
        with translation.override(settings.LANGUAGE_CODE):
            title, body = n.display_title, n.display_body
        if delivery.channel == Channel.EMAIL:
            send_mail(title, f"{body}\n\n{n.url}".strip(), settings.DEFAULT_FROM_EMAIL, [n.recipient.email])
        else:
            get_backend().send(n.recipient.phone, f"{title} {body}".strip()[:300])
    except Exception as exc:
        Delivery.objects.filter(pk=delivery_id).update(status=DeliveryStatus.FAILED, last_error=str(exc)[:300])
        raise
    Delivery.objects.filter(pk=delivery_id).update(status=DeliveryStatus.SENT, sent_at=timezone.now())
    return "sent"
