"""Thin tasks: take ids, call a service, safe to run twice."""

from celery import shared_task

from .mediation.sweep import sweep_disputes
from .sweep import sweep_deadlines as run_sweep


@shared_task(acks_late=True)
def sweep_deadlines() -> str:
    """The beat runs this every minute; concurrent runs take disjoint rows and raise each alert once."""
    return f"{run_sweep()}; {sweep_disputes()}"
