"""SMS to a resident who left a phone on the public report page: at acceptance and at closure.

The services queue it inside their transaction (one unique row per case and moment, and an outbox
task published after commit); the task claims the row with a conditional UPDATE before sending, so
a re-run or a second worker sends nothing twice. The text is a message key rendered in the site's
language when it is sent.
"""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from grids import outbox
from grids.messages import render
from grids.sms import get_backend

from .messages import RESIDENT_SMS_KEYS
from .models import Case, CaseContact, ResidentSms

TASK = "disputes.tasks.send_resident_sms"


def queue(case: Case, moment: str) -> ResidentSms | None:
    """Queue the SMS of `moment` ("accepted" or "closed") if the resident asked to hear back."""
    contact = CaseContact.objects.filter(case=case, sms=True).exclude(phone="").first()
    if contact is None:
        return None
    try:
        with transaction.atomic():
            sms = ResidentSms.objects.create(
                case=case,
                moment=moment,
                key=RESIDENT_SMS_KEYS[moment],
                params={"number": case.number, "code": contact.tracking_code or ""},
            )
    except IntegrityError:
        return None  # already told (a reopened case closes again without a second SMS)
    outbox.enqueue(TASK, sms.pk)
    return sms


def send(sms_id: int) -> str:
    """Claim and send one queued SMS. Safe to run twice."""
    now = timezone.now()
    if not ResidentSms.objects.filter(pk=sms_id, sent_at__isnull=True).update(sent_at=now):
        return "already sent"
    sms = ResidentSms.objects.select_related("case__contact").get(pk=sms_id)
    with translation.override(settings.LANGUAGE_CODE):
        text = render(sms.key, sms.params)
    try:
        get_backend().send(sms.case.contact.phone, text)
    except Exception:
        ResidentSms.objects.filter(pk=sms_id, sent_at=now).update(sent_at=None)  # release for a retry
        raise
    return "sent"
