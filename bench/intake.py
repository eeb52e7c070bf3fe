"""Intake throughput: gunicorn (2 sync workers) on loopback, a pool of client threads POSTing
/api/v1/cases/ with a token, as grid workers' phones would."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .measure import percentile

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class IntakeResult:
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    first_errors: list[str] = field(default_factory=list)
    concurrency: int = 0
    workers: int = 2

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


class Server:
    """gunicorn governance.wsgi, production settings (DEBUG off), started and stopped by the bench."""

    def __init__(self, *, database_url: str, broker_url: str, secret_key: str, workers: int = 2) -> None:
        self.port = free_port()
        self.workers = workers
        self.log = tempfile.NamedTemporaryFile(prefix="bench-gunicorn-", suffix=".log", delete=False)
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="governance.settings",
            DEBUG="0",
            SECRET_KEY=secret_key,
            ALLOWED_HOSTS="127.0.0.1",
            SECURE_SSL_REDIRECT="0",
            SECURE_COOKIES="0",
            STATIC_MANIFEST="0",
            DATABASE_URL=database_url,
            CELERY_BROKER_URL=broker_url,
            LOG_LEVEL="WARNING",
        )
        self.env = env
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            "governance.wsgi",
            "-w",
            str(self.workers),
            "-b",
            f"127.0.0.1:{self.port}",
            "--timeout",
            "60",
            "--graceful-timeout",
            "5",
        ]
        self.process = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.tail()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/api/v1/me/")
                conn.getresponse().read()
                conn.close()
                return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer on port {self.port}:\n{self.tail()}")

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(Path(self.log.name).read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def request(self, method: str, path: str, body: dict | None = None, token: str | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            headers = {"Content-Type": "application/json", "Accept": "application/json"}
            if token:
                headers["Authorization"] = f"Token {token}"
            conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def token(self, username: str, password: str) -> str:
        status, body = self.request("POST", "/api/v1/auth/token/", {"username": username, "password": password})
        if status != 200:
            raise RuntimeError(f"token for {username}: HTTP {status} {body[:200]!r}")
        return json.loads(body)["token"]


def run_intake(
    server: Server, *, token: str, points: list[tuple[float, float]], seconds: float, concurrency: int
) -> IntakeResult:
    """POST cases for `seconds` from `concurrency` threads (after a short warm-up); every answer
    but 201 Created counts as an error."""
    result = IntakeResult(concurrency=concurrency, workers=server.workers)
    lock = threading.Lock()
    counter = iter(range(10**9))

    def one(measure: bool) -> None:
        i = next(counter)
        lat, lng = points[i % len(points)]
        body = {
            "category": "road_damage",
            "description": f"压测上报 {i}:路面出现坑槽,车辆绕行,存在安全隐患",
            "lat": lat,
            "lng": lng,
            "urgency": "normal",
        }
        started = time.perf_counter()
        try:
            status, payload = server.request("POST", "/api/v1/cases/", body, token)
            error = None if status == 201 else f"HTTP {status}: {payload[:200]!r}"
        except OSError as exc:
            error = f"{type(exc).__name__}: {exc}"
        elapsed = (time.perf_counter() - started) * 1000
        if measure:
            with lock:
                result.requests += 1
                result.latencies_ms.append(elapsed)
                if error:
                    result.errors += 1
                    if len(result.first_errors) < 5:
                        result.first_errors.append(error)
        elif error:
            with lock:
                result.errors += 1
                if len(result.first_errors) < 5:
                    result.first_errors.append("(warm-up) " + error)

    for _ in range(2 * concurrency):
        one(False)
    stop = time.perf_counter() + seconds

    def loop() -> None:
        while time.perf_counter() < stop:
            one(True)

    threads = [threading.Thread(target=loop, daemon=True) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.seconds = time.perf_counter() - started
    return result


def summary(result: IntakeResult) -> dict:
    lat = result.latencies_ms or [float("nan")]
    return {
        "intake_rps": round(result.rps, 1),
        "intake_errors": result.errors,
        "intake_requests": result.requests,
        "intake_p50_ms": round(percentile(lat, 50), 1),
        "intake_p95_ms": round(percentile(lat, 95), 1),
        "intake_concurrency": result.concurrency,
        "intake_workers": result.workers,
    }
