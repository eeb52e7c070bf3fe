"""Backups as the README documents them: `pg_dump -Fc` of a seeded demo database, `pg_restore` into
a fresh one, and every table has the same number of rows. PostgreSQL only (skips on SQLite)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATABASE_URL = os.environ.get("DATABASE_URL", "")

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not DATABASE_URL.startswith(("postgres://", "postgresql://")), reason="needs PostgreSQL"),
    pytest.mark.skipif(not shutil.which("pg_dump"), reason="needs pg_dump and pg_restore"),
]


def url_for(name: str) -> str:
    parts = urlsplit(DATABASE_URL)
    return urlunsplit(parts._replace(path=f"/{name}"))


def admin_url() -> str:
    return url_for("postgres")


def psql(url: str, sql: str) -> str:
    result = subprocess.run(
        ["psql", url, "-v", "ON_ERROR_STOP=1", "-tAc", sql], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def table_counts(url: str) -> dict[str, int]:
    tables = psql(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename").split()
    union = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM \"{t}\"" for t in tables)
    return {name: int(count) for name, count in (line.split("|") for line in psql(url, union).split())}


def test_pg_dump_and_restore_give_the_same_counts(tmp_path):
    base = urlsplit(DATABASE_URL).path.lstrip("/") or "governance"
    source, target = f"{base}_backup_src", f"{base}_backup_dst"
    for name in (source, target):
        psql(admin_url(), f'DROP DATABASE IF EXISTS "{name}"')
    psql(admin_url(), f'CREATE DATABASE "{source}"')
    try:
        env = {
            **os.environ,
            "DATABASE_URL": url_for(source),
            "DEBUG": "1",
            "VAR_DIR": str(tmp_path),
            "CELERY_BROKER_URL": "filesystem://",
        }
        for command in (["migrate", "--no-input", "-v", "0"], ["seed_demo"]):
            result = subprocess.run(
                [sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
            )
            assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]

        # The README's commands.
        dump = tmp_path / "governance.dump"
        started = time.monotonic()
        subprocess.run(["pg_dump", "-Fc", "--no-owner", "-f", str(dump), url_for(source)], check=True, timeout=600)
        psql(admin_url(), f'CREATE DATABASE "{target}"')
        subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", "-d", url_for(target), str(dump)], check=True, timeout=600
        )
        elapsed = time.monotonic() - started

        before, after = table_counts(url_for(source)), table_counts(url_for(target))
        assert before == after
        assert before["grids_area"] > 2000 and before["grids_resident"] > 1000 and before["grids_user"] >= 10
        print(f"backup: {len(before)} tables, {sum(before.values())} rows dumped and restored in {elapsed:.1f} s")
    finally:
        for name in (source, target):
            psql(admin_url(), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
