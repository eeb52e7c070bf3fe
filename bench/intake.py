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
    result.client = "python"
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


WRK_SCRIPT = r"""
local points = {%(points)s}
local threads = {}
counter, created, failed = 0, 0, 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
wrk.headers["Authorization"] = "Token %(token)s"

function setup(thread)
  thread:set("offset", #threads * 1000000)
  table.insert(threads, thread)
end

function request()
  counter = counter + 1
  local p = points[(counter %% #points) + 1]
  local body = string.format(
    '{"category":"road_damage","description":"压测上报 %%d:路面出现坑槽,车辆绕行,存在安全隐患","lat":%%.9f,"lng":%%.9f,"urgency":"normal"}',
    offset + counter, p[1], p[2])
  return wrk.format(nil, "/api/v1/cases/", nil, body)
end

function response(status, headers, body)
  if status == 201 then created = created + 1 else failed = failed + 1 end
end

function done(summary, latency, requests)
  local c, f = 0, 0
  for _, t in ipairs(threads) do c = c + t:get("created"); f = f + t:get("failed") end
  local e = summary.errors
  io.write(string.format("BENCH %%d %%d %%d %%d %%d %%d %%d\n", summary.requests, c, f,
    e.connect + e.read + e.write + e.timeout, summary.duration,
    latency:percentile(50), latency:percentile(95)))
end
"""


def wrk_path() -> str | None:
    import shutil

    return shutil.which("wrk")


def run_intake_wrk(
    server: Server, *, token: str, points: list[tuple[float, float]], seconds: float, concurrency: int
) -> IntakeResult:
    """The same load from `wrk` (compiled, two threads, `concurrency` connections), so the client
    does not take the server's cores: every answer but 201 Created, and every socket error, is an
    error. Latencies: wrk's p50/p95 (its histogram is not exported sample by sample)."""
    result = IntakeResult(concurrency=concurrency, workers=server.workers)
    for i in range(2 * server.workers):  # warm-up, not counted: the routing index, the first queries
        lat, lng = points[i % len(points)]
        body = {"category": "road_damage", "description": f"压测预热 {i}", "lat": lat, "lng": lng, "urgency": "normal"}
        status, payload = server.request("POST", "/api/v1/cases/", body, token)
        if status != 201:
            result.first_errors.append(f"(warm-up) HTTP {status}: {payload[:200]!r}")
    lua = WRK_SCRIPT % {
        "points": ", ".join(f"{{{lat:.9f}, {lng:.9f}}}" for lat, lng in points),
        "token": token,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False, encoding="utf-8") as f:
        f.write(lua)
    try:
        out = subprocess.run(
            [
                wrk_path(),
                "-t",
                "2",
                "-c",
                str(concurrency),
                "-d",
                f"{seconds:g}s",
                "--timeout",
                "30s",
                "-s",
                f.name,
                f"http://127.0.0.1:{server.port}/",
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 120,
        )
    finally:
        os.unlink(f.name)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no summary: {out.stdout[-500:]} {out.stderr[-500:]}")
    requests, created, failed, socket_errors, duration_us, p50_us, p95_us = (int(v) for v in line.split()[1:])
    result.requests = requests
    result.errors = failed + socket_errors
    result.seconds = duration_us / 1e6
    result.latencies_ms = []
    result.wrk_p50_ms, result.wrk_p95_ms = p50_us / 1000, p95_us / 1000
    if failed:
        result.first_errors.append(f"{failed} answers other than 201")
    if socket_errors:
        result.first_errors.append(f"{socket_errors} socket errors (connect/read/write/timeout)")
    result.client = "wrk"
    return result


def summary(result: IntakeResult) -> dict:
    lat = result.latencies_ms or [float("nan")]
    p50 = getattr(result, "wrk_p50_ms", None) or percentile(lat, 50)
    p95 = getattr(result, "wrk_p95_ms", None) or percentile(lat, 95)
    return {
        "intake_rps": round(result.rps, 1),
        "intake_errors": result.errors,
        "intake_requests": result.requests,
        "intake_p50_ms": round(p50, 1),
        "intake_p95_ms": round(p95, 1),
        "intake_client": getattr(result, "client", "python"),
        "intake_concurrency": result.concurrency,
        "intake_workers": result.workers,
    }
