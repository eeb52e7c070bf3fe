"""Run by test_replica.py in a process of its own, against the primary and replica it started:
migrate the primary, wait for the replica to replay it, then read a dashboard and write, and print
which connection ran what (JSON on the last line of stdout)."""

from __future__ import annotations

import json
import time

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from grids.dbrouter import replica_reads  # noqa: E402
from grids.models import Area, Role, User  # noqa: E402
from grids.services import membership_grant  # noqa: E402
from tests.territory import build_territory  # noqa: E402


def caught_up() -> None:
    """Wait until the replica has replayed everything the primary wrote so far."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        lsn = cursor.fetchone()[0]
    deadline = time.monotonic() + 30
    with connections["replica"].cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)
    raise SystemExit("the replica did not catch up in 30 s")


def main() -> None:
    setup_test_environment()
    call_command("migrate", verbosity=0)
    territory = build_territory()
    official = User.objects.create_user("official", password="x")
    membership_grant(user=official, role=Role.OFFICIAL, area=territory.district)
    caught_up()

    client = Client()
    client.force_login(official)
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica"]) as replica,
    ):
        response = client.get(f"/api/v1/dashboard/?area={territory.district.pk}")
        outside = Area.objects.filter(level="district").count()  # not in a replica block: primary
        with replica_reads():
            inside = Area.objects.filter(level="district").count()  # a read in the block: replica
            Area.objects.filter(pk=territory.district.pk).update(name="九原区(改)")  # a write: primary
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        in_recovery = cursor.fetchone()[0]
    print(
        json.dumps(
            {
                "status": response.status_code,
                "open": response.json().get("open") if response.status_code == 200 else None,
                "counts": [outside, inside],
                "replica_in_recovery": in_recovery,
                "primary": [q["sql"] for q in primary.captured_queries],
                "replica": [q["sql"] for q in replica.captured_queries],
            }
        )
    )


if __name__ == "__main__":
    main()
