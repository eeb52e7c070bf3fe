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
