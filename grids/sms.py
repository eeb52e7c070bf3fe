"""SMS through an adapter: no provider is hard-coded. Set SMS_BACKEND to a class with `send()`."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


class SmsBackend:
    def send(self, phone: str, text: str) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class ConsoleSmsBackend(SmsBackend):
    """Development: write the message to the log."""

    def send(self, phone: str, text: str) -> None:
        log.info("SMS to %s: %s", phone, text)


class LocmemSmsBackend(SmsBackend):
    """Tests: keep the messages in memory."""

    outbox: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        LocmemSmsBackend.outbox.append((phone, text))


def get_backend() -> SmsBackend:
    return import_string(settings.SMS_BACKEND)()
