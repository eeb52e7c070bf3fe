"""The app as the README's scale-out section runs it, for the journeys with E2E_PRODUCTION=1.

`collectstatic` into a temporary STATIC_ROOT with the manifest storage (WhiteNoise serves the
hashed files), gunicorn (`governance.wsgi`) with DEBUG off, a real SECRET_KEY and ALLOWED_HOSTS,
and a Celery worker with beat (prefork, as `bin/run-all` starts it), all on this run's test
database and Redis. TLS is the proxy's job, so SECURE_SSL_REDIRECT is off; the cookies stay Secure
(Chromium accepts Secure cookies from http://127.0.0.1, a trustworthy origin). A template that
names a static file the manifest does not have, or a page that only works with DEBUG on, fails
the journey that opens it.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings

from tests.worker import Worker, run_database_url, wait_for

PRODUCTION = os.environ.get("E2E_PRODUCTION") == "1"
# What the test run sets for itself (tests/pytest_env.py, tests/e2e/conftest.py) and production must not inherit.
_TEST_ONLY = (
    "ALLOW_DEV_SECRET_KEY",
    "STATIC_MANIFEST",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "DEBUG",
    "CELERY_TASK_ALWAYS_EAGER",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ProductionStack:
    """collectstatic, gunicorn and a worker with beat; `url` is where the browser goes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.static_root = root / "static"
        self.media_root = root / "media"
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = root / "gunicorn.log"
        env = {k: v for k, v in os.environ.items() if k not in _TEST_ONLY}
        env.update(
            DEBUG="0",
            SECRET_KEY=secrets.token_urlsafe(50),
            ALLOWED_HOSTS="127.0.0.1,localhost",
            SECURE_SSL_REDIRECT="0",
            STATIC_ROOT=str(self.static_root),
            MEDIA_ROOT=str(self.media_root),
            VAR_DIR=str(root / "var"),
            DATABASE_URL=run_database_url(),
            CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
            EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
            EMAIL_FILE_PATH=str(root / "mail"),
        )
        self.env = env
        self.gunicorn: subprocess.Popen | None = None
        self.worker: Worker | None = None

    def _manage(self, *args: str) -> None:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            env=self.env,
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/accounts/login/", timeout=5) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def start(self) -> None:
        self._manage("check", "--deploy", "--fail-level", "ERROR")
        self._manage("collectstatic", "--noinput", "--verbosity", "0")
        if not (self.static_root / "staticfiles.json").is_file():
            raise RuntimeError("collectstatic wrote no manifest (staticfiles.json): the manifest storage is not on")
        # As the README's scale-out section and bin/run-all start them.
        with self.log.open("w") as log:
            self.gunicorn = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "governance.wsgi",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    "2",
                    "--threads",
                    "4",
                    "--graceful-timeout",
                    "3",
                    "--keep-alive",
                    "1",
                    "--log-level",
                    "warning",
                ],
                env=self.env,
                cwd=settings.BASE_DIR,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.worker = Worker(
            self.root / "worker-mail",
            name="e2e-production",
            env=self.env,
            pool=("--concurrency=2", "--beat", "--schedule", str(self.root / "celerybeat-schedule")),
        )
        if not wait_for(lambda: self.gunicorn.poll() is not None or self._answers(), 90) or not self._answers():
            raise RuntimeError(f"gunicorn did not answer at {self.url}:\n{self.output()[-3000:]}")
        from governance.celery import app

        if not wait_for(lambda: not self.worker.alive() or bool(app.control.ping(timeout=0.5)), 60):
            raise RuntimeError(f"the Celery worker did not start:\n{self.worker.stop()[-3000:]}")
        if not self.worker.alive():
            raise RuntimeError(f"the Celery worker exited:\n{self.worker.stop()[-3000:]}")

    def _workers(self) -> set[int]:
        """The pids of gunicorn's worker processes (children of the master)."""
        master = str(self.gunicorn.pid)
        found = set()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[1] == master and fields[0] != "Z":
                found.add(int(entry.name))
        return found

    def reload(self) -> None:
        """Fresh gunicorn workers (SIGHUP), as after a deployment. Each test flushes and reseeds the
        test database, which gives the content types and permissions new ids; a worker process that
        outlived that would look them up under the old ones (Django caches content types per
        process), which no real deployment ever sees."""
        old = self._workers()
        self.gunicorn.send_signal(signal.SIGHUP)
        ready = wait_for(lambda: not (self._workers() & old) and len(self._workers()) >= 2 and self._answers(), 60)
        if not ready:
            raise RuntimeError(f"gunicorn did not reload its workers:\n{self.output()[-3000:]}")

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def stop(self) -> str:
        """Stop gunicorn and the worker (their database connections close with them); their output."""
        worker_output = self.worker.stop() if self.worker else ""
        if self.gunicorn is not None and self.gunicorn.poll() is None:
            self.gunicorn.terminate()
            try:
                self.gunicorn.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.gunicorn.kill()
                self.gunicorn.wait()
        return f"--- gunicorn ---\n{self.output()}\n--- worker ---\n{worker_output}"
