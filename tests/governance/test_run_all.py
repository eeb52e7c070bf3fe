"""`make run`'s server script (bin/run-all): it serves on the PORT it names, and SIGTERM or Ctrl-C
(SIGINT) stops the web server, the worker and beat, with all their processes, within 10 s."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid: int) -> set[int]:
    """Every process below `pid`, read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for_http(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2)
            return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"nothing served on port {port} within {timeout} s")


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_run_all_serves_its_port_and_stops_everything_within_10_s(tmp_path, stop_signal):
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "VAR_DIR": str(tmp_path),
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "CELERY_BROKER_URL": "filesystem://",
        "WEB_WORKERS": "1",
        "WEB_THREADS": "2",
        "CELERY_CONCURRENCY": "1",
    }
    process = subprocess.Popen(
        ["bash", "bin/run-all"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        wait_for_http(port, timeout=60)
        # Give the worker time to start its pool and beat, as a person would before pressing Ctrl-C.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any("celery" in _cmdline(p) for p in descendants(process.pid)):
            time.sleep(0.3)
        time.sleep(3)
        tree = descendants(process.pid)
        assert any("celery" in _cmdline(p) for p in tree) and any("gunicorn" in _cmdline(p) for p in tree)

        started = time.monotonic()
        process.send_signal(stop_signal)
        process.wait(timeout=15)
        while any(alive(p) for p in tree) and time.monotonic() - started < 15:
            time.sleep(0.1)
        elapsed = time.monotonic() - started
        assert not [p for p in tree if alive(p)], "processes left running"
        assert elapsed < 10, f"stopped in {elapsed:.1f} s"
        print(f"run-all stopped on {signal.Signals(stop_signal).name} in {elapsed:.1f} s")
        output = process.stdout.read()
        assert f"Serving at http://127.0.0.1:{port}/" in output
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        for pid in descendants(process.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


def _cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_run_all_refuses_a_busy_port(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            ["bash", "bin/run-all"],
            cwd=ROOT,
            env={**os.environ, "PORT": str(port), "VAR_DIR": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode != 0
    assert f"127.0.0.1:{port}" in result.stderr and "PORT" in result.stderr
