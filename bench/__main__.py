"""`python -m bench [--scale N]` (`make bench SCALE=N`): seed a city-scale district into PostgreSQL
and measure the app on it.

1. Drop and create the bench database (DATABASE_URL; its name must contain "bench"), migrate,
   seed_demo --force, a worker for every grid and staff for every center and department, 200k
   residents, then N cases over two years (COPY + set-based SQL, see bench/load.py), N/20 of them
   an open backlog whose sign-in limits lapsed at the sweep moment.
2. Measure, in process (django.test.Client, force_login): the framework floor, the center queue,
   the case page, the dashboard API for the district and a town — at 100k cases and again at N.
3. Intake under concurrency (gunicorn, 2 workers, token auth), the deadline sweep over the backlog
   and a second sweep at the same moment, the weekly reports of all towns.
4. Print a table, PASS/MISS per goal and one JSON line. Exit 0 unless something errored (an HTTP
   error, an intake error, a second sweep that changed something).
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
import traceback
import warnings

from . import db


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=1_000_000, help="number of cases (default 1,000,000)")
    parser.add_argument("--seed", type=int, default=20261121, help="random seed of the synthetic history")
    parser.add_argument("--intake-seconds", type=float, default=10.0, help="duration of the intake load")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads for the intake load")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers for intake (default 2)")
    parser.add_argument("--write-seconds", type=float, default=8.0, help="duration of each concurrent-writers run")
    parser.add_argument("--save-seeded", action="store_true", help="after seeding, copy the database to <name>_seeded")
    parser.add_argument(
        "--from-seeded",
        action="store_true",
        help="skip the seed: start from a copy of <name>_seeded (made by --save-seeded with the same --scale)",
    )
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated steps to run (reads,intake,writers,sweep,reports); default: all",
    )
    args = parser.parse_args(argv)
    args.only = {step.strip() for step in args.only.split(",") if step.strip()}
    if args.scale < 1000:
        parser.error("--scale must be at least 1000")
    return args


def configure_environment() -> tuple[str, str, str]:
    """Production-like settings for the bench process (DEBUG off, a throwaway secret key)."""
    database_url = os.environ.get("DATABASE_URL") or db.DEFAULT_URL
    broker_url = os.environ.get("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/0"
    secret_key = "bench-" + secrets.token_urlsafe(48)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=broker_url,
        DEBUG="0",
        SECRET_KEY=secret_key,
        ALLOWED_HOSTS="testserver,127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
        STATIC_MANIFEST="0",
    )
    return database_url, broker_url, secret_key


def say(message: str) -> None:
    print(message, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    database_url, broker_url, secret_key = configure_environment()
    if args.from_seeded:
        say(f"bench: {db.parse(database_url)['dbname']} copied afresh from its _seeded copy ({args.scale:,} cases)")
        db.restore_seeded(database_url)
    else:
        say(f"bench: {args.scale:,} cases into {db.parse(database_url)['dbname']} (dropped and created afresh)")
        db.recreate(database_url)

    import django

    # whitenoise warns that STATIC_ROOT is missing: the bench serves no static files.
    warnings.filterwarnings("ignore", message=r"No directory at: .*")
    django.setup()
    from .run import Bench

    bench = Bench(args=args, database_url=database_url, broker_url=broker_url, secret_key=secret_key, say=say)
    try:
        bench.run()
    except Exception:  # noqa: BLE001 - report what was measured so far, then exit 1
        traceback.print_exc()
        bench.errors.append("exception: " + traceback.format_exc().strip().splitlines()[-1])
    finally:
        bench.close()
    bench.report()
    if bench.errors:
        say("bench: FAILED — " + "; ".join(bench.errors))
        return 1
    return 0


if __name__ == "__main__":
    started = time.monotonic()
    code = main()
    print(f"bench: done in {time.monotonic() - started:.0f} s", file=sys.stderr)
    sys.exit(code)
