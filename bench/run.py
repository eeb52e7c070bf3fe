"""The bench run: seed, measure at 100k and at N, intake, sweep, reports; then the table and JSON."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from .measure import Measure, Pages, core_aggregate_ms
from .seed import Seeder

GROWTH_BASE = 100_000
FLOOR_URL = "/bench/floor/"
# Repetitions and time budget (seconds) per measure: enough for a stable p95, bounded for CI.
READS = {
    "floor": (200, 10),
    "queue": (100, 15),
    "queue_all": (100, 15),
    "detail": (100, 15),
    "api_queue": (100, 15),
    "api_detail": (100, 15),
    "dashboard_district": (50, 20),
    "dashboard_town": (50, 15),
}


class Bench:
    def __init__(self, *, args, database_url: str, broker_url: str, secret_key: str, say: Callable[[str], None]):
        self.args = args
        self.database_url = database_url
        self.broker_url = broker_url
        self.secret_key = secret_key
        self.say = say
        self.anchor = int(time.time())
        self.errors: list[str] = []
        self.reads: dict[str, dict[str, Measure]] = {}  # scale label → name → measure
        self.core: dict[str, dict[str, tuple[float, float]]] = {}  # scale label → area → (p50, p95)
        self.variants: dict[str, dict[str, int]] = {}  # scale label → "name variant" → queries
        self.results: dict = {}
        self.scales: list[tuple[str, int]] = []

    # -- the run -----------------------------------------------------------------------------------

    def wants(self, step: str) -> bool:
        return not self.args.only or step in self.args.only

    def run(self) -> None:
        if self.args.from_seeded:
            self.run_from_seeded()
            return
        self.seeder = Seeder(scale=self.args.scale, anchor=self.anchor, seed=self.args.seed, progress=self.say)
        self.seeder.base()
        loaded = 0
        for i in range(len(self.seeder.phases)):
            self.seeder.load_phase(i)
            loaded += len(self.seeder.phases[i])
            label = f"{loaded // 1000}k" if loaded < 1_000_000 else f"{loaded / 1e6:g}M"
            self.scales.append((label, loaded))
            if self.wants("reads"):
                self.measure_reads(label)
        self.results["disputes"] = self.seeder.disputes()["disputes_dispute"]
        self.seeder.finish()
        self.results["seed_s"] = round(self.seeder.seconds, 1)
        self.results["seed_cases_s"] = round(self.seeder.case_seconds, 1)
        self.results["rollup_s"] = round(self.seeder.rollup_seconds, 1)
        if self.args.save_seeded:
            self.save_seeded()
        self.after_seed()

    def after_seed(self) -> None:
        for step in ("mediation", "intake", "writers", "sweep", "reports", "page_weight"):
            if self.wants(step):
                try:
                    getattr(self, step)()
                except Exception:  # noqa: BLE001 - one failed step must not hide the others
                    import traceback

                    traceback.print_exc()
                    self.errors.append(f"{step}: " + traceback.format_exc().strip().splitlines()[-1])

    def save_seeded(self) -> None:
        """Keep a copy of the seeded database (with its anchor) for `--from-seeded` runs."""
        from . import db

        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE IF NOT EXISTS bench_anchor (anchor bigint NOT NULL)")
            cursor.execute("DELETE FROM bench_anchor")
            cursor.execute("INSERT INTO bench_anchor VALUES (%s)", [self.anchor])
        connections.close_all()
        started = time.perf_counter()
        copy = db.save_seeded(self.database_url)
        self.say(f"seeded database copied to {copy}: {time.perf_counter() - started:.1f} s")

    def run_from_seeded(self) -> None:
        """The measures on a fresh copy of a seeded database: the reads at its scale only."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT anchor FROM bench_anchor")
            self.anchor = cursor.fetchone()[0]
        label = f"{self.args.scale // 1000}k" if self.args.scale < 1_000_000 else f"{self.args.scale / 1e6:g}M"
        self.scales.append((label, self.args.scale))
        if self.wants("reads"):
            self.measure_reads(label)
        self.after_seed()

    def page_weight(self) -> None:
        """Issue 17: compressed bytes of a grid worker's first visit and of the dashboard (bench/pageweight.py)."""
        from .pageweight import measure

        self.results.update(measure(grid_worker="grid_a", dashboard_user="official"))
        self.say(
            f"page weight: {self.results['phone_first_visit_kb']} KB phone, {self.results['dashboard_kb']} KB dashboard"
        )

    def close(self) -> None:
        connections.close_all()

    # -- reads ---------------------------------------------------------------------------------------

    def measure_reads(self, label: str) -> None:
        from grids.models import Area, Level

        self.say(f"measure at {label} cases")
        pages = Pages()
        district = Area.objects.get(level=Level.DISTRICT, parent=None, code__startswith="150207")
        town = Area.objects.filter(level=Level.TOWN, parent=district).order_by("code").first()
        if not hasattr(self, "detail_case"):
            self.detail_case, self.detail_case_long = self.pick_cases(town.path)
        m: dict[str, Measure] = {}
        plan = [
            ("floor", "center_town", FLOOR_URL),
            ("queue", "center_town", "/cases/?tab=new"),
            ("queue_all", "center_town", "/cases/?tab=all"),
            ("detail", "center_town", f"/cases/{self.detail_case}/"),
            ("api_queue", "center_town", "/api/v1/cases/"),
            ("api_detail", "center_town", f"/api/v1/cases/{self.detail_case}/"),
            ("dashboard_district", "official", f"/api/v1/dashboard/?area={district.pk}"),
            ("dashboard_town", "official", f"/api/v1/dashboard/?area={town.pk}"),
        ]
        for name, user, url in plan:
            reps, budget = READS[name]
            m[name] = pages.measure(name, user, url, reps=reps, budget_s=budget)
            self.say(
                f"  {name:<20} p50 {m[name].p50:8.1f} ms  p95 {m[name].p95:8.1f} ms  "
                f"{m[name].queries:3d} queries  ({len(m[name].samples_ms)} runs)"
            )
        # Query counts must not depend on the data: another page, a case with a longer timeline.
        self.variants[label] = {
            "queue page 1": m["queue_all"].queries,
            "queue page 3": pages.count_queries("center_town", "/cases/?tab=all&page=3"),
            "detail ~8 events": m["detail"].queries,
            f"detail {self.detail_case_long[1]} events": pages.count_queries(
                "center_town", f"/cases/{self.detail_case_long[0]}/"
            ),
        }
        lo, hi = self.period()
        self.core[label] = {
            "district": core_aggregate_ms(district.path, lo=lo, hi=hi, reps=20),
            "town": core_aggregate_ms(town.path, lo=lo, hi=hi, reps=20),
        }
        self.say(
            f"  core aggregate (raw SQL): district p50 {self.core[label]['district'][0]:.1f} ms, "
            f"town p50 {self.core[label]['town'][0]:.1f} ms"
        )
        self.reads[label] = m

    @staticmethod
    def period():
        """The dashboard's default period: the last 30 days, local dates."""
        from disputes.stats import day_bounds, local_today

        today = local_today()
        return day_bounds(today - timedelta(days=29), today + timedelta(days=1))

    @staticmethod
    def pick_cases(town_path: str) -> tuple[int, tuple[int, int]]:
        """A closed case of town 1 with 8 timeline events (the usual life), and one with the longest."""
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT e.case_id, count(*) FROM disputes_caseevent e
                JOIN disputes_case c ON c.id = e.case_id
                WHERE c.area_path LIKE %s AND c.status = 'closed' AND c.center_id = c.town_id
                GROUP BY e.case_id ORDER BY abs(count(*) - 8), e.case_id DESC LIMIT 1
                """,
                [town_path + "%"],
            )
            typical = cursor.fetchone()[0]
            cursor.execute(
                """
                SELECT e.case_id, count(*) FROM disputes_caseevent e
                JOIN disputes_case c ON c.id = e.case_id
                WHERE c.area_path LIKE %s
                GROUP BY e.case_id ORDER BY count(*) DESC, e.case_id DESC LIMIT 1
                """,
                [town_path + "%"],
            )
            longest = cursor.fetchone()
        return typical, (longest[0], longest[1])

    # -- intake ----------------------------------------------------------------------------------------

    def intake(self) -> None:
        from grids.models import Area, Level, Membership, Role

        from .intake import Server, run_intake, run_intake_wrk, summary, wrk_path

        grid = Membership.objects.get(user__username="grid_a", role=Role.GRID_WORKER).area
        points = list(
            Area.objects.filter(level=Level.MICRO_GRID, parent=grid)
            .order_by("code")
            .values_list("centroid_lat", "centroid_lng")
        )
        client = "wrk" if wrk_path() else "python threads (wrk not installed)"
        self.say(
            f"intake: gunicorn -w {self.args.workers}, {client}, {self.args.concurrency} connections, "
            f"{self.args.intake_seconds:g} s, POST /api/v1/cases/ as grid_a at {len(points)} micro-grid centroids"
        )
        connections.close_all()  # the server's workers get the database to themselves
        with Server(
            database_url=self.database_url,
            broker_url=self.broker_url,
            secret_key=self.secret_key,
            workers=self.args.workers,
        ) as server:
            token = server.token("grid_a", settings.DEMO_PASSWORD)
            for _i in range(4):  # warm both workers: imports, the routing index, connections
                server.request("GET", "/api/v1/me/", token=token)
            run = run_intake_wrk if wrk_path() else run_intake
            result = run(
                server,
                token=token,
                points=points,
                seconds=self.args.intake_seconds,
                concurrency=self.args.concurrency,
            )
            if result.errors:
                self.say("  gunicorn log:\n" + server.tail())
        self.results.update(summary(result))
        self.say(
            f"  {result.requests} requests in {result.seconds:.1f} s: {result.rps:.0f} req/s, "
            f"{result.errors} errors, p50 {self.results['intake_p50_ms']} ms, p95 {self.results['intake_p95_ms']} ms"
        )
        for error in result.first_errors:
            self.say(f"  error: {error}")
        if result.errors:
            self.errors.append(f"{result.errors} intake errors")

    # -- writers -------------------------------------------------------------------------------------

    def writers(self) -> None:
        from .writers import pick_work, run_writers

        seconds = self.args.write_seconds
        work = pick_work(8)
        for n in (1, 8):
            self.say(f"writers: {n} process(es) writing progress notes on different cases for {seconds:g} s")
            result = run_writers(n, seconds, work)
            self.say(
                f"  {result.actions} actions: {result.rps:.0f}/s, {result.errors} errors, "
                f"{result.lock_waits} lock-wait samples"
                + (f" on {sorted(result.waited_on)}" if result.waited_on else "")
            )
            for error in result.first_errors:
                self.say(f"  error: {error}")
            suffix = "_1" if n == 1 else ""
            self.results[f"write_rps{suffix}"] = round(result.rps, 1)
            self.results[f"write_errors{suffix}"] = result.errors
            self.results[f"write_lock_waits{suffix}"] = result.lock_waits
            if n == 8:
                self.results["write_writers"] = n
                self.results["write_waited_on"] = sorted(result.waited_on)
            if result.errors:
                self.errors.append(f"{result.errors} writer errors with {n} writers")

    # -- sweep ---------------------------------------------------------------------------------------

    def sweep(self) -> None:
        from disputes.models import Assignment
        from disputes.sweep import sweep_deadlines

        now = datetime.fromtimestamp(self.anchor, tz=UTC)
        due = Assignment.objects.filter(next_deadline_at__lte=now).count()
        self.say(f"sweep at the seeded moment ({timezone.localtime(now):%Y-%m-%d %H:%M}): {due:,} assignments due")
        started = time.perf_counter()
        first = sweep_deadlines(now=now)
        sweep_s = time.perf_counter() - started
        self.say(f"  first sweep: {sweep_s:.2f} s — {first}")
        started = time.perf_counter()
        second = sweep_deadlines(now=now)
        second_s = time.perf_counter() - started
        self.say(f"  second sweep, same moment: {second_s:.2f} s — {second}")
        self.results.update(
            sweep_due=due,
            sweep_s=round(sweep_s, 2),
            sweep_yellow=first.yellow,
            sweep_red=first.red,
            sweep_escalated=first.escalated,
            sweep_batches=first.batches,
            sweep_second_s=round(second_s, 2),
            sweep_second_changes=second.changes,
        )
        if second.changes:
            self.errors.append(f"the second sweep changed {second.changes} things")

    # -- mediation -----------------------------------------------------------------------------------

    def mediation(self) -> None:
        """The mediator's queue and a dispute's page with the disputes seeded, and the mediation sweep."""
        from disputes.mediation.models import Dispute
        from disputes.mediation.sweep import sweep_disputes

        pages = Pages()
        mediator_org = (
            Dispute.objects.filter(mediator__username="mediator").values_list("organisation_id", flat=True).first()
        )
        detail = (
            Dispute.objects.filter(organisation_id=mediator_org, status="closed")
            .order_by("-id")
            .values_list("pk", flat=True)
            .first()
            if mediator_org
            else Dispute.objects.order_by("-id").values_list("pk", flat=True).first()
        )
        in_queue = Dispute.objects.filter(organisation_id=mediator_org).count() if mediator_org else 0
        self.say(f"mediation: {Dispute.objects.count():,} disputes; the mediator's committee has {in_queue:,}")
        plan = [
            ("mediator_queue", "mediator", "/disputes/"),
            ("mediator_queue_all", "mediator", "/disputes/?tab=all"),
            ("center_disputes", "center_town", "/disputes/?tab=all"),
            ("dispute_detail", "mediator", f"/disputes/{detail}/"),
            ("api_disputes", "mediator", "/api/v1/disputes/"),
        ]
        figures = {}
        for name, user, url in plan:
            m = pages.measure(name, user, url, reps=60, budget_s=8)
            figures[name] = {"p50_ms": round(m.p50, 1), "p95_ms": round(m.p95, 1), "queries": m.queries}
            if m.status != 200:
                self.errors.append(f"{name}: {url} answered {m.status}")
            self.say(f"  {name:<20} p50 {m.p50:8.1f} ms  p95 {m.p95:8.1f} ms  {m.queries:3d} queries")
        now = datetime.fromtimestamp(self.anchor, tz=UTC)
        started = time.perf_counter()
        swept = sweep_disputes(now=now)
        sweep_s = time.perf_counter() - started
        self.say(f"  mediation sweep: {sweep_s:.2f} s — {swept}")
        self.results["mediation"] = figures | {"sweep_s": round(sweep_s, 2), "mediator_committee_disputes": in_queue}

    # -- reports -------------------------------------------------------------------------------------

    def reports(self) -> None:
        from governance.reports import make_weekly_reports, previous_week_start

        now = datetime.fromtimestamp(self.anchor, tz=UTC)
        week = previous_week_start(now)
        started = time.perf_counter()
        made = make_weekly_reports(week_start=week)
        seconds = time.perf_counter() - started
        self.say(f"weekly reports for the week of {week}: {len(made)} reports in {seconds:.2f} s")
        self.results.update(reports_s=round(seconds, 2), reports_count=len(made))

    # -- headroom and keys ----------------------------------------------------------------------------

    CITY_CASES_A_YEAR = 1_000_000  # a city of about 8M people

    def headroom(self) -> None:
        """Cases a day that the measured intake and sweep could carry, against the city's average day."""
        r = self.results
        city_day = self.CITY_CASES_A_YEAR / 365
        r["headroom_city_cases_day"] = round(city_day)
        lines = [
            f"headroom against a city of 8M people (~{self.CITY_CASES_A_YEAR:,} cases a year, {city_day:,.0f} a day):"
        ]
        if r.get("intake_rps"):
            r["headroom_intake_cases_day"] = round(r["intake_rps"] * 86400)
            r["headroom_intake_x"] = round(r["headroom_intake_cases_day"] / city_day, 1)
            lines.append(
                f"  intake {r['intake_rps']:.0f}/s → {r['headroom_intake_cases_day']:,} cases a day "
                f"({r['headroom_intake_x']:g}× the average day)"
            )
        if r.get("sweep_s") and r.get("sweep_due"):
            r["headroom_sweep_cases_day"] = round(r["sweep_due"] / r["sweep_s"] * 86400)
            r["headroom_sweep_x"] = round(r["headroom_sweep_cases_day"] / city_day, 1)
            lines.append(
                f"  sweep {r['sweep_due'] / r['sweep_s']:,.0f} due clocks/s → {r['headroom_sweep_cases_day']:,} lapses a day "
                f"({r['headroom_sweep_x']:g}× the average day's cases)"
            )
        print()
        for line in lines:
            print(line)
        self.check_keys()

    # Every key a full run reports (CI's smoke run fails if one is missing).
    KEYS = {
        "reads": (
            "floor_p95_ms",
            "queue_p95_ms",
            "queue_all_p95_ms",
            "detail_p95_ms",
            "api_queue_p95_ms",
            "api_detail_p95_ms",
            "dashboard_district_ms",
        ),
        "intake": ("intake_rps", "intake_errors", "intake_p95_ms", "intake_client", "headroom_intake_cases_day"),
        "writers": ("write_rps", "write_errors", "write_rps_1", "write_errors_1", "write_lock_waits"),
        "sweep": ("sweep_s", "sweep_due", "sweep_second_changes", "headroom_sweep_cases_day"),
        "reports": ("reports_s",),
        "mediation": ("mediation", "disputes"),
    }

    def check_keys(self) -> None:
        missing = [k for step, keys in self.KEYS.items() if self.wants(step) for k in keys if k not in self.results]
        if missing:
            self.errors.append(f"missing JSON keys: {', '.join(missing)}")

    # -- output ----------------------------------------------------------------------------------------

    def report(self) -> None:
        r = self.results
        labels = [label for label, _n in self.scales if label in self.reads]
        if not labels:
            self.headroom()
            print(json.dumps({**self.results, "cases": self.args.scale, "errors": self.errors}, ensure_ascii=False))
            return
        final = labels[-1]
        base = labels[0] if len(labels) > 1 else None
        m = self.reads[final]
        floor = m["floor"].p95

        def growth(name: str) -> float:
            if base is None:
                return 1.0
            return m[name].p50 / self.reads[base][name].p50

        def core_growth(area: str) -> float:
            if base is None:
                return 1.0
            return self.core[final][area][0] / self.core[base][area][0]

        rows = []
        for name in READS:
            rows.append(
                (
                    name,
                    f"{m[name].p50:.1f}",
                    f"{m[name].p95:.1f}",
                    str(m[name].queries),
                    f"{m[name].p95 / floor:.1f}×",
                    f"{m[name].sql_ms:.1f}",
                    f"{growth(name):.2f}×",
                )
            )
        for area in ("district", "town"):
            p50, p95 = self.core[final][area]
            rows.append(
                (
                    f"  core aggregate, {area} (raw SQL)",
                    f"{p50:.1f}",
                    f"{p95:.1f}",
                    "1",
                    "",
                    f"{p50:.1f}",
                    f"{core_growth(area):.2f}×",
                )
            )
        if "intake_rps" in r:
            rows.append(
                (
                    f"intake ({r['intake_rps']:.0f} req/s, {r['intake_errors']} errors)",
                    f"{r['intake_p50_ms']:.1f}",
                    f"{r['intake_p95_ms']:.1f}",
                    "",
                    "",
                    "",
                    "",
                )
            )
        if "sweep_s" in r:
            rows.append(
                (
                    f"sweep of {r['sweep_due']:,} due (2nd: {r['sweep_second_changes']} changes)",
                    f"{r['sweep_s'] * 1000:.0f}",
                    "",
                    "",
                    "",
                    "",
                    "",
                )
            )
        if "write_rps" in r:
            rows.append(
                (
                    f"writers 1 → 8 ({r['write_rps_1']:.0f} → {r['write_rps']:.0f} actions/s, "
                    f"{r['write_errors']} errors, {r['write_lock_waits']} lock waits)",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                )
            )
        for name, f in r.get("mediation", {}).items():
            if isinstance(f, dict):
                rows.append(
                    (
                        name,
                        f"{f['p50_ms']:.1f}",
                        f"{f['p95_ms']:.1f}",
                        str(f["queries"]),
                        f"{f['p95_ms'] / floor:.1f}×",
                        "",
                        "",
                    )
                )
        if "mediation" in r:
            rows.append(
                (
                    f"mediation sweep ({r['disputes']:,} disputes)",
                    f"{r['mediation']['sweep_s'] * 1000:.0f}",
                    "",
                    "",
                    "",
                    "",
                    "",
                )
            )
        if "reports_s" in r:
            rows.append((f"weekly reports ({r['reports_count']})", f"{r['reports_s'] * 1000:.0f}", "", "", "", "", ""))
        header = (
            "measure",
            "p50 ms",
            "p95 ms",
            "queries",
            "p95/floor",
            "raw SQL ms",
            f"growth {base or final}→{final}",
        )
        widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
        print()
        print(f"Results at {self.scales[-1][1]:,} cases (seed {r.get('seed_s', float('nan'))} s):")
        line = " | ".join(
            h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths, strict=True))
        )
        print(line)
        print("-+-".join("-" * w for w in widths))
        for row in rows:
            print(
                " | ".join(
                    str(c).ljust(w) if i == 0 else str(c).rjust(w)
                    for i, (c, w) in enumerate(zip(row, widths, strict=True))
                )
            )
        print(
            "raw SQL ms: the request's own SELECTs replayed on a raw cursor (p50); for the core aggregate, a "
            "plain COUNT(*) FILTER scan of the area's cases. growth: p50 at the final scale / p50 at 100k."
        )

        counts = {label: {name: m_.queries for name, m_ in self.reads[label].items()} for label in labels}
        # Queries must not grow with the data: at the final scale no more than at 100k (one fewer is
        # fine: e.g. a page whose twenty newest cases need no working calendar skips reading it),
        # and the same on page 3 and on the longest timeline as on page 1 and a typical case.
        constant = all(
            counts[label][name] <= counts[labels[0]].get(name, counts[label][name])
            for label in labels
            for name in counts[label]
        ) and all(
            len({v for k, v in self.variants[label].items() if k.startswith(prefix)}) == 1
            for label in labels
            for prefix in ("queue", "detail")
        )
        r.update(
            cases=self.scales[-1][1],
            residents=200_000,
            floor_p50_ms=round(m["floor"].p50, 2),
            floor_p95_ms=round(floor, 2),
            queue_p50_ms=round(m["queue"].p50, 2),
            queue_p95_ms=round(m["queue"].p95, 2),
            queue_all_p95_ms=round(m["queue_all"].p95, 2),
            detail_p50_ms=round(m["detail"].p50, 2),
            detail_p95_ms=round(m["detail"].p95, 2),
            api_queue_p50_ms=round(m["api_queue"].p50, 2),
            api_queue_p95_ms=round(m["api_queue"].p95, 2),
            api_detail_p50_ms=round(m["api_detail"].p50, 2),
            api_detail_p95_ms=round(m["api_detail"].p95, 2),
            queue_p95_x_floor=round(m["queue"].p95 / floor, 1),
            queue_all_p95_x_floor=round(m["queue_all"].p95 / floor, 1),
            detail_p95_x_floor=round(m["detail"].p95 / floor, 1),
            api_queue_p95_x_floor=round(m["api_queue"].p95 / floor, 1),
            api_detail_p95_x_floor=round(m["api_detail"].p95 / floor, 1),
            dashboard_district_ms=round(m["dashboard_district"].p95, 1),
            dashboard_district_p50_ms=round(m["dashboard_district"].p50, 1),
            dashboard_town_ms=round(m["dashboard_town"].p95, 1),
            dashboard_town_p50_ms=round(m["dashboard_town"].p50, 1),
            dashboard_growth=round(growth("dashboard_district"), 2),
            dashboard_town_growth=round(growth("dashboard_town"), 2),
            dashboard_district_sql_ms=round(self.core[final]["district"][0], 1),
            dashboard_town_sql_ms=round(self.core[final]["town"][0], 1),
            queue_growth=round(growth("queue"), 2),
            detail_growth=round(growth("detail"), 2),
            queries={label: counts[label] for label in labels},
            query_variants=self.variants,
            queries_constant=constant,
            growth_base=base or final,
        )
        goals = [
            ("queue p95 ≤ 4× floor", m["queue"].p95 <= 4 * floor, f"{m['queue'].p95:.1f} vs {4 * floor:.1f} ms"),
            (
                "queue (tab=all) p95 ≤ 4× floor",
                m["queue_all"].p95 <= 4 * floor,
                f"{m['queue_all'].p95:.1f} vs {4 * floor:.1f} ms",
            ),
            ("detail p95 ≤ 4× floor", m["detail"].p95 <= 4 * floor, f"{m['detail'].p95:.1f} vs {4 * floor:.1f} ms"),
            (
                "API queue p95 ≤ 2× floor",
                m["api_queue"].p95 <= 2 * floor,
                f"{m['api_queue'].p95:.1f} vs {2 * floor:.1f} ms",
            ),
            (
                "API detail p95 ≤ 2× floor",
                m["api_detail"].p95 <= 2 * floor,
                f"{m['api_detail'].p95:.1f} vs {2 * floor:.1f} ms",
            ),
            (
                "dashboard district p95 ≤ 100 ms",
                m["dashboard_district"].p95 <= 100,
                f"{m['dashboard_district'].p95:.1f} ms",
            ),
            (
                "dashboard growth 100k→N ≤ 1.5×",
                r["dashboard_growth"] <= 1.5,
                f"{r['dashboard_growth']:.2f}×" + ("" if base else " (one scale)"),
            ),
            (
                "intake ≥ 200 req/s, 0 errors",
                r.get("intake_rps", 0) >= 200 and r.get("intake_errors", 1) == 0,
                f"{r.get('intake_rps', 0):.0f} req/s, {r.get('intake_errors', '?')} errors",
            ),
            (
                "sweep ≤ 5 s",
                r.get("sweep_s", math.inf) <= 5,
                f"{r.get('sweep_s', math.nan):.2f} s for {r.get('sweep_due', 0):,} due",
            ),
            (
                "second sweep changes nothing",
                r.get("sweep_second_changes", 1) == 0,
                f"{r.get('sweep_second_changes', '?')} changes",
            ),
            ("weekly reports ≤ 10 s", r.get("reports_s", math.inf) <= 10, f"{r.get('reports_s', math.nan):.2f} s"),
            (
                "queue and detail growth 100k→N ≤ 1.2×",
                r["queue_growth"] <= 1.2 and r["detail_growth"] <= 1.2,
                f"queue {r['queue_growth']:.2f}×, detail {r['detail_growth']:.2f}×" + ("" if base else " (one scale)"),
            ),
            ("queries do not grow per request", constant, "; ".join(f"{label}: {counts[label]}" for label in labels)),
        ]
        if "write_rps" in r:
            goals.append(
                (
                    "writers: 0 errors, no lock waits, 8 faster than 1",
                    r["write_errors"] == 0 and r["write_lock_waits"] == 0 and r["write_rps"] > r["write_rps_1"],
                    f"{r['write_rps_1']:.1f} → {r['write_rps']:.1f} actions/s, {r['write_errors']} errors, "
                    f"{r['write_lock_waits']} lock-wait samples",
                )
            )
        if "phone_first_visit_kb" in r:
            goals.append(
                (
                    "page weight: phone first visit ≤ 300 KB, dashboard ≤ 700 KB",
                    r["phone_first_visit_kb"] <= 300 and r["dashboard_kb"] <= 700,
                    f"{r['phone_first_visit_kb']:.0f} KB, {r['dashboard_kb']:.0f} KB",
                )
            )
        if self.scales[-1][1] >= 1_000_000 and "seed_s" in r:
            goals.append(("seed ≤ 120 s (1M)", r["seed_s"] <= 120, f"{r['seed_s']:.0f} s"))
        self.headroom()
        print()
        for goal, ok, detail in goals:
            print(f"{'PASS' if ok else 'MISS'}  {goal}: {detail}")
        r["goals"] = {goal: ("PASS" if ok else "MISS") for goal, ok, _d in goals}
        r["errors"] = self.errors
        print()
        print(json.dumps(r, ensure_ascii=False, sort_keys=False))
