"""Moving the clock in tests: moments in China Standard Time, and a frozen clock at one of them."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine

TZ = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    """'2026-11-16 09:00' → that moment in Asia/Shanghai."""
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@contextmanager
def clock(text: str) -> Iterator[None]:
    """Freeze the clock at `text` (Asia/Shanghai) for the block."""
    with time_machine.travel(at(text), tick=False):
        yield
