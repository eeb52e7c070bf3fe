"""Concurrent writers: 1 and then 8 processes taking actions on different cases through the services.

Each writer is a process of its own (forked, its own database connection, no shared GIL), and
loops over cases that no other writer touches, writing a progress note (办理进展) as a department
user assigned to the case: `case_progress` locks its case, checks the transition table, marks
today's figures stale (an append-only INSERT) and writes one timeline event. A monitor polls
`pg_stat_activity` during the run: any backend of the bench database waiting on a lock is a lock
wait (the writers should never queue behind a shared row such as a counter).
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from dataclasses import dataclass, field

from django.db import connection, connections

PER_WRITER = 40  # cases per writer, taken in turn


@dataclass
class WriteResult:
    writers: int
    actions: int = 0
    errors: int = 0
    seconds: float = 0.0
    lock_waits: int = 0  # monitor samples that saw a backend waiting on a lock
    waited_on: set[str] = field(default_factory=set)
    first_errors: list[str] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.actions / self.seconds if self.seconds else 0.0


def pick_work(writers: int) -> list[list[tuple[int, int]]]:
    """Per writer, up to PER_WRITER (case, user) pairs: open cases with a signed lead assignment, each
    with a staff member of that department; no case appears twice."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT DISTINCT ON (c.id) c.id, m.user_id
            FROM disputes_case c
            JOIN disputes_assignment a ON a.case_id = c.id AND a.role = 'lead' AND a.status = 'signed'
            JOIN grids_membership m ON m.department_id = a.department_id AND m.role = 'department_staff'
            WHERE c.status IN ('dispatched', 'in_progress')
            ORDER BY c.id DESC, m.user_id
            LIMIT %s
            """,
            [writers * PER_WRITER],
        )
        rows = cursor.fetchall()
    if len(rows) < writers * 2:  # small scales have fewer: share what there is, two cases at least
        raise RuntimeError(f"writers: only {len(rows)} cases with a signed lead assignment")
    return [rows[i::writers] for i in range(writers)]


def _writer(work: list[tuple[int, int]], start_at: float, stop_at: float, queue) -> None:
    from disputes.models import Case
    from disputes.services import case_progress
    from grids.models import User

    connections.close_all()  # never share the parent's socket
    users = {pk: User.objects.get(pk=pk) for pk in {u for _c, u in work}}
    actions = errors = 0
    first: list[str] = []
    i = 0
    time.sleep(max(0.0, start_at - time.time()))
    while time.time() < stop_at:
        case_id, user_id = work[i % len(work)]
        i += 1
        try:
            case_progress(case=Case(pk=case_id), by=users[user_id], note=f"压测进展 {i}")
            actions += 1
        except Exception as exc:  # noqa: BLE001 - counted, the bench reports the first few
            errors += 1
            if len(first) < 3:
                first.append(f"{type(exc).__name__}: {exc}")
    connections.close_all()
    queue.put((actions, errors, first))


def _monitor(stop: threading.Event, result: WriteResult, dbname: str) -> None:
    from django.db import connections as conns

    conn = conns.create_connection("default")
    try:
        with conn.cursor() as cursor:
            while not stop.is_set():
                cursor.execute(
                    """
                    SELECT coalesce(c.relname, l.locktype)
                    FROM pg_locks l LEFT JOIN pg_class c ON c.oid = l.relation
                    JOIN pg_stat_activity s ON s.pid = l.pid
                    WHERE NOT l.granted AND s.datname = %s
                    """,
                    [dbname],
                )
                rows = cursor.fetchall()
                if rows:
                    result.lock_waits += 1
                    result.waited_on.update(r[0] for r in rows)
                stop.wait(0.02)
    finally:
        conn.close()


def warm(work: list[list[tuple[int, int]]]) -> None:
    """One action in the parent before forking, so the children inherit every lazy import, compiled
    regex and cached lookup instead of each paying for them inside the measured seconds."""
    from disputes.models import Case
    from disputes.services import case_progress
    from grids.models import User

    case_id, user_id = work[0][0]
    case_progress(case=Case(pk=case_id), by=User.objects.get(pk=user_id), note="压测预热")


def run_writers(writers: int, seconds: float, work: list[list[tuple[int, int]]]) -> WriteResult:
    result = WriteResult(writers=writers)
    dbname = connection.settings_dict["NAME"]
    warm(work)
    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    start_at = time.time() + 2.0  # time for the children to start and connect; then all at once
    stop_at = start_at + seconds
    procs = [ctx.Process(target=_writer, args=(work[i], start_at, stop_at, queue)) for i in range(writers)]
    for p in procs:
        p.start()
    stop = threading.Event()
    monitor = threading.Thread(target=_monitor, args=(stop, result, dbname), daemon=True)
    monitor.start()
    for _ in procs:
        actions, errors, first = queue.get(timeout=seconds + 120)
        result.actions += actions
        result.errors += errors
        result.first_errors += first
    for p in procs:
        p.join(timeout=30)
    stop.set()
    monitor.join(timeout=5)
    result.seconds = seconds
    return result
