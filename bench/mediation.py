"""Disputes at the seeds' ratio to cases, set-based, and the mediation measures.

Yongren's 苴却 community took 100+ requests in two years and mediated 85 disputes (DOMAIN.md §5):
the bench seeds 0.85 disputes per case, over the same two years, in the same micro-grids. Each
dispute is registered, most are assigned to the committee of their village (else their town) and a
mediator of it, and the older ones have gone through mediation to an agreement (or a failure and a
referral) and closed; the recent ones are still open, with their deadline alerts. Each has two
parties and the timeline events of its life.

All of it is plain `INSERT … SELECT` from `generate_series` with the indexes dropped and rebuilt
(`bench.load`), so 850,000 disputes at 1M cases cost seconds, not an hour of services.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.db import connection, transaction

from .load import drop_indexes, rebuild_indexes

DISPUTES_PER_CASE = 0.85
TABLES = ["disputes_dispute", "disputes_party", "disputes_disputeevent"]
KINDS = [
    ("neighbour", 30),
    ("marriage_family", 18),
    ("property_management", 10),
    ("labour", 10),
    ("land_property", 8),
    ("consumer", 6),
    ("traffic", 6),
    ("medical", 3),
    ("school", 2),
    ("environment", 3),
    ("other", 4),
]
SOURCES = ["screening", "grid_worker", "walk_in", "petition", "court_referral", "police_referral"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["建国", "桂兰", "秀英", "志强", "海燕", "德明", "玉梅", "春生", "丽娟", "宝山"]


def _kinds_sql() -> str:
    """A kind from a uniform number u in [0, 1), by the weights above."""
    total = sum(w for _k, w in KINDS)
    whens, acc = [], 0
    for kind, weight in KINDS[:-1]:
        acc += weight
        whens.append(f"WHEN u < {acc / total:.4f} THEN '{kind}'")
    return f"CASE {' '.join(whens)} ELSE '{KINDS[-1][0]}' END"


def seed_disputes(*, cases: int, anchor: int, progress: Callable[[str], None]) -> dict[str, int]:
    """Insert round(0.85 × cases) disputes with their parties and events; returns the row counts."""
    n = round(cases * DISPUTES_PER_CASE)
    started = time.monotonic()

    def step(message: str) -> None:
        progress(f"  [{time.monotonic() - started:6.1f}s] {message}")

    ddl = drop_indexes(TABLES)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        # Where disputes happen: every micro-grid, with the committee of its village (else its town)
        # and the first active mediator of that committee.
        cursor.execute(
            """
            CREATE TEMP TABLE bench_med_area ON COMMIT DROP AS
            SELECT row_number() OVER (ORDER BY m.id) AS rn, m.id AS area_id, m.path AS area_path,
                   t.id AS town_id, vo.id AS village_org, vm.user_id AS village_mediator,
                   tw.id AS town_org, tm.user_id AS town_mediator
            FROM grids_area m
            JOIN grids_area t ON t.level = 'town' AND m.path LIKE t.path || '%'
            LEFT JOIN LATERAL (
                SELECT o.id FROM disputes_mediationorg o
                WHERE o.active AND o.kind = 'village_committee' AND m.path LIKE o.area_path || '%'
                ORDER BY o.id LIMIT 1
            ) vo ON true
            LEFT JOIN LATERAL (
                SELECT x.user_id FROM disputes_mediator x
                WHERE x.organisation_id = vo.id AND x.active ORDER BY x.id LIMIT 1
            ) vm ON true
            LEFT JOIN LATERAL (
                SELECT o.id FROM disputes_mediationorg o
                WHERE o.active AND o.kind = 'town_committee' AND o.area_id = t.id ORDER BY o.id LIMIT 1
            ) tw ON true
            LEFT JOIN LATERAL (
                SELECT x.user_id FROM disputes_mediator x
                WHERE x.organisation_id = tw.id AND x.active ORDER BY x.id LIMIT 1
            ) tm ON true
            WHERE m.level = 'micro_grid'
            """
        )
        cursor.execute("SELECT count(*) FROM bench_med_area")
        areas = cursor.fetchone()[0]
        cursor.execute("SELECT id FROM grids_user WHERE is_active ORDER BY (username = 'grid_a') DESC, id LIMIT 1")
        reporter = cursor.fetchone()[0]
        # One row per dispute: its place, its moments and how far its life got by the anchor.
        cursor.execute(
            f"""
            CREATE TEMP TABLE bench_med ON COMMIT DROP AS
            SELECT g AS i, a.area_id, a.area_path, a.town_id, s.created_at, s.u, s.v,
                   CASE WHEN s.u < 0.6 AND a.village_org IS NOT NULL THEN a.village_org ELSE a.town_org END AS org_id,
                   CASE WHEN s.u < 0.6 AND a.village_org IS NOT NULL THEN a.village_mediator
                        ELSE a.town_mediator END AS mediator_id,
                   CASE
                     WHEN s.age_days < 3 THEN 'reported'
                     WHEN a.village_org IS NULL AND a.town_org IS NULL THEN 'reported'
                     WHEN s.age_days < 7 THEN 'assigned'
                     WHEN s.age_days < 30 THEN 'mediating'
                     WHEN s.v < 0.06 THEN 'referred'
                     WHEN s.age_days < 45 AND s.v < 0.5 THEN 'agreed'
                     ELSE 'closed'
                   END AS status
            FROM generate_series(1, %(n)s) g
            CROSS JOIN LATERAL (
                -- g in the expressions: an uncorrelated LATERAL would be computed once for all rows
                SELECT to_timestamp(%(anchor)s) - (power(random() + 0 * g, 1.3) * interval '730 days') AS created_at,
                       random() + 0 * g AS u, random() + 0 * g AS v
            ) r
            CROSS JOIN LATERAL (
                SELECT r.created_at, r.u, r.v,
                       extract(epoch FROM to_timestamp(%(anchor)s) - r.created_at) / 86400 AS age_days
            ) s
            JOIN bench_med_area a ON a.rn = 1 + (g::bigint * 7919) %% {areas}
            """,
            {"n": n, "anchor": anchor},
        )
        # Numbers continue each day's counter, whatever already holds it (the demo's disputes too).
        cursor.execute(
            """
            CREATE TEMP TABLE bench_med_last ON COMMIT DROP AS
            SELECT day, max(last) AS last FROM (
                SELECT day, last FROM disputes_disputenumbersequence
                UNION ALL
                SELECT to_date(substr(number, 3, 8), 'YYYYMMDD'), substr(number, 12)::int
                FROM disputes_dispute WHERE number ~ '^TJ[0-9]{8}-[0-9]+$'
            ) x GROUP BY day
            """
        )
        step(f"{n:,} disputes planned over {areas:,} micro-grids")
        cursor.execute(
            f"""
            INSERT INTO disputes_dispute (
                number, kind, summary, source, area_id, area_path, town_id, address, amount_at_stake,
                people_involved, status, organisation_id, mediator_id, reporter_id, risk_level,
                risk_reasons, deadline, warn_at, deadline_alert, created_at, updated_at, assigned_at,
                accepted_at, agreed_at, failed_at, closed_at)
            SELECT
                'TJ' || to_char(created_at AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || '-'
                    || lpad(n::text, greatest(4, length(n::text)), '0'),
                {_kinds_sql()},
                '双方因' || CASE WHEN u < 0.3 THEN '相邻通道使用' WHEN u < 0.5 THEN '家庭赡养' ELSE '费用结算' END
                    || '发生争执,经多次协商未果,申请调解。',
                (ARRAY{SOURCES!r})[1 + floor(v * {len(SOURCES)})::int],
                area_id, area_path, town_id, '', CASE WHEN u > 0.8 THEN round((v * 200000)::numeric, 2) END,
                2 + floor(v * v * 8)::int, status,
                CASE WHEN status = 'reported' THEN NULL ELSE org_id END,
                CASE WHEN status = 'reported' THEN NULL ELSE mediator_id END,
                {reporter},
                CASE WHEN v > 0.97 THEN 'high' WHEN v > 0.85 THEN 'medium' ELSE 'low' END,
                '[]'::jsonb,
                created_at + interval '30 days', created_at + interval '24 days',
                CASE WHEN status IN ('reported', 'assigned', 'mediating')
                          AND created_at + interval '30 days' < to_timestamp(%(anchor)s) THEN 'red'
                     WHEN status IN ('reported', 'assigned', 'mediating')
                          AND created_at + interval '24 days' < to_timestamp(%(anchor)s) THEN 'yellow'
                     ELSE '' END,
                created_at, created_at + interval '1 day',
                CASE WHEN status <> 'reported' THEN created_at + interval '1 day' END,
                CASE WHEN status NOT IN ('reported', 'assigned') THEN created_at + interval '2 days' END,
                CASE WHEN status IN ('agreed', 'closed') THEN created_at + interval '12 days' END,
                CASE WHEN status = 'referred' THEN created_at + interval '15 days' END,
                CASE WHEN status = 'closed' THEN created_at + interval '40 days' END
            FROM (
                SELECT b.*, coalesce(l.last, 0) + row_number() OVER (
                    PARTITION BY (b.created_at AT TIME ZONE 'Asia/Shanghai')::date ORDER BY b.created_at, b.i
                ) AS n
                FROM bench_med b
                LEFT JOIN bench_med_last l ON l.day = (b.created_at AT TIME ZONE 'Asia/Shanghai')::date
            ) q
            ORDER BY created_at, i
            """,
            {"anchor": anchor},
        )
        step("disputes inserted")
        names = ", ".join(f"'{s}{g}'" for s in SURNAMES for g in GIVEN)
        cursor.execute(
            f"""
            INSERT INTO disputes_party (dispute_id, role, resident_id, name, phone, id_number)
            SELECT d.id, r.role, NULL, (ARRAY[{names}])[1 + ((d.id * r.k * 31) % {len(SURNAMES) * len(GIVEN)})], '', ''
            FROM disputes_dispute d
            CROSS JOIN (VALUES ('applicant', 1), ('respondent', 2)) r(role, k)
            """
        )
        step("parties inserted")
        # The timeline: registered, then each step its status says it took.
        cursor.execute(
            """
            INSERT INTO disputes_disputeevent (dispute_id, actor_id, kind, from_status, to_status, comment, data, created_at)
            SELECT d.id, CASE WHEN e.kind IN ('create', 'assign') THEN d.reporter_id ELSE d.mediator_id END,
                   e.kind, e.from_status, e.to_status, '', '{}'::jsonb, e.at
            FROM disputes_dispute d
            CROSS JOIN LATERAL (VALUES
                ('create', '', 'reported', d.created_at, true),
                ('assign', 'reported', 'assigned', d.assigned_at, d.assigned_at IS NOT NULL),
                ('accept', 'assigned', 'mediating', d.accepted_at, d.accepted_at IS NOT NULL),
                ('session', '', '', d.accepted_at + interval '3 days', d.accepted_at IS NOT NULL
                                                                       AND d.status <> 'mediating'),
                ('agree', 'mediating', 'agreed', d.agreed_at, d.agreed_at IS NOT NULL),
                ('fail', 'mediating', 'failed', d.failed_at, d.failed_at IS NOT NULL),
                ('refer', 'failed', 'referred', d.failed_at + interval '1 day', d.failed_at IS NOT NULL),
                ('close', 'agreed', 'closed', d.closed_at, d.closed_at IS NOT NULL)
            ) e(kind, from_status, to_status, at, happened)
            WHERE e.happened
            """
        )
        step("timeline events inserted")
        cursor.execute(
            """
            INSERT INTO disputes_disputenumbersequence (day, last)
            SELECT to_date(substr(number, 3, 8), 'YYYYMMDD'), max(substr(number, 12)::int)
            FROM disputes_dispute WHERE number ~ '^TJ[0-9]{8}-[0-9]+$'
            GROUP BY 1
            ON CONFLICT (day) DO UPDATE SET last = GREATEST(disputes_disputenumbersequence.last, EXCLUDED.last)
            """
        )
    rebuild_indexes(ddl, sessions=2)
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"VACUUM (ANALYZE) {table}")
        counts = {}
        for table in TABLES:
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
    step("indexes rebuilt, VACUUM ANALYZE")
    return counts
