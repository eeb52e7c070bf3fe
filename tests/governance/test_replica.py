"""The read-replica router on a real pair: a primary and a streaming replica that this test starts
(initdb in a temp folder, spare ports), never touching the machine's own cluster.

Runs with the PostgreSQL suite; skipped when the PostgreSQL server binaries are missing, except
under CI (CI=1 or CI=true), where it fails."""

from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ("initdb", "pg_ctl", "pg_basebackup")


def _bindir() -> Path | None:
    candidates = [os.path.dirname(shutil.which("initdb") or "")]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for d in candidates:
        if d and all((Path(d) / tool).exists() for tool in TOOLS):
            return Path(d)
    return None


def _spare_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A throwaway cluster. As root, its commands run as the `postgres` user (initdb refuses root)."""

    def __init__(self, bindir: Path, datadir: Path, port: int) -> None:
        self.bindir, self.datadir, self.port = bindir, datadir, port

    def run(self, tool: str, *args: str) -> None:
        cmd = [str(self.bindir / tool), *args]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, timeout=60)

    def configure(self, socket_dir: Path) -> None:
        with open(self.datadir / "postgresql.auto.conf", "a") as conf:
            conf.write(
                f"port = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{socket_dir}'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nshared_buffers = 16MB\n"
                "max_connections = 20\n"
            )

    def start(self) -> None:
        self.run("pg_ctl", "-D", str(self.datadir), "-l", str(self.datadir / "server.log"), "-w", "-t", "30", "start")

    def stop(self) -> None:
        try:
            self.run("pg_ctl", "-D", str(self.datadir), "-m", "immediate", "-w", "stop")
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            pass


@pytest.fixture
def pair():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("runs with the PostgreSQL suite (DATABASE_URL=postgres://…)")
    bindir = _bindir()
    if bindir is None:
        if os.environ.get("CI", "").lower() in ("1", "true"):
            pytest.fail("PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) are missing")
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) are missing")
    tmp = Path(tempfile.mkdtemp(prefix="replica-test-"))
    if os.geteuid() == 0:
        shutil.chown(tmp, "postgres", "postgres")
    started = []
    try:
        primary = Cluster(bindir, tmp / "primary", _spare_port())
        primary.run("initdb", "-D", str(primary.datadir), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
        with open(primary.datadir / "pg_hba.conf", "a") as hba:
            hba.write("host replication all 127.0.0.1/32 trust\n")
        primary.configure(tmp)
        primary.start()
        started.append(primary)
        replica = Cluster(bindir, tmp / "replica", _spare_port())
        primary.run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
            "-D", str(replica.datadir), "-R", "-X", "stream", "--no-sync",
        )  # fmt: skip
        replica.configure(tmp)
        replica.start()
        started.append(replica)
        yield primary, replica
    finally:
        for cluster in reversed(started):
            cluster.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def test_dashboards_read_from_the_replica_and_writes_go_to_the_primary(pair):
    primary, replica = pair
    started = time.monotonic()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE", "TEST_DATABASE"))}
    env.update(
        DJANGO_SETTINGS_MODULE="governance.settings",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{primary.port}/postgres",
        DATABASE_REPLICA_URL=f"postgres://postgres@127.0.0.1:{replica.port}/postgres",
        DEBUG="1",
        ALLOW_DEV_SECRET_KEY="1",
        ALLOWED_HOSTS="testserver",
        SECURE_SSL_REDIRECT="0",
        STATIC_MANIFEST="0",
        CELERY_TASK_ALWAYS_EAGER="1",
    )
    env.pop("CELERY_BROKER_URL", None)
    out = subprocess.run(
        [sys.executable, "-m", "tests.governance.replica_probe"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    probe = json.loads(out.stdout.strip().splitlines()[-1])
    assert probe["status"] == 200 and probe["replica_in_recovery"] is True
    # The dashboard's figures were read on the replica: the roll-up and the open counts.
    replica_sql = " ".join(probe["replica"])
    assert "disputes_dailystat" in replica_sql and "disputes_opencount" in replica_sql
    # (A UNION's parts are parenthesised: "(SELECT …) UNION ALL (SELECT …)".)
    reads = ("SELECT", "WITH", "SAVEPOINT", "RELEASE")
    assert all(q.lstrip().lstrip("(").upper().startswith(reads) for q in probe["replica"]), probe["replica"]
    # Writes (the roll-up storing a computed day, the explicit update in a replica block) and the
    # reads outside a replica block went to the primary.
    primary_sql = " ".join(probe["primary"])
    assert 'UPDATE "grids_area"' in primary_sql
    assert "INSERT" in primary_sql.upper()
    assert not any(q.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")) for q in probe["replica"])
    assert probe["counts"] == [1, 1]
    assert time.monotonic() - started < 280
