"""In-process measures: django.test.Client with force_login, the framework floor and the app's
pages measured the same way, each with its query count and the raw time of its own SQL."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from disputes.models import OPEN_STATUSES
from grids.models import User


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


@dataclass
class Measure:
    name: str
    samples_ms: list[float] = field(default_factory=list)
    queries: int | None = None
    sql_ms: float | None = None  # p50 of the request's own SELECTs replayed on a raw cursor
    status: int | None = None
    extra: dict = field(default_factory=dict)

    @property
    def p50(self) -> float:
        return statistics.median(self.samples_ms) if self.samples_ms else float("nan")

    @property
    def p95(self) -> float:
        return percentile(self.samples_ms, 95) if self.samples_ms else float("nan")


class MeasureError(RuntimeError):
    pass


def repeat(fn: Callable[[], object], *, reps: int, budget_s: float, minimum: int = 20) -> list[float]:
    """Call fn `reps` times (fewer if the time budget runs out, never fewer than `minimum`); ms each."""
    samples = []
    deadline = time.perf_counter() + budget_s
    for i in range(reps):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
        if i + 1 >= minimum and time.perf_counter() > deadline:
            break
    return samples


def replay(queries: list[dict], reps: int) -> float:
    """p50 ms of running the captured SELECTs again, as they were sent, on a raw cursor."""
    selects = []
    for q in queries:
        sql = q["sql"].lstrip()
        if sql.upper().startswith("DECLARE"):  # a server-side cursor (QuerySet.iterator()): its SELECT
            sql = sql[sql.upper().index(" FOR ") + 5 :]
        if sql.upper().startswith(("SELECT", "WITH")):
            selects.append(sql)
    samples = []
    with connection.cursor() as cursor:
        for _ in range(reps):
            started = time.perf_counter()
            for sql in selects:
                cursor.execute(sql)
                cursor.fetchall()
            samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


class Pages:
    """Logged-in clients, one per demo login, and the pages measured."""

    def __init__(self) -> None:
        self.clients: dict[str, Client] = {}

    def client(self, username: str) -> Client:
        if username not in self.clients:
            client = Client()
            client.force_login(User.objects.get(username=username))
            self.clients[username] = client
        return self.clients[username]

    def get(self, username: str, url: str, *, expect: int = 200):
        response = self.client(username).get(url)
        if response.status_code != expect:
            raise MeasureError(f"GET {url} as {username}: {response.status_code} (expected {expect})")
        return response

    def measure(self, name: str, username: str, url: str, *, reps: int, budget_s: float) -> Measure:
        m = Measure(name)
        for _ in range(3):  # warm: caches, hint bits, the first connection
            self.get(username, url)
        with CaptureQueriesContext(connection) as captured:
            response = self.get(username, url)
        # A copy: captured_queries slices the connection's log, which the next request clears.
        queries = list(captured.captured_queries)
        m.status = response.status_code
        m.queries = len(queries)
        m.extra["captured"] = queries
        m.samples_ms = repeat(lambda: self.get(username, url), reps=reps, budget_s=budget_s)
        m.sql_ms = replay(queries, reps=max(5, min(20, len(m.samples_ms) // 4)))
        return m

    def count_queries(self, username: str, url: str) -> int:
        self.get(username, url)
        with CaptureQueriesContext(connection) as captured:
            self.get(username, url)
        return len(captured.captured_queries)


def core_aggregate_ms(path: str, *, lo, hi, reps: int) -> tuple[float, float]:
    """The dashboard's core figures as one plain aggregate over the area's cases (a full scan of the
    subtree by area_path): the yardstick for what the database alone needs. (p50, p95) ms."""
    open_list = ", ".join(f"'{s}'" for s in OPEN_STATUSES)
    sql = f"""
        SELECT count(*) FILTER (WHERE created_at >= %(lo)s AND created_at < %(hi)s),
               count(*) FILTER (WHERE status IN ({open_list})),
               count(*) FILTER (WHERE status IN ({open_list}) AND overdue),
               count(*) FILTER (WHERE status = 'closed' AND closed_at >= %(lo)s AND closed_at < %(hi)s),
               count(*) FILTER (WHERE handled_at >= %(lo)s AND handled_at < %(hi)s),
               count(*) FILTER (WHERE handled_at >= %(lo)s AND handled_at < %(hi)s
                                AND (handle_deadline IS NULL OR handled_at <= handle_deadline))
        FROM disputes_case WHERE area_path LIKE %(path)s"""
    params = {"lo": lo, "hi": hi, "path": path + "%"}
    samples = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        cursor.fetchall()
        for _ in range(reps):
            started = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), percentile(samples, 95)
