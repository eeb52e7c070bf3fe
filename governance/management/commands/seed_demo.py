"""`manage.py seed_demo [--force]`: the demo district (九原区) and its demo logins. Logic: governance/demo.py."""

from __future__ import annotations

import os
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from governance.demo import seed_demo


class Command(BaseCommand):
    help = (
        "Create the demo district: 1 district, 8 towns, 88 villages, 624 grids, 1,758 micro-grids, departments, "
        "categories, a few thousand residents and the demo logins. Idempotent. Refuses to run with DEBUG off "
        "unless --force is given."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--force", action="store_true", help="run even though DEBUG is off")

    def handle(self, *args, force: bool, **options) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates users with a public password; it refuses to run with DEBUG off. "
                "Use --force if this really is a demo installation."
            )
        started = time.monotonic()
        result = seed_demo(password=settings.DEMO_PASSWORD, progress=self._progress)
        elapsed = time.monotonic() - started
        if result.changed:
            summary = ", ".join(f"{count} {kind}" for kind, count in result.created.items() if count)
            self.stdout.write(self.style.SUCCESS(f"Demo district ready in {elapsed:.1f} s: created {summary}."))
        else:
            self.stdout.write(self.style.SUCCESS(f"Demo district already complete; nothing changed ({elapsed:.1f} s)."))
        self.stdout.write("")
        # The address `make run` serves (bin/run-all reads the same HOST and PORT).
        host, port = os.environ.get("HOST", "127.0.0.1"), os.environ.get("PORT", "8000")
        self.stdout.write(f"  Open http://{host}:{port}/")
        self.stdout.write(f"  Every demo login uses the password: {settings.DEMO_PASSWORD}")
        self.stdout.write("")
        width = max(len(login.username) for login in result.logins)
        self.stdout.write(f"  {'username'.ljust(width)}  {'password'.ljust(len(settings.DEMO_PASSWORD))}  who")
        for login in result.logins:
            self.stdout.write(
                f"  {login.username.ljust(width)}  {settings.DEMO_PASSWORD}  {login.display_name} · {login.who}"
            )
        self.stdout.write("  (grid team of grid_a's grid: demo_chief, demo_police_officer, demo_enforcer, …)")

    def _progress(self, message: str) -> None:
        self.stdout.write(f"  · {message}")
