"""A real `celery worker` process on the test database, for the tests that run against the real stack.

The worker is a separate process, so it only sees what the tests commit: it needs PostgreSQL (the
in-memory SQLite test database is private to the pytest process) and a real broker (Redis).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from email import message_from_string
from email.header import decode_header, make_header
from pathlib import Path

from django.conf import settings
from django.db import connection


def real_stack_problem() -> str:
    """Why a worker cannot share this test run's database and broker, or "" when it can."""
    if connection.vendor != "postgresql":
        return "the test database is not PostgreSQL (set DATABASE_URL=postgres://…)"
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        return "the broker is not Redis (set CELERY_BROKER_URL=redis://…)"
    return ""


def wait_for(predicate: Callable[[], bool], timeout: float = 60.0) -> bool:
    """Poll another process until `predicate()` holds (this waits for a process, not for a clock)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


class Worker:
    """`celery -A governance worker --pool=solo` with the test database; emails go to files in `mail_dir`."""

    def __init__(self, mail_dir: Path, name: str, **env: str) -> None:
        """`env` overrides the worker's environment (the fault tests point it at private servers)."""
        db = settings.DATABASES["default"]
        self.mail_dir = mail_dir
        base_env = dict(
            os.environ,
            DATABASE_URL=f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
            EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
            EMAIL_FILE_PATH=str(mail_dir),
            ALLOW_DEV_SECRET_KEY="1",
        )
        env = {**base_env, **env}
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "governance",
                "worker",
                "--pool=solo",
                "-c",
                "1",
                "--loglevel=warning",
                "--without-gossip",
                "--without-mingle",
                "-n",
                f"{name}-{os.getpid()}@%h",
            ],
            env=env,
            cwd=settings.BASE_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group: a kill reaches the pool too
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def mails(self) -> str:
        """Every email the worker has sent, as one text."""
        return "".join(p.read_text(encoding="utf-8") for p in sorted(self.mail_dir.glob("*.log")))

    def emails_to(self, address: str) -> list[tuple[str, str]]:
        """(subject, body) of each email the worker sent to `address`, decoded."""
        found = []
        for raw in self.mails().split("-" * 79):
            if not raw.strip():
                continue
            message = message_from_string(raw.strip())
            if message["To"] == address:
                subject = str(make_header(decode_header(message["Subject"])))
                found.append((subject, message.get_payload(decode=True).decode(message.get_content_charset())))
        return found

    def kill(self) -> None:
        """SIGKILL, as the OOM killer or a lost machine would: no cleanup, no ack, no rollback message."""
        os.killpg(self.process.pid, 9)
        self.process.wait(20)

    def stop(self) -> str:
        """Stop the worker (its database connections close with it) and return what it printed."""
        self.process.terminate()
        try:
            output, _ = self.process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            output, _ = self.process.communicate()
        return output or ""


def purge_queue() -> None:
    """Drop messages earlier tests left in the broker: they name rows those tests rolled back."""
    from governance.celery import app

    app.control.purge()
