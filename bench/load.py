"""Loading the planned history into PostgreSQL, fast.

One binary COPY (numpy builds the rows; fixed-width fields, no text formatting) fills an unlogged
stage table with one wide row per case; set-based INSERT … SELECT statements then expand it into
cases, assignments, timeline events, deadline alerts, extension requests and the guardian object
permissions that dispatch grants. Secondary indexes of the big tables are dropped for the load and
rebuilt after it (a sorted build is far cheaper than a million random inserts into twenty indexes),
and foreign-key triggers are skipped (session_replication_role = replica: the plan only uses ids
that exist). VACUUM ANALYZE at the end leaves the tables as autovacuum would: statistics for the
planner and a visibility map for index-only scans.
"""

from __future__ import annotations

import io
import struct
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, transaction

from disputes.models import Case, CaseNumberSequence

from .plan import (
    ALERTS,
    CO_STATUSES,
    LEAD_STATUSES,
    NONE,
    RETURN_REASONS,
    SATISFACTIONS,
    SOURCES,
    STATUSES,
    URGENCIES,
    World,
)
from .texts import PROGRESS, variants

EPOCH_2000 = 946_684_800
INFINITY_US = np.iinfo(np.int64).max  # PostgreSQL's binary 'infinity' timestamp
BIG_TABLES = [
    "disputes_case",
    "disputes_assignment",
    "disputes_caseevent",
    "disputes_deadlinealert",
    "disputes_casegroupobjectpermission",
]

# (column, kind): id → bigint with 0 as NULL; int → bigint; small → smallint; float → float8;
# ts → timestamptz with 'infinity' as NULL.
STAGE = [
    ("id", "int"),
    ("seq", "int"),
    ("cat", "int"),
    ("area", "int"),
    ("town", "int"),
    ("center", "int"),
    ("urgency", "small"),
    ("source", "small"),
    ("reporter", "int"),
    ("lat", "float"),
    ("lng", "float"),
    ("flow", "small"),
    ("status", "small"),
    ("satisfaction", "small"),
    ("variant", "small"),
    ("merged_into", "id"),
    ("return_count", "small"),
    ("overdue", "small"),
    ("created", "ts"),
    ("closed_at", "ts"),
    ("handled_at", "ts"),
    ("updated_at", "ts"),
    ("case_sign_deadline", "ts"),
    ("case_handle_deadline", "ts"),
    ("case_next", "ts"),
    ("t_rm", "ts"),
    ("t_resolve", "ts"),
    ("t_accept", "ts"),
    ("t_escalate", "ts"),
    ("esc_auto", "small"),
    ("center_actor", "int"),
    ("ret_asg", "id"),
    ("ret_dept", "id"),
    ("ret_actor", "id"),
    ("ret_reason", "small"),
    ("t_ret_dispatch", "ts"),
    ("t_ret", "ts"),
    ("ret_sign_deadline", "ts"),
    ("ret_handle_deadline", "ts"),
    ("ret_sign_warn", "ts"),
    ("ret_handle_warn", "ts"),
    ("t_dispatch", "ts"),
    ("sign_deadline", "ts"),
    ("handle_deadline0", "ts"),
    ("handle_deadline", "ts"),
    ("sign_warn", "ts"),
    ("handle_warn0", "ts"),
    ("handle_warn", "ts"),
    ("lead_asg", "id"),
    ("lead_dept", "id"),
    ("lead_actor", "id"),
    ("lead_status", "small"),
    ("lead_signed", "ts"),
    ("lead_finished", "ts"),
    ("lead_sign_alert", "small"),
    ("lead_handle_alert", "small"),
    ("lead_overdue", "small"),
    ("lead_next", "ts"),
    ("l_sy", "ts"),
    ("l_sr", "ts"),
    ("l_hy", "ts"),
    ("l_hr", "ts"),
    ("co_asg", "id"),
    ("co_dept", "id"),
    ("co_actor", "id"),
    ("co_status", "small"),
    ("co_signed", "ts"),
    ("co_finished", "ts"),
    ("co_sign_alert", "small"),
    ("co_handle_alert", "small"),
    ("co_overdue", "small"),
    ("co_next", "ts"),
    ("c_sy", "ts"),
    ("c_sr", "ts"),
    ("c_hy", "ts"),
    ("c_hr", "ts"),
    ("p1", "ts"),
    ("p2", "ts"),
    ("t_ext_req", "ts"),
    ("t_ext_dec", "ts"),
    ("ext_days", "small"),
    ("ext_status", "small"),
    ("t_verify", "ts"),
    ("t_feedback", "ts"),
    ("t_close", "ts"),
]
# Every field is 8 bytes wide, so a stage row is one fixed-width record numpy can lay out at once.
PG_TYPES = {"id": "bigint", "int": "bigint", "small": "bigint", "float": "double precision", "ts": "timestamptz"}
WORKERS = 2  # the bench machine has two cores: two sessions expand two halves of the stage at once

Progress = Callable[[str], None]


def _sql_array(values: list[str]) -> str:
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _pick(values: list[str], expr: str) -> str:
    """values[expr] in SQL (expr is a 0-based smallint)."""
    return f"({_sql_array(values)})[{expr} + 1]"


def _iso(expr: str) -> str:
    """A timestamptz as Python's isoformat() of a UTC datetime, as the app stores it in event data
    (the timestamp's text output is several times cheaper than to_char)."""
    return f"(replace(({expr} AT TIME ZONE 'UTC')::text, ' ', 'T') || '+00:00')"


def _number(alias: str) -> str:
    """The case number, YYYYMMDD-NNNN (local date, per-day sequence), as disputes.services._next_number."""
    return (
        f"to_char({alias}.created AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || '-' || "
        f"CASE WHEN {alias}.seq < 10000 THEN lpad({alias}.seq::text, 4, '0') ELSE {alias}.seq::text END"
    )


@dataclass
class IndexDDL:
    """How to rebuild one dropped index: build it, then (for a constraint) attach it to the table."""

    table: str
    build: str
    attach: str = ""
    rows: int = 0


def drop_indexes(tables: list[str]) -> list[IndexDDL]:
    """Drop the indexes and unique constraints of `tables` (primary keys too, unless a foreign key
    hangs on them); return how to rebuild them exactly as the migrations made them."""
    rebuild: list[IndexDDL] = []
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                """
                SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid), con.conname, con.contype
                FROM pg_index i
                LEFT JOIN pg_constraint con
                  ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u')
                WHERE i.indrelid = %s::regclass
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = i.indexrelid)
                """,
                [table],
            )
            for name, indexdef, conname, contype in cursor.fetchall():
                if conname:
                    # A constraint's index is built like any other (so several build at once), then
                    # attached: ADD CONSTRAINT … USING INDEX only checks and renames.
                    cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{conname}"')
                    kind = "PRIMARY KEY" if contype == "p" else "UNIQUE"
                    attach = f'ALTER TABLE {table} ADD CONSTRAINT "{conname}" {kind} USING INDEX "{conname}"'
                    rebuild.append(IndexDDL(table, indexdef, attach))
                else:
                    cursor.execute(f"DROP INDEX {name}")
                    rebuild.append(IndexDDL(table, indexdef))
    return rebuild


def rebuild_indexes(
    ddl: list[IndexDDL], sessions: int = 1, session: Callable[[], None] | None = None
) -> list[tuple[float, str]]:
    """Build the indexes, biggest tables first, on `sessions` database sessions pulling from one
    queue; then attach the constraints. Returns (seconds, statement) of each build, slowest first."""
    if not ddl:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples FROM pg_class WHERE relname = ANY(%s)", [sorted({d.table for d in ddl})]
        )
        rows = dict(cursor.fetchall())
    queue = sorted(ddl, key=lambda d: -rows.get(d.table, 0))
    lock = threading.Lock()
    timings: list[tuple[float, str]] = []

    def work() -> None:
        try:
            if session:
                session()
            with connection.cursor() as cursor:
                # Deferred foreign-key checks first: ALTER TABLE wants none pending.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET maintenance_work_mem = '1GB'")
                while True:
                    with lock:
                        if not queue:
                            break
                        item = queue.pop(0)
                    started = time.monotonic()
                    cursor.execute(item.build)
                    with lock:
                        timings.append((time.monotonic() - started, item.build))
                cursor.execute("RESET maintenance_work_mem")
        finally:
            if sessions > 1:
                connection.close()

    if sessions > 1:
        with ThreadPoolExecutor(max_workers=sessions) as pool:
            for future in [pool.submit(work) for _ in range(sessions)]:
                future.result()
    else:
        work()
    with connection.cursor() as cursor:
        for item in ddl:
            if item.attach:
                cursor.execute(item.attach)
    return sorted(timings, reverse=True)


def _fan_out(
    table: str,
    *,
    key: tuple[str, str],
    columns: list[str],
    rows: list[tuple],
    joins: str = "",
    frequent: tuple[int, ...] = (),
) -> str:
    """INSERT one row into `table` per non-NULL key of each stage row: rows[i] = (key, *columns).

    The keys are unnested (cheap), and each column is then picked by the row's ordinal, so only the
    rows that exist pay for their expressions (a LATERAL VALUES list computes all of them for every
    stage row, about ten times slower).
    """
    key_name, key_type = key
    keys = ", ".join(r[0] for r in rows)
    picks = []
    for i in range(1, len(columns) + 1):
        values = [r[i] for r in rows]
        if all(v.startswith("'") and v.endswith("'") and v.count("'") == 2 for v in values):
            picks.append(f"(ARRAY[{', '.join(values)}])[e.k]")
        elif len(set(values)) == 1:
            picks.append(values[0])
        else:
            # CASE tests its WHENs in order: the most frequent rows (1-based, `frequent`) first.
            order = [*frequent, *(k for k in range(1, len(values) + 1) if k not in frequent)]
            whens = " ".join(f"WHEN {k} THEN {values[k - 1]}" for k in order)
            picks.append(f"CASE e.k {whens} END")
    return f"""
        INSERT INTO {table} ({key_name}, {", ".join(columns)})
        SELECT e.key, {", ".join(picks)}
        FROM sv s
        {joins}
        CROSS JOIN LATERAL unnest(ARRAY[{keys}]::{key_type}[]) WITH ORDINALITY AS e(key, k)
        WHERE e.key IS NOT NULL"""


class Loader:
    def __init__(self, world: World, progress: Progress) -> None:
        self.world = world
        self.progress = progress
        # The demo district may come with its own cases (seed_demo): the plan's ids go after them.
        with connection.cursor() as cursor:
            cursor.execute("SELECT COALESCE(max(id), 0) + 1 FROM disputes_case")
            self.next_case_id = cursor.fetchone()[0]
            cursor.execute("SELECT COALESCE(max(id), 0) + 1 FROM disputes_assignment")
            self.next_assignment_id = cursor.fetchone()[0]
        self.content_type = ContentType.objects.get_for_model(Case).pk

    # -- session ---------------------------------------------------------------------------------

    def _execute(self, sql: str, params=None) -> int:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount

    def prepare(self, micro: list[dict], towns: list, villages: dict[str, str], category_codes: dict[int, str]) -> None:
        """Helper tables: texts per category, addresses per micro-grid, the stage."""
        town_names = {t.code: t.name for t in towns}
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_text, bench_mg CASCADE")
            cursor.execute(
                "CREATE TABLE bench_text (category_id bigint, variant smallint, title text, description text,"
                " result text, progress1 text, progress2 text, PRIMARY KEY (category_id, variant))"
            )
            rows = io.StringIO()
            for cat_id, code in category_codes.items():
                for v, (title, description, result) in enumerate(variants(code)):
                    rows.write(f"{cat_id}\t{v}\t{title}\t{description}\t{result}\t{PROGRESS[0]}\t{PROGRESS[1]}\n")
            rows.seek(0)
            cursor.cursor.copy_expert("COPY bench_text FROM STDIN", rows)
            cursor.execute("CREATE TABLE bench_mg (id bigint PRIMARY KEY, path text, addr text)")
            rows = io.StringIO()
            for m in micro:
                codes = m["path"].split("/")
                rows.write(f"{m['id']}\t{m['path']}\t包头市九原区{town_names[codes[1]]}{villages.get(codes[2], '')}\n")
            rows.seek(0)
            cursor.cursor.copy_expert("COPY bench_mg FROM STDIN", rows)
            columns = ", ".join(f"{name} {PG_TYPES[kind]} NOT NULL" for name, kind in STAGE)
            nullable = []
            for name, kind in STAGE:
                if kind == "ts":
                    nullable.append(f"NULLIF({name}, 'infinity') AS {name}")
                elif kind == "id":
                    nullable.append(f"NULLIF({name}, 0) AS {name}")
                else:
                    nullable.append(name)
            for w in range(WORKERS):
                cursor.execute(f"DROP TABLE IF EXISTS bench_stage{w} CASCADE")
                cursor.execute(f"CREATE UNLOGGED TABLE bench_stage{w} ({columns})")
                # The stage as the SQL reads it: NULL where the plan says "never".
                cursor.execute(f"CREATE VIEW sv{w} AS SELECT {', '.join(nullable)} FROM bench_stage{w}")

    def cleanup(self) -> None:
        tables = ", ".join(["bench_text", "bench_mg"] + [f"bench_stage{w}" for w in range(WORKERS)])
        self._execute(f"DROP TABLE IF EXISTS {tables} CASCADE")

    # -- the stage -------------------------------------------------------------------------------

    def stage(self, plan: dict, idx: np.ndarray) -> dict:
        """The stage rows of the cases `idx` of the plan: ids in order of creation."""
        idx = idx[np.argsort(plan["created"][idx], kind="stable")]
        k = len(idx)
        cols = {name: plan[name][idx] for name, _kind in STAGE if name in plan}
        ids = self.next_case_id + np.arange(k, dtype=np.int64)
        cols["id"] = ids
        # A duplicate is merged into the case reported just before it (after it, for the first of a
        # worker's half: both workers read the number of the target from their own stage).
        merged = plan["status"][idx] == STATUSES.index("merged")
        first_of_half = np.isin(np.arange(k), [lo for lo, _hi in self.halves(k)])
        cols["merged_into"] = np.where(merged, np.where(first_of_half, ids + 1, ids - 1), 0)
        returned, dispatched, has_co = plan["returned"][idx], plan["dispatched"][idx], plan["has_co"][idx]
        per_case = returned.astype(np.int64) + dispatched + has_co
        first = self.next_assignment_id + np.concatenate([[0], np.cumsum(per_case)[:-1]])
        cols["ret_asg"] = np.where(returned, first, 0)
        cols["lead_asg"] = np.where(dispatched, first + returned, 0)
        cols["co_asg"] = np.where(has_co, first + returned + 1, 0)
        self.next_case_id += k
        self.next_assignment_id += int(per_case.sum())
        return cols

    @staticmethod
    def halves(k: int) -> list[tuple[int, int]]:
        bounds = [k * w // WORKERS for w in range(WORKERS + 1)]
        return list(zip(bounds, bounds[1:], strict=False))

    @staticmethod
    def copy_stage(table: str, cols: dict, lo: int, hi: int, chunk: int = 50_000) -> None:
        """COPY rows lo:hi of the stage columns into `table`, in PostgreSQL's binary format: a field
        count, then (length, big-endian value) per field; numpy lays out a whole chunk at once."""
        header = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
        n = len(STAGE)
        record = np.dtype([("n", ">i2"), ("f", [("len", ">i4"), ("value", ">i8")], (n,))])
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {table}")
            for start in range(lo, hi, chunk):
                end = min(hi, start + chunk)
                values = np.empty((n, end - start), dtype=np.int64)
                for i, (name, kind) in enumerate(STAGE):
                    v = cols[name][start:end]
                    if kind == "ts":
                        v = np.where(v == NONE, INFINITY_US, (v - EPOCH_2000) * 1_000_000)
                    elif kind == "float":
                        v = v.astype(np.float64).view(np.int64)  # the IEEE bits, byte-swapped like an int8
                    values[i] = v
                rows = np.empty(end - start, dtype=record)
                rows["n"] = n
                rows["f"]["len"] = 8
                rows["f"]["value"] = values.T
                payload = io.BytesIO(header + rows.tobytes() + struct.pack(">h", -1))
                cursor.cursor.copy_expert(f"COPY {table} FROM STDIN WITH (FORMAT binary)", payload)

    # -- expansion -------------------------------------------------------------------------------

    def expand(self, w: int, step: Progress) -> dict[str, int]:
        """Cases, then what hangs off them, each in one set-based statement over stage `w`."""
        district, district_staff = int(self.world.district_id), int(self.world.district_staff)
        counts = {}

        def center_actor(at: str) -> str:
            """Center staff acting at `at`: the district center's once the case was escalated."""
            return f"CASE WHEN s.t_escalate < {at} THEN {district_staff} ELSE s.center_actor END"

        def run(name: str, sql: str, params=None) -> None:
            counts[name] = self._execute(
                sql.replace(" sv s", f" sv{w} s").replace(" bench_stage ", f" bench_stage{w} "), params
            )
            step(f"{counts[name]:,} {name}")

        run(
            "cases",
            f"""
            INSERT INTO disputes_case (
                id, number, kind, title, description, lat, lng, address, area_path, urgency, source,
                involved_people, status, satisfaction, sign_deadline, handle_deadline, next_deadline_at, overdue,
                return_count, created_at, updated_at, dispatched_at, handled_at, closed_at, area_id, center_id,
                merged_into_id, reporter_id, town_id, category_id, feedback_unreachable)
            SELECT s.id,
                {_number("s")},
                c.kind, t.title, t.description, s.lat, s.lng, m.addr || (s.id % 30 + 1) || '号楼附近', m.path,
                {_pick(URGENCIES, "s.urgency")}, {_pick(SOURCES, "s.source")}, '',
                {_pick(STATUSES, "s.status")}, {_pick(SATISFACTIONS, "s.satisfaction")},
                s.case_sign_deadline, s.case_handle_deadline, s.case_next, s.overdue <> 0, s.return_count,
                s.created, s.updated_at, s.t_dispatch, s.handled_at, s.closed_at, s.area, s.center,
                s.merged_into, s.reporter, s.town, s.cat, false
            FROM sv s
            JOIN bench_mg m ON m.id = s.area
            JOIN disputes_category c ON c.id = s.cat
            JOIN bench_text t ON t.category_id = s.cat AND t.variant = s.variant""",
        )

        # The returned first lead, the lead, the co-department: one pass over the stage, ids ascending.
        run(
            "assignments",
            _fan_out(
                "disputes_assignment",
                key=("id", "bigint"),
                columns=[
                    "case_id",
                    "department_id",
                    "role",
                    "status",
                    "dispatched_at",
                    "sign_deadline",
                    "handle_deadline",
                    "signed_at",
                    "finished_at",
                    "return_reason_code",
                    "return_reason",
                    "result",
                    "overdue",
                    "sign_warn_at",
                    "handle_warn_at",
                    "sign_alert",
                    "handle_alert",
                    "next_deadline_at",
                ],
                rows=[
                    (
                        "s.ret_asg",
                        "s.id",
                        "s.ret_dept",
                        "'lead'",
                        "'returned'",
                        "s.t_ret_dispatch",
                        "s.ret_sign_deadline",
                        "s.ret_handle_deadline",
                        "NULL::timestamptz",
                        "s.t_ret",
                        _pick(RETURN_REASONS, "s.ret_reason"),
                        "'非本部门职责范围,请中心重新派单。'",
                        "''",
                        "false",
                        "s.ret_sign_warn",
                        "s.ret_handle_warn",
                        "''",
                        "''",
                        "NULL::timestamptz",
                    ),
                    (
                        "s.lead_asg",
                        "s.id",
                        "s.lead_dept",
                        "'lead'",
                        _pick(LEAD_STATUSES, "s.lead_status"),
                        "s.t_dispatch",
                        "s.sign_deadline",
                        "s.handle_deadline",
                        "s.lead_signed",
                        "s.lead_finished",
                        "''",
                        "''",
                        "CASE WHEN s.lead_status = 2 THEN t.result ELSE '' END",
                        "s.lead_overdue <> 0",
                        "s.sign_warn",
                        "s.handle_warn",
                        _pick(ALERTS, "s.lead_sign_alert"),
                        _pick(ALERTS, "s.lead_handle_alert"),
                        "s.lead_next",
                    ),
                    (
                        "s.co_asg",
                        "s.id",
                        "s.co_dept",
                        "'co'",
                        _pick(CO_STATUSES, "s.co_status"),
                        "s.t_dispatch",
                        "s.sign_deadline",
                        "s.handle_deadline0",
                        "s.co_signed",
                        "s.co_finished",
                        "''",
                        "''",
                        "CASE WHEN s.co_status = 2 THEN '已配合完成相关工作。' ELSE '' END",
                        "s.co_overdue <> 0",
                        "s.sign_warn",
                        "s.handle_warn0",
                        _pick(ALERTS, "s.co_sign_alert"),
                        _pick(ALERTS, "s.co_handle_alert"),
                        "s.co_next",
                    ),
                ],
                joins="JOIN bench_text t ON t.category_id = s.cat AND t.variant = s.variant",
            ),
        )

        escalated = f"CASE WHEN s.esc_auto = 1 AND s.t_escalate = e.key THEN {district} END"
        run(
            "alerts",
            _fan_out(
                "disputes_deadlinealert",
                key=("created_at", "timestamptz"),
                columns=[
                    "case_id",
                    "assignment_id",
                    "department_id",
                    "clock",
                    "level",
                    "deadline",
                    "sweep",
                    "escalated_to_id",
                ],
                rows=[
                    (
                        "s.l_sy",
                        "s.id",
                        "s.lead_asg",
                        "s.lead_dept",
                        "'sign'",
                        "'yellow'",
                        "s.sign_deadline",
                        "'bench-seed'",
                        "NULL::bigint",
                    ),
                    (
                        "s.l_sr",
                        "s.id",
                        "s.lead_asg",
                        "s.lead_dept",
                        "'sign'",
                        "'red'",
                        "s.sign_deadline",
                        "'bench-seed'",
                        escalated,
                    ),
                    (
                        "s.l_hy",
                        "s.id",
                        "s.lead_asg",
                        "s.lead_dept",
                        "'handle'",
                        "'yellow'",
                        "s.handle_deadline",
                        "'bench-seed'",
                        "NULL::bigint",
                    ),
                    (
                        "s.l_hr",
                        "s.id",
                        "s.lead_asg",
                        "s.lead_dept",
                        "'handle'",
                        "'red'",
                        "s.handle_deadline",
                        "'bench-seed'",
                        escalated,
                    ),
                    (
                        "s.c_sy",
                        "s.id",
                        "s.co_asg",
                        "s.co_dept",
                        "'sign'",
                        "'yellow'",
                        "s.sign_deadline",
                        "'bench-seed'",
                        "NULL::bigint",
                    ),
                    (
                        "s.c_sr",
                        "s.id",
                        "s.co_asg",
                        "s.co_dept",
                        "'sign'",
                        "'red'",
                        "s.sign_deadline",
                        "'bench-seed'",
                        escalated,
                    ),
                    (
                        "s.c_hy",
                        "s.id",
                        "s.co_asg",
                        "s.co_dept",
                        "'handle'",
                        "'yellow'",
                        "s.handle_deadline0",
                        "'bench-seed'",
                        "NULL::bigint",
                    ),
                    (
                        "s.c_hr",
                        "s.id",
                        "s.co_asg",
                        "s.co_dept",
                        "'handle'",
                        "'red'",
                        "s.handle_deadline0",
                        "'bench-seed'",
                        escalated,
                    ),
                ],
            ),
        )

        def dept(d: str, n: str, extra: str = "") -> str:
            return f"jsonb_build_object('department', {d}, 'department_name', {n}.name{extra})"

        def status_at(at: str) -> str:
            return f"CASE WHEN s.lead_signed <= {at} THEN 'in_progress' ELSE 'dispatched' END"

        empty = "'{}'::jsonb"
        reason = _pick(RETURN_REASONS, "s.ret_reason")
        # (moment, case, action, from status, to status, actor, comment, data); NULL moment: no such event.
        events = [
            (
                "s.created",
                "'report'",
                "''",
                "'reported'",
                "s.reporter",
                "''",
                "jsonb_build_object('area', s.area, 'lat', s.lat, 'lng', s.lng, 'attachments', 0)",
            ),
            (
                "CASE WHEN s.flow = 0 THEN s.t_rm END",
                "'reject'",
                "'reported'",
                "'rejected'",
                "s.center_actor",
                "'不属于社会治理事项受理范围,已告知反映人通过其他渠道解决。'",
                empty,
            ),
            (
                "CASE WHEN s.flow = 1 THEN s.t_rm END",
                "'merge'",
                "'reported'",
                "'merged'",
                "s.center_actor",
                "''",
                f"jsonb_build_object('into', s.merged_into, 'into_number', {_number('mi')})",
            ),
            ("s.t_resolve", "'resolve_on_site'", "'reported'", "'verified'", "s.reporter", "t.result", empty),
            ("s.t_accept", "'accept'", "'reported'", "'accepted'", "s.center_actor", "''", empty),
            (
                "CASE WHEN s.esc_auto = 0 THEN s.t_escalate END",
                "'escalate'",
                "'accepted'",
                "'accepted'",
                "s.center_actor",
                "'涉及多个部门,需区级协调处置'",
                f"jsonb_build_object('from_center', s.town, 'to_center', {district}, 'automatic', false)",
            ),
            (
                "s.t_ret_dispatch",
                "'dispatch'",
                "'accepted'",
                "'dispatched'",
                center_actor("e.key"),
                "''",
                "jsonb_build_object('lead_department', s.ret_dept, 'lead_department_name', rd.name,"
                " 'co_departments', '[]'::jsonb, 'co_department_names', '[]'::jsonb,"
                f" 'sign_deadline', {_iso('s.ret_sign_deadline')}, 'handle_deadline', {_iso('s.ret_handle_deadline')})",
            ),
            (
                "s.t_ret",
                "'return'",
                "'dispatched'",
                "'accepted'",
                "s.ret_actor",
                "'非本部门职责范围,请中心重新派单。'",
                dept("s.ret_dept", "rd", f", 'role', 'lead', 'reason_code', {reason}"),
            ),
            (
                "s.t_dispatch",
                "'dispatch'",
                "'accepted'",
                "'dispatched'",
                center_actor("e.key"),
                "''",
                "jsonb_build_object('lead_department', s.lead_dept, 'lead_department_name', ld.name,"
                " 'co_departments', CASE WHEN s.co_dept IS NULL THEN '[]'::jsonb ELSE jsonb_build_array(s.co_dept) END,"
                " 'co_department_names', CASE WHEN s.co_dept IS NULL THEN '[]'::jsonb ELSE jsonb_build_array(cd.name) END,"
                f" 'sign_deadline', {_iso('s.sign_deadline')}, 'handle_deadline', {_iso('s.handle_deadline0')})",
            ),
            (
                "s.lead_signed",
                "'sign'",
                "'dispatched'",
                "'in_progress'",
                "s.lead_actor",
                "''",
                dept("s.lead_dept", "ld", ", 'role', 'lead'"),
            ),
            (
                "s.co_signed",
                "'sign'",
                status_at("e.key"),
                status_at("e.key"),
                "s.co_actor",
                "''",
                dept("s.co_dept", "cd", ", 'role', 'co'"),
            ),
            (
                "s.p1",
                "'progress'",
                "'in_progress'",
                "'in_progress'",
                "s.lead_actor",
                "t.progress1",
                dept("s.lead_dept", "ld"),
            ),
            (
                "s.p2",
                "'progress'",
                "'in_progress'",
                "'in_progress'",
                "s.lead_actor",
                "t.progress2",
                dept("s.lead_dept", "ld"),
            ),
            (
                "s.t_ext_req",
                "'request_extension'",
                "'in_progress'",
                "'in_progress'",
                "s.lead_actor",
                "'需协调相关单位,申请延期办理。'",
                "jsonb_build_object('days', s.ext_days)",
            ),
            (
                "s.t_ext_dec",
                "CASE WHEN s.ext_status = 2 THEN 'approve_extension' ELSE 'refuse_extension' END",
                "'in_progress'",
                "'in_progress'",
                center_actor("e.key"),
                "''",
                "CASE WHEN s.ext_status = 2 THEN jsonb_build_object('days', s.ext_days, 'handle_deadline', "
                f"{_iso('s.handle_deadline')}) ELSE jsonb_build_object('days', s.ext_days) END",
            ),
            (
                "CASE WHEN s.co_status = 2 THEN s.co_finished END",
                "'report'",
                "'in_progress'",
                "'in_progress'",
                "s.co_actor",
                "'已配合完成相关工作。'",
                dept("s.co_dept", "cd"),
            ),
            (
                "CASE WHEN s.lead_status = 2 THEN s.lead_finished END",
                "'handle'",
                "'in_progress'",
                "'handled'",
                "s.lead_actor",
                "t.result",
                dept("s.lead_dept", "ld"),
            ),
            ("s.t_verify", "'verify'", "'handled'", "'verified'", center_actor("e.key"), "''", empty),
            (
                "s.t_feedback",
                "'feedback'",
                "'verified'",
                "'verified'",
                center_actor("e.key"),
                "''",
                f"jsonb_build_object('satisfaction', {_pick(SATISFACTIONS, 's.satisfaction')})",
            ),
            ("s.t_close", "'close'", "'verified'", "'closed'", center_actor("e.key"), "''", empty),
            (
                "CASE WHEN s.esc_auto = 1 THEN s.t_escalate END",
                "'escalate'",
                status_at("e.key"),
                status_at("e.key"),
                "NULL::bigint",
                "''",  # the note is rendered at read time (disputes/events.py: system_note)
                f"jsonb_build_object('from_center', s.town, 'to_center', {district}, 'automatic', true)",
            ),
        ]
        flow = _fan_out(
            "disputes_caseevent",
            key=("created_at", "timestamptz"),
            columns=["case_id", "action", "from_status", "to_status", "actor_id", "comment", "data"],
            rows=[(at, "s.id", *rest) for at, *rest in events],
            # report, accept, dispatch, sign, verify, feedback, close, handle: nearly every case has them.
            frequent=(1, 5, 9, 10, 18, 19, 20, 17, 12, 4),
            joins="""JOIN bench_text t ON t.category_id = s.cat AND t.variant = s.variant
                LEFT JOIN grids_department ld ON ld.id = s.lead_dept
                LEFT JOIN grids_department cd ON cd.id = s.co_dept
                LEFT JOIN grids_department rd ON rd.id = s.ret_dept
                LEFT JOIN bench_stage mi ON mi.id = s.merged_into""",
        )
        run("events", flow)
        alert_status = f"CASE WHEN a.clock = 'handle' THEN 'in_progress' ELSE {status_at('a.created_at')} END"
        run(
            "alert events",
            f"""
            INSERT INTO disputes_caseevent (created_at, case_id, action, from_status, to_status, actor_id, comment, data)
            SELECT a.created_at, a.case_id, 'deadline_' || a.level, {alert_status}, {alert_status}, NULL, '',
                jsonb_build_object('department', a.department_id, 'department_name', d.name,
                    'clock', a.clock, 'deadline', {_iso("a.deadline")})
            FROM disputes_deadlinealert a
            JOIN sv s ON s.id = a.case_id
            JOIN grids_department d ON d.id = a.department_id""",
        )

        run(
            "extensions",
            f"""
            INSERT INTO disputes_extensionrequest (
                case_id, assignment_id, days, reason, status, requested_at, decided_at, comment,
                requested_by_id, decided_by_id)
            SELECT s.id, s.lead_asg, s.ext_days, '需协调相关单位,申请延期办理。',
                CASE s.ext_status WHEN 1 THEN 'pending' WHEN 2 THEN 'approved' ELSE 'refused' END,
                s.t_ext_req, s.t_ext_dec, '', s.lead_actor,
                CASE WHEN s.t_ext_dec IS NOT NULL THEN {center_actor("s.t_ext_dec")} END
            FROM sv s WHERE s.t_ext_req IS NOT NULL""",
        )

        # What dispatch grants (disputes.services._sync_department_access): view and act, per department
        # still on the case; the department that returned it lost them.
        run(
            "permissions",
            """
            INSERT INTO disputes_casegroupobjectpermission (content_object_id, group_id, permission_id)
            SELECT s.id, d.group_id, p.id
            FROM sv s
            CROSS JOIN LATERAL unnest(ARRAY[s.lead_dept, s.co_dept]) AS e(dept)
            JOIN grids_department d ON d.id = e.dept
            CROSS JOIN (
                SELECT id FROM auth_permission
                WHERE content_type_id = %s AND codename = 'view_case'
            ) p
            WHERE s.lead_asg IS NOT NULL""",
            [self.content_type],
        )
        return counts

    # -- indexes, sequences, statistics ---------------------------------------------------------------

    def reset_sequences(self) -> None:
        with connection.cursor() as cursor:
            for table in [*BIG_TABLES, "disputes_extensionrequest"]:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST((SELECT max(id) FROM {table}), 1))"
                )

    def number_sequences(self, plan: dict) -> None:
        """Case numbers continue each day's counter (the demo's own cases took the first ones), and
        the counters end after the plan's last number, so that intake continues after them."""
        epoch = date(1970, 1, 1)
        existing = {(day - epoch).days: last for day, last in CaseNumberSequence.objects.values_list("day", "last")}
        days = np.unique(plan["day"])
        offset = np.array([existing.get(d, 0) for d in days.tolist()], dtype=np.int64)
        plan["seq"] = plan["seq"] + offset[np.searchsorted(days, plan["day"])]
        last = np.zeros(len(days), dtype=np.int64)
        np.maximum.at(last, np.searchsorted(days, plan["day"]), plan["seq"])
        rows = io.StringIO()
        for d, n in zip(days.tolist(), last.tolist(), strict=True):
            rows.write(f"{(epoch + timedelta(days=d)).isoformat()}\t{n}\n")
        rows.seek(0)
        with connection.cursor() as cursor:
            cursor.execute("CREATE TEMP TABLE bench_days (day date, last integer)")
            cursor.cursor.copy_expert("COPY bench_days FROM STDIN", rows)
            cursor.execute(
                "INSERT INTO disputes_casenumbersequence (day, last) SELECT day, last FROM bench_days "
                "ON CONFLICT (day) DO UPDATE SET last = GREATEST(disputes_casenumbersequence.last, EXCLUDED.last)"
            )
            cursor.execute("DROP TABLE bench_days")

    # -- one phase -------------------------------------------------------------------------------

    SESSION = (
        "SET synchronous_commit = off",
        "SET jit = off",  # compiling these one-off statements costs more than it saves
        "SET work_mem = '256MB'",
        "SET maintenance_work_mem = '512MB'",
        "SET session_replication_role = replica",  # no foreign-key triggers: the plan's ids exist
    )

    def _session(self) -> None:
        with connection.cursor() as cursor:
            for setting in self.SESSION:
                try:
                    with transaction.atomic():
                        cursor.execute(setting)
                except DatabaseError as exc:  # e.g. not a superuser: foreign keys stay checked, slower
                    self.progress(f"  ({setting!r} refused: {exc})")

    def _in_parallel(self, jobs: list[Callable[[], object]]) -> list:
        """Run each job on its own thread and database session; errors propagate."""

        def run(job):
            try:
                self._session()
                return job()
            finally:
                connection.close()

        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            return [f.result() for f in [pool.submit(run, job) for job in jobs]]

    def load(self, plan: dict, idx: np.ndarray) -> dict[str, int]:
        """Load the planned cases `idx` and everything that hangs off them, in two halves at once."""
        started = time.monotonic()

        def step(message: str) -> None:
            self.progress(f"  [{time.monotonic() - started:6.1f}s] {message}")

        cols = self.stage(plan, idx)
        ddl = drop_indexes(BIG_TABLES)
        step(f"{len(idx):,} cases planned; dropped {len(ddl)} indexes and constraints of the big tables")

        def half(w: int, lo: int, hi: int):
            def job():
                self.copy_stage(f"bench_stage{w}", cols, lo, hi)
                step(f"worker {w}: stage COPY, {hi - lo:,} rows")
                with transaction.atomic():
                    return self.expand(w, lambda m: step(f"worker {w}: {m}"))

            return job

        results = self._in_parallel([half(w, lo, hi) for w, (lo, hi) in enumerate(self.halves(len(idx)))])
        counts = {name: sum(r[name] for r in results) for name in results[0]}

        # Rebuild in two sessions too, pulling from one queue, the biggest tables first.
        slowest = rebuild_indexes(ddl, sessions=WORKERS, session=self._session)[:3]
        step(
            f"rebuilt {len(ddl)} indexes and constraints (slowest: "
            + ", ".join(f"{sec:.1f}s {sql.split(' ON ')[0].split()[-1]}" for sec, sql in slowest)
            + ")"
        )
        self.reset_sequences()
        self._in_parallel(
            [
                lambda: self.vacuum(["disputes_caseevent"]),
                lambda: self.vacuum(
                    [t for t in BIG_TABLES if t != "disputes_caseevent"] + ["disputes_extensionrequest"]
                ),
            ]
        )
        for w in range(WORKERS):
            self._execute(f"TRUNCATE bench_stage{w}")
        step("VACUUM ANALYZE")
        return counts

    @staticmethod
    def vacuum(tables: list[str]) -> None:
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"VACUUM (ANALYZE) {table}")
