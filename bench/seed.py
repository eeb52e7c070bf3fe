"""Seeding the bench database: the demo district, its people, and the planned history in phases."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from django.core.management import call_command
from django.db import connection

from disputes import stats
from disputes.models import Category, DailyStat
from grids.models import Area, Level

from .load import Loader
from .people import build_world, seed_residents, seed_staff
from .plan import Calendar, plan_cases

Progress = Callable[[str], None]
RESIDENTS = 200_000


class _Lines:
    """A file-like object that hands each line of a management command's output to `progress`."""

    def __init__(self, progress: Progress) -> None:
        self.progress, self.buffer = progress, ""

    def write(self, text: str) -> None:
        self.buffer += text
        while "\n" in self.buffer:
            line, self.buffer = self.buffer.split("\n", 1)
            if line.strip():
                self.progress("  " + line.strip())

    def flush(self) -> None:
        pass


class Seeder:
    def __init__(self, *, scale: int, anchor: int, seed: int, progress: Progress) -> None:
        self.scale = scale
        self.anchor = anchor
        self.progress = progress
        self.rng = np.random.default_rng(seed)
        self.seconds = 0.0  # everything the seed took
        self.case_seconds = 0.0  # loading the cases (COPY, expansion, indexes, VACUUM)
        self.rollup_seconds = 0.0  # counting the loaded history into the daily roll-up

    def _timed(self, label: str, fn, *args, **kwargs):
        started = time.monotonic()
        result = fn(*args, **kwargs)
        elapsed = time.monotonic() - started
        self.seconds += elapsed
        self.progress(f"{label}: {elapsed:.1f} s")
        return result

    def base(self) -> None:
        """Schema, the demo district, staff for every post, residents; then the plan of all cases."""
        out = _Lines(self.progress)
        self._timed("migrate", call_command, "migrate", verbosity=0, stdout=out)
        self._timed("seed_demo --force", call_command, "seed_demo", "--force", stdout=out)
        staff = self._timed("staff (a worker per grid, staff per center and department)", seed_staff)
        self.world = build_world(self.anchor, staff)
        existing = self.world_residents()
        self._timed(
            f"residents ({RESIDENTS - existing:,} more, {RESIDENTS:,} in all, COPY)",
            seed_residents,
            self.world,
            max(0, RESIDENTS - existing),
            self.rng,
        )
        self._timed("VACUUM ANALYZE residents", Loader.vacuum, ["grids_household", "grids_resident"])
        backlog = self.scale // 20
        calendar = self._timed("working-time calendar", Calendar, self.anchor - 740 * 86400, self.anchor + 200 * 86400)
        self.plan = self._timed(
            f"plan {self.scale:,} cases ({backlog:,} due at the sweep)",
            plan_cases,
            self.world,
            self.scale,
            backlog,
            self.rng,
            calendar,
        )
        self.loader = Loader(self.world, self.progress)
        villages = dict(Area.objects.filter(level=Level.VILLAGE).values_list("code", "name"))
        categories = dict(Category.objects.values_list("id", "code"))
        self._timed(
            "helper tables",
            self.loader.prepare,
            self.world.extra["micro"],
            self.world.extra["towns"],
            villages,
            categories,
        )
        self._timed("case-number counters", self.loader.number_sequences, self.plan)
        order = self.rng.permutation(self.scale)
        self.phases = [order] if self.scale <= 100_000 else [order[:100_000], order[100_000:]]

    def world_residents(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM grids_resident")
            return cursor.fetchone()[0]

    def load_phase(self, i: int) -> dict[str, int]:
        idx = self.phases[i]
        total = sum(len(p) for p in self.phases[: i + 1])
        started = time.monotonic()
        counts = self._timed(f"load {len(idx):,} cases ({total:,} in all)", self.loader.load, self.plan, idx)
        self.case_seconds += time.monotonic() - started
        # The services keep the roll-up as cases change; a bulk load goes around them, so its days
        # are counted once, as after an import (`disputes.stats.rebuild`). Timed on its own.
        started = time.monotonic()
        days = stats.rebuild()
        Loader.vacuum(["disputes_dailystat", "disputes_statday"])
        self.rollup_seconds = time.monotonic() - started
        self.progress(
            f"daily roll-up of the loaded history: {self.rollup_seconds:.1f} s "
            f"({days} days, {DailyStat.objects.count():,} rows; not part of the seed time)"
        )
        return counts

    def disputes(self) -> dict[str, int]:
        """Disputes at the seeds' ratio to the cases loaded (bench/mediation.py)."""
        from .mediation import DISPUTES_PER_CASE, seed_disputes

        total = sum(len(p) for p in self.phases)
        return self._timed(
            f"disputes ({round(total * DISPUTES_PER_CASE):,}, {DISPUTES_PER_CASE} per case, with parties and events)",
            seed_disputes,
            cases=total,
            anchor=self.anchor,
            progress=self.progress,
        )

    def finish(self) -> None:
        self.loader.cleanup()
