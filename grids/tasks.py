"""Thin tasks: take ids, call a service, safe to run twice."""

from celery import shared_task

from . import notifications


@shared_task(bind=True, acks_late=True, max_retries=4, default_retry_delay=60)
def deliver(self, delivery_id: int) -> str:
    try:
        return notifications.deliver(delivery_id)
    except Exception as exc:
        raise self.retry(exc=exc) from exc
