"""Private server processes for the fault tests: a Redis and a PostgreSQL cluster of their own, that a
test may stop, kill and restart, and the app's processes (gunicorn, a Celery worker) pointed at them.

The machine's shared Redis (6379) and PostgreSQL (5432) are never touched: every server here listens
on a free port of its own and is stopped at the end of its test.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from glob import glob
from pathlib import Path

import pytest
from django.conf import settings

from tests.worker import wait_for


def required() -> bool:
    """In CI a fault test that cannot run is a failure, not a skip."""
    return os.environ.get("FAULTS_REQUIRED") == "1" or os.environ.get("E2E_REQUIRED") == "1"


def unavailable(reason: str) -> None:
    if required():
        pytest.fail(f"{reason} — FAULTS_REQUIRED/E2E_REQUIRED is set, so this is a failure.", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def shared_database_url() -> str:
    """The pytest run's (PostgreSQL) test database, for the processes that share it."""
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _stop(process: subprocess.Popen, sig=signal.SIGTERM, timeout: float = 20) -> str:
    if process.poll() is None:
        process.send_signal(sig)
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output or ""


class PrivateRedis:
    """`redis-server` on a free port, without persistence: a restart starts empty."""

    def __init__(self) -> None:
        if not shutil.which("redis-server"):
            unavailable("redis-server is not installed")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if not wait_for(self.up, 20):
            raise RuntimeError(f"private redis-server did not start on port {self.port}")

    def up(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        """Gone at once, and with it everything it held (no persistence)."""
        if self.process is not None:
            _stop(self.process, signal.SIGKILL)
            self.process = None
        assert wait_for(lambda: not self.up(), 10)

    def stop(self) -> None:
        self.kill()


class PrivatePostgres:
    """A PostgreSQL cluster of its own (initdb into a temporary folder owned by `postgres`)."""

    def __init__(self) -> None:
        bins = sorted(glob("/usr/lib/postgresql/*/bin/initdb"))
        if not bins:
            unavailable("PostgreSQL's initdb is not installed (/usr/lib/postgresql/*/bin)")
        self.bin = Path(bins[-1]).parent
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="faults-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self._as_postgres = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            self._as_postgres = ["runuser", "-u", "postgres", "--"]
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8")
        self.options = (
            f"-p {self.port} -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=40 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        self.start()

    def _run(self, *args: str) -> None:
        result = subprocess.run([*self._as_postgres, *args], capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed: {result.stdout}{result.stderr}")

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def ctl(self, *action: str) -> None:
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", self.options, "-l", str(self.log), "-w", *action
        )

    def start(self) -> None:
        self.ctl("start")

    def stop(self) -> None:
        self.ctl("-m", "fast", "stop")

    def up(self) -> bool:
        return (
            subprocess.run(
                [str(self.bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"], capture_output=True
            ).returncode
            == 0
        )

    def copy_database(self, source_url: str, name: str) -> None:
        """The test database (schema and committed rows) copied into this cluster."""
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        dump = subprocess.Popen([str(self.bin / "pg_dump"), "--no-owner", source_url], stdout=subprocess.PIPE)
        restore = subprocess.run(
            [str(self.bin / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "-o", "/dev/null", self.url(name)],
            stdin=dump.stdout,
            capture_output=True,
            text=True,
            timeout=120,
        )
        dump.stdout.close()
        if dump.wait(60) != 0 or restore.returncode != 0:
            raise RuntimeError(f"copying the test database failed: {restore.stderr[-2000:]}")

    def destroy(self) -> None:
        if self.up():
            subprocess.run(
                [*self._as_postgres, str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
                capture_output=True,
                timeout=60,
            )
        shutil.rmtree(self.dir, ignore_errors=True)


def app_env(*, database_url: str, broker_url: str, **extra: str) -> dict[str, str]:
    """The environment of an app process (web server or worker) on the given servers."""
    return dict(
        os.environ,
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=broker_url,
        ALLOW_DEV_SECRET_KEY="1",
        DEBUG="0",
        STATIC_MANIFEST="0",
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        **extra,
    )


class WebServer:
    """gunicorn serving the app, as the README's production line does (workers × threads)."""

    def __init__(self, env: dict[str, str], *, workers: int = 1, threads: int = 8) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.process = subprocess.Popen(
            [
                str(gunicorn),
                "governance.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--timeout",
                "60",
                "--graceful-timeout",
                "3",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=settings.BASE_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        import requests

        def answers() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.process.communicate()[0][-3000:]}")
            try:
                return requests.get(f"{self.url}/api/v1/", timeout=5).status_code < 500
            except requests.RequestException:
                return False

        if not wait_for(answers, 60):
            raise RuntimeError(f"gunicorn did not answer: {self.stop()[-3000:]}")

    def stop(self) -> str:
        return _stop(self.process)


def token_for(user) -> str:
    """A real API token (knox) for `user`, committed so the other processes see it."""
    from knox.models import AuthToken

    _instance, token = AuthToken.objects.create(user)
    return token


def send_task(broker_url: str, name: str) -> None:
    """Put one task on the private broker, as the beat would. (The connection is explicit: Celery
    prefers a CELERY_BROKER_URL in the environment to the app's own broker.)"""
    from celery import Celery

    with Celery("faults", set_as_current=False) as app, app.connection_for_write(broker_url) as conn:
        app.send_task(name, connection=conn, retry=True, retry_policy={"max_retries": 3})


def elapsed(since: float) -> float:
    return time.monotonic() - since
