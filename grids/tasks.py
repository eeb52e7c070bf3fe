"""Thin tasks: take ids, call a service, safe to run twice."""

from celery import shared_task

from . import notifications, outbox


@shared_task(bind=True, acks_late=True, max_retries=4, default_retry_delay=60)
def deliver(self, delivery_id: int) -> str:
    try:
        return notifications.deliver(delivery_id)
    except Exception as exc:
        raise self.retry(exc=exc) from exc


@shared_task
def relay() -> str:
    """The beat runs this every minute: deliveries whose task was lost are queued again, and the
    outbox is drained (tasks the broker refused, and claims abandoned by a dead publisher)."""
    requeued = notifications.requeue_stale()
    published = outbox.drain()
    return f"requeued={requeued} published={published}"
