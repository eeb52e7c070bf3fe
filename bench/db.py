"""The bench database: dropped and created afresh each run, so every run starts from the same state."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import psycopg2
from psycopg2 import sql

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/governance_bench"


class BenchDatabaseError(RuntimeError):
    pass


def parse(url: str) -> dict:
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise BenchDatabaseError(f"the bench needs PostgreSQL, DATABASE_URL is {parts.scheme}://…")
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "user": unquote(parts.username or "postgres"),
        "password": unquote(parts.password or "") or None,
        "dbname": unquote(parts.path.lstrip("/")),
    }


def recreate(url: str) -> str:
    """Drop and create the database named in `url`. Refuses any name without "bench" in it, so a
    DATABASE_URL left pointing at a real database can never be wiped by a benchmark."""
    params = parse(url)
    name = params["dbname"]
    if "bench" not in name:
        raise BenchDatabaseError(f"refusing to drop database {name!r}: its name must contain 'bench'")
    admin = dict(params, dbname="postgres")
    conn = psycopg2.connect(**{k: v for k, v in admin.items() if v is not None})
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            cur.execute(sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(sql.Identifier(name)))
    finally:
        conn.close()
    return name


def _admin(url: str):
    params = parse(url)
    conn = psycopg2.connect(**{k: v for k, v in dict(params, dbname="postgres").items() if v is not None})
    conn.autocommit = True
    return params["dbname"], conn


def save_seeded(url: str) -> str:
    """Copy the seeded bench database to `<name>_seeded` (for `--from-seeded` runs); the caller has
    closed its connections to it."""
    name, conn = _admin(url)
    copy = f"{name}_seeded"
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(copy)))
            cur.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(copy), sql.Identifier(name)))
    finally:
        conn.close()
    return copy


def restore_seeded(url: str) -> str:
    """Drop the bench database and create it again from `<name>_seeded` (a file copy: seconds)."""
    name, conn = _admin(url)
    if "bench" not in name:
        raise BenchDatabaseError(f"refusing to drop database {name!r}: its name must contain 'bench'")
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [f"{name}_seeded"])
            if cur.fetchone() is None:
                raise BenchDatabaseError(f"no {name}_seeded database: run once with --save-seeded")
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            cur.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(f"{name}_seeded"))
            )
    finally:
        conn.close()
    return name
