"""Thin tasks: take ids, call a service, safe to run twice."""

from celery import shared_task
from django.conf import settings

from .mediation.sweep import sweep_disputes
from .sweep import sweep_deadlines as run_sweep


@shared_task(acks_late=True)
def sweep_deadlines() -> str:
    """The beat runs this every minute; concurrent runs take disjoint rows and raise each alert once."""
    return f"{run_sweep(batch_size=settings.SWEEP_BATCH_SIZE)}; {sweep_disputes()}"


@shared_task(bind=True, acks_late=True, max_retries=4, default_retry_delay=60)
def send_resident_sms(self, sms_id: int) -> str:
    """The SMS to a resident at acceptance or closure (claimed before sending: sent once)."""
    from .resident_sms import send

    try:
        return send(sms_id)
    except Exception as exc:
        raise self.retry(exc=exc) from exc
