"""The daily roll-up behind the dashboards and the reports.

Every figure they show is a sum over days of counters that belong to one day: cases reported,
closed or handled that day, handling and sign-in limits that fell that day (and whether they were
met), the residents' answers given that day, red alerts, returns and extensions. So a day is
counted once, into `DailyStat` rows per area (at the depth of towns, villages and grids; the town
rows also split by category and by department), and a month of the district is a few hundred rows
whatever the years of history.

Days are computed on the first read that needs them and stored with a `StatDay` marker. Every
action marks today stale (`touch`, from the services' `_begin` and the lapse), so the next read
counts today again. A later action can also change an earlier day: a reclassified case moves its
counts to another category, an approved extension moves a limit, a rework takes back a handling, a
new answer replaces the old one. The services that do so call `invalidate_case` first.

Marking stale is an append-only INSERT of `StatDirty` rows: it locks no shared row, so writers on
different cases never wait for each other (tests/disputes/test_concurrency.py proves it on
PostgreSQL). A reader that computes days locks their `StatDay` rows (readers queue among
themselves only), reads the dirty marks, counts, and deletes exactly the marks it read: a mark
committed after that read stays, so the next read counts the day again and the stored figures
never miss a committed change.

"Open now" is not a day figure: `OpenCount` keeps the open and overdue cases per area, moved by
the services' single write path (`_save` compares the locked row before and after), by intake and
by the lapse's overdue update, and recounted by `rebuild()`.
"""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache

from django.db import connection, transaction
from django.db.models import CharField, Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, StrIndex, Substr, TruncDate
from django.utils import timezone

from grids.dbrouter import primary_reads
from grids.periods import TZ, day_bounds, local_today
from grids.periods import within as _within

from .models import (
    OPEN_STATUSES,
    AlertLevel,
    Assignment,
    AssignmentStatus,
    Case,
    CaseEvent,
    Clock,
    DailyStat,
    DeadlineAlert,
    ExtensionRequest,
    ExtensionStatus,
    OpenCount,
    ReturnReason,
    Satisfaction,
    Source,
    StageClock,
    StatDay,
    StatDirty,
    Status,
)

# Days are Chinese calendar days, whatever the server's clock is set to (one copy: grids.periods).
STAT_TZ = TZ
# Stored depths: rows per town (2 path components), village (3) and grid (4). An area's figures
# are read at the depth of its children; below a village they are counted live. Only the town rows
# are split by category and department (the district's and the towns' breakdowns); a village's
# breakdown is counted live, which keeps the roll-up near one row per area and day.
ROLLUP_DEPTHS = (2, 3, 4)
BREAKDOWN_DEPTH = 2
GOOD_SATISFACTION = [Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED]
SIGNED_IN_TIME = Q(signed_at__isnull=False, signed_at__lte=F("sign_deadline"))
FEEDBACK_COUNTERS = {value: f"fb_{value}" for value in Satisfaction.values}
# New cases per source (grid worker, resident, hotline, patrol, Open311): DailyStat.src_*.
SOURCE_COUNTERS = {value: f"src_{value}" for value in Source.values}
COUNTERS = (
    "new",
    "closed",
    "handled",
    "on_time",
    "resolution_due",
    "resolution_met",
    "response_due",
    "response_met",
    *FEEDBACK_COUNTERS.values(),
    "red_alerts",
    "returns",
    "ext_requested",
    "ext_approved",
    "ext_refused",
    *SOURCE_COUNTERS.values(),
)
DIMENSIONS = {"day": "day", "child": "area_path", "category": "category_id", "department": "department_id"}
# Days computed in one pass when many are missing (a first read); a rebuild takes longer runs.
CHUNK_DAYS = 31
REBUILD_CHUNK_DAYS = 122

Key = tuple[date, str, int | None, int | None]  # day, area path, category, department


def path_depth(path: str) -> int:
    return path.count("/")


@lru_cache(maxsize=65536)
def truncate(path: str, depth: int) -> str:
    """The path of the ancestor at `depth` (the path itself when it is not that deep)."""
    parts = path.split("/")
    return path if len(parts) - 1 <= depth else "/".join(parts[:depth]) + "/"


# ---------------------------------------------------------------------------------------------
# The definitions (shared with the live queries of reports and rankings)


def assignments_due(path: str, lo: datetime, hi: datetime) -> QuerySet[Assignment]:
    """Assignments whose sign-in limit fell in the period. Co-departments withdrawn because the lead
    returned the case never had the chance to sign, so they are not counted against anyone."""
    return (
        Assignment.objects.filter(case__area_path__startswith=path)
        .filter(_within("sign_deadline", lo, hi))
        .exclude(return_reason_code=ReturnReason.WITHDRAWN)
    )


def latest_feedback(path: str, lo: datetime, hi: datetime) -> QuerySet[CaseEvent]:
    """The 回访 answers given in the period that are still each case's last answer, annotated with
    the answer.

    A case asked twice counts once, with its final answer, in the period that answer was given;
    the timeline keeps each answer as given at the time.
    """
    later = CaseEvent.objects.filter(action="feedback", case=OuterRef("case")).filter(
        Q(created_at__gt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), id__gt=OuterRef("id"))
    )
    return (
        CaseEvent.objects.filter(action="feedback", case__area_path__startswith=path)
        .filter(_within("created_at", lo, hi))
        .filter(~Exists(later))
        # Cast: plain text, so `answer__in` compares strings on every backend (a bare key transform
        # would compare JSON values).
        .annotate(answer=Cast(KeyTextTransform("satisfaction", "data"), output_field=CharField()))
    )


# ---------------------------------------------------------------------------------------------
# Counting days from the cases


def child_path(field: str, parent: str):
    """SQL for the path of the child of `parent` that a path lies in (the parent's own path for
    one that sits on the parent), so live counts group by child in the database."""
    n = len(parent)
    rest = Substr(field, n + 1)
    return Substr(field, 1, Value(n, output_field=IntegerField()) + StrIndex(rest, Value("/")))


def count_days(lo: date, hi: date, *, path: str = "", by_child: bool = False) -> dict[Key, Counter]:
    """The counters of the days [lo, hi) under `path`, per (day, case area path, category,
    department), straight from the cases: thirteen grouped queries. With `by_child`, the area is the
    child of `path` the case lies in rather than the case's own area."""
    start, end = day_bounds(lo, hi)
    groups: dict[Key, Counter] = defaultdict(Counter)

    def add(qs: QuerySet, day_field: str, case: str, *, per: str, **counters) -> None:
        area = f"{case}area_path"
        if by_child:
            qs = qs.annotate(stat_area=child_path(area, path))
            area = "stat_area"
        dimension = {"category": f"{case}category_id"} if per == "category" else {"department": per}
        rows = (
            qs.filter(_within(day_field, start, end))
            .annotate(stat_day=TruncDate(day_field, tzinfo=STAT_TZ))
            .values("stat_day", area, *dimension.values())
            .annotate(**counters)
            .order_by()
        )
        for row in rows:
            category = row[dimension["category"]] if per == "category" else None
            department = None if per == "category" else row[per]
            counts = groups[(row["stat_day"], row[area], category, department)]
            for name in counters:
                counts[name] += row[name]

    cases = Case.objects.filter(area_path__startswith=path) if path else Case.objects.all()
    add(
        cases,
        "created_at",
        "",
        per="category",
        new=Count("id"),
        **{counter: Count("id", filter=Q(source=value)) for value, counter in SOURCE_COUNTERS.items()},
    )
    add(cases.filter(status=Status.CLOSED), "closed_at", "", per="category", closed=Count("id"))
    add(
        cases,
        "handled_at",
        "",
        per="category",
        handled=Count("id"),
        on_time=Count("id", filter=Q(handle_deadline__isnull=True) | Q(handled_at__lte=F("handle_deadline"))),
    )
    add(
        cases,
        "handle_deadline",
        "",
        per="category",
        resolution_due=Count("id"),
        resolution_met=Count("id", filter=Q(handled_at__lte=F("handle_deadline"))),
    )
    add(
        latest_feedback(path, start, end),
        "created_at",
        "case__",
        per="category",
        **{counter: Count("id", filter=Q(answer=value)) for value, counter in FEEDBACK_COUNTERS.items()},
    )
    # The center's clocks belong in the rates too (五个第一时间): accepting in time is the center's
    # response, verifying in time a part of the resolution. Counted on the limit's day, like the
    # departments' sign-in and handling limits; a clock that stopped by its limit met it.
    clocks = StageClock.objects.filter(case__area_path__startswith=path) if path else StageClock.objects.all()
    met = Count("id", filter=Q(stopped_at__lte=F("deadline")))
    add(
        clocks.filter(clock=Clock.ACCEPT),
        "deadline",
        "case__",
        per="department",
        response_due=Count("id"),
        response_met=met,
    )
    add(
        clocks.filter(clock=Clock.VERIFY),
        "deadline",
        "case__",
        per="category",
        resolution_due=Count("id"),
        resolution_met=met,
    )
    assignments = Assignment.objects.filter(case__area_path__startswith=path) if path else Assignment.objects.all()
    add(
        assignments.exclude(return_reason_code=ReturnReason.WITHDRAWN),
        "sign_deadline",
        "case__",
        per="department",
        response_due=Count("id"),
        response_met=Count("id", filter=SIGNED_IN_TIME),
    )
    add(
        assignments.filter(status=AssignmentStatus.RETURNED).exclude(return_reason_code=ReturnReason.WITHDRAWN),
        "finished_at",
        "case__",
        per="department",
        returns=Count("id"),
    )
    alerts = DeadlineAlert.objects.filter(level=AlertLevel.RED)
    add(
        alerts.filter(case__area_path__startswith=path),
        "created_at",
        "case__",
        per="department",
        red_alerts=Count("id"),
    )
    extensions = ExtensionRequest.objects.filter(case__area_path__startswith=path)
    add(extensions, "requested_at", "case__", per="assignment__department", ext_requested=Count("id"))
    add(
        extensions.filter(status=ExtensionStatus.APPROVED),
        "decided_at",
        "case__",
        per="assignment__department",
        ext_approved=Count("id"),
    )
    # A pending request dropped because the lead returned the case was decided by nobody.
    add(
        extensions.filter(status=ExtensionStatus.REFUSED, decided_by__isnull=False),
        "decided_at",
        "case__",
        per="assignment__department",
        ext_refused=Count("id"),
    )
    return groups


def roll_up(groups: dict[Key, Counter], depth: int, *, dims: Sequence[str]) -> dict[tuple, Counter]:
    """Sum counted groups by `dims` ("day", "child" = the area path at `depth`, "category",
    "department")."""
    out: dict[tuple, Counter] = defaultdict(Counter)
    for (day, path, category, department), counts in groups.items():
        values = {"day": day, "child": truncate(path, depth), "category": category, "department": department}
        out[tuple(values[d] for d in dims)].update(counts)
    return out


# ---------------------------------------------------------------------------------------------
# Storing finished days


def _missing_ranges(days: Iterable[date], chunk: int = CHUNK_DAYS) -> list[tuple[date, date]]:
    """Contiguous runs of days, at most `chunk` long, as half-open ranges."""
    ranges: list[tuple[date, date]] = []
    for day in sorted(days):
        if ranges and ranges[-1][1] == day and (day - ranges[-1][0]).days < chunk:
            ranges[-1] = (ranges[-1][0], day + timedelta(days=1))
        else:
            ranges.append((day, day + timedelta(days=1)))
    return ranges


def stored_until(now: datetime | None = None) -> date:
    """The first day never stored: tomorrow. Today is stored like any day, and every action marks
    it stale (`touch`), so a read after an action counts today again and a read after none does not."""
    return local_today(now) + timedelta(days=1)


@primary_reads()  # counts what it stores: never from a lagging replica (grids.dbrouter)
def ensure(lo: date, hi: date, *, now: datetime | None = None, chunk: int = CHUNK_DAYS) -> int:
    """Make the days of [lo, hi) up to today present and fresh; returns how many were computed."""
    hi = min(hi, stored_until(now))
    if lo >= hi:
        return 0
    dirty = StatDirty.objects.filter(day__gte=lo, day__lt=hi).values("day")
    fresh = set(
        StatDay.objects.filter(day__gte=lo, day__lt=hi, stale=False)
        .exclude(day__in=dirty)
        .values_list("day", flat=True)
    )
    wanted = [lo + timedelta(days=i) for i in range((hi - lo).days)]
    missing = [d for d in wanted if d not in fresh]
    for first, last in _missing_ranges(missing, chunk):
        _compute(first, last)
    return len(missing)


@transaction.atomic
def _compute(lo: date, hi: date) -> None:
    days = [lo + timedelta(days=i) for i in range((hi - lo).days)]
    StatDay.objects.bulk_create([StatDay(day=d, stale=True) for d in days], ignore_conflicts=True)
    # The markers' row locks serialise this with the actions that mark days stale and with another
    # reader computing the same days: whoever comes second sees the first one's work committed.
    locked = StatDay.objects.select_for_update().filter(day__gte=lo, day__lt=hi).order_by("day")
    todo = {m.day for m in locked if m.stale}
    # The marks committed so far: counted now, deleted below. One committed later stays for the next read.
    dirty = list(StatDirty.objects.filter(day__gte=lo, day__lt=hi).values_list("id", "day"))
    todo |= {day for _id, day in dirty}
    if not todo:
        return
    groups = count_days(lo, hi)
    DailyStat.objects.filter(day__in=todo).delete()
    rows = []
    for depth in ROLLUP_DEPTHS:
        for (day, path), counts in roll_up(groups, depth, dims=("day", "child")).items():
            if day in todo:
                rows.append((day, depth, path, False, None, None, [counts[c] for c in COUNTERS]))
    for (day, path, category, department), counts in roll_up(
        groups, BREAKDOWN_DEPTH, dims=("day", "child", "category", "department")
    ).items():
        if day in todo:
            rows.append((day, BREAKDOWN_DEPTH, path, True, category, department, [counts[c] for c in COUNTERS]))
    _insert(rows)
    StatDay.objects.filter(day__in=todo).update(stale=False, computed_at=timezone.now())
    StatDirty.objects.filter(id__in=[pk for pk, _day in dirty]).delete()


COLUMNS = ("day", "depth", "area_path", "breakdown", "category_id", "department_id", *COUNTERS)


def _insert(rows: list[tuple]) -> None:
    """Write roll-up rows: COPY on PostgreSQL (a rebuild writes hundreds of thousands), else bulk_create."""
    if connection.vendor != "postgresql":
        DailyStat.objects.bulk_create(
            [DailyStat(**dict(zip(COLUMNS, (*head, *counts), strict=True))) for *head, counts in rows],
            batch_size=2000,
        )
        return
    buffer = io.StringIO()
    for day, depth, path, breakdown, category, department, counts in rows:
        head = [day.isoformat(), str(depth), path, "t" if breakdown else "f", _copy(category), _copy(department)]
        buffer.write("\t".join([*head, *map(str, counts)]) + "\n")
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY {DailyStat._meta.db_table} ({', '.join(COLUMNS)}) FROM STDIN", buffer)


def _copy(value: int | None) -> str:
    return "\\N" if value is None else str(value)


def invalidate(days: Iterable[date]) -> None:
    """Mark days stale: their rows are computed again on the next read. A plain INSERT of dirty
    marks, so no writer waits on another (nor on a reader computing those days)."""
    days = sorted(set(days))
    if days:
        StatDirty.objects.bulk_create([StatDirty(day=d) for d in days])


def is_stale(day: date) -> bool:
    """Whether the next read counts `day` again (never stored, marked stale, or dirty)."""
    return StatDirty.objects.filter(day=day).exists() or not StatDay.objects.filter(day=day, stale=False).exists()


def invalidate_case(case: Case) -> None:
    """Before an action that may change what a case contributed to earlier days: mark every day
    the case appears on stale (its dates, its assignments', alerts', extensions' and answers')."""
    moments = [case.created_at, case.closed_at, case.handled_at, case.handle_deadline]
    for a in Assignment.objects.filter(case=case).only("sign_deadline", "handle_deadline", "finished_at"):
        moments += [a.sign_deadline, a.handle_deadline, a.finished_at]
    moments += DeadlineAlert.objects.filter(case=case).values_list("created_at", flat=True)
    for requested, decided in ExtensionRequest.objects.filter(case=case).values_list("requested_at", "decided_at"):
        moments += [requested, decided]
    moments += CaseEvent.objects.filter(case=case, action="feedback").values_list("created_at", flat=True)
    moments += StageClock.objects.filter(case=case).values_list("deadline", flat=True)
    until = stored_until()
    invalidate({d for d in (local_today(m) for m in moments if m is not None) if d < until})


def on_case_deleted(sender, instance: Case, **kwargs) -> None:
    invalidate_case(instance)
    case_changed(Case(area_path=instance.area_path, status=Status.CLOSED), open_state(instance))


def touch(now: datetime | None = None) -> None:
    """Every action calls this: what happens now changes today's figures. (A later stored day can
    only exist when the clock was moved back, in tests or replays; it is marked stale too.)"""
    day = local_today(now)
    # One statement: today's mark and those of any later stored day (one round trip per action).
    dirty, days = StatDirty._meta.db_table, StatDay._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {dirty} (day) SELECT %s UNION SELECT day FROM {days} WHERE day > %s",
            [connection.ops.adapt_datefield_value(day)] * 2,
        )


def rebuild(*, lo: date | None = None, now: datetime | None = None) -> int:
    """Recompute every day from the first case on, and the open counts (after a bulk load or an
    import); returns the number of days counted."""
    recount_open()
    StatDay.objects.all().delete()
    StatDirty.objects.all().delete()
    DailyStat.objects.all().delete()
    first = Case.objects.order_by("created_at").values_list("created_at", flat=True).first()
    if first is None:
        return 0
    start = lo or local_today(first) - timedelta(days=1)
    return ensure(start, stored_until(now), now=now, chunk=REBUILD_CHUNK_DAYS)


# ---------------------------------------------------------------------------------------------
# Open now


def open_state(case: Case) -> tuple[int, int]:
    """(open, overdue) as this case counts them: (1, 1), (1, 0) or (0, 0)."""
    is_open = case.status in OPEN_STATUSES
    return int(is_open), int(is_open and case.overdue)


def count_open(changes: dict[str, tuple[int, int]]) -> None:
    """Add (open, overdue) changes per area path: one upsert statement whatever their number."""
    rows = sorted((path, d_open, d_overdue) for path, (d_open, d_overdue) in changes.items() if d_open or d_overdue)
    if not rows:
        return
    table = OpenCount._meta.db_table
    sql = (
        f"INSERT INTO {table} (area_path, open_cases, overdue_cases) VALUES {', '.join(['(%s, %s, %s)'] * len(rows))} "
        f"ON CONFLICT (area_path) DO UPDATE SET open_cases = {table}.open_cases + excluded.open_cases, "
        f"overdue_cases = {table}.overdue_cases + excluded.overdue_cases"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for row in rows for value in row])


def case_changed(case: Case, before: tuple[int, int]) -> None:
    """After a service saved a case: count its move into or out of "open" and "overdue"."""
    after = open_state(case)
    if after != before:
        count_open({case.area_path: (after[0] - before[0], after[1] - before[1])})


def open_now(path: str, depth: int) -> dict[str, Counter]:
    """Open and overdue cases under `path` now, per area at `depth` (one row per area holding any)."""
    out: dict[str, Counter] = defaultdict(Counter)
    rows = OpenCount.objects.filter(area_path__startswith=path).values_list("area_path", "open_cases", "overdue_cases")
    for area_path, open_cases, overdue_cases in rows:
        out[truncate(area_path, depth)].update(open=open_cases, overdue=overdue_cases)
    return out


def recount_open() -> None:
    OpenCount.objects.all().delete()
    rows = (
        Case.objects.filter(status__in=OPEN_STATUSES)
        .values_list("area_path")
        .annotate(open_cases=Count("id"), overdue_cases=Count("id", filter=Q(overdue=True)))
        .order_by()
    )
    OpenCount.objects.bulk_create(
        [OpenCount(area_path=path, open_cases=o, overdue_cases=d) for path, o, d in rows], batch_size=2000
    )


# ---------------------------------------------------------------------------------------------
# Reading


class Figures:
    """The counters of one area over the days [lo, hi): stored rows summed up to today, later days
    (rare: a period that ends in the future) counted live with the same code.

    `rows(lo, hi, dims)` sums the counters of the days [lo, hi) (within the range given at
    construction) by `dims`; "child" is the path of the child area (town, village, grid,
    micro-grid) each count belongs to, or the area's own path for cases that sit on it.
    """

    def __init__(self, path: str, lo: date, hi: date, *, now: datetime | None = None) -> None:
        self.path = path
        self.depth = path_depth(path) + 1
        self.now = now or timezone.now()
        self.stored_until = stored_until(self.now)
        self.lo, self.hi = lo, hi
        self._live: dict[date, dict[Key, Counter]] = {}
        self._ensured = False

    def _stored(self, dims: Sequence[str]) -> tuple[int, bool] | None:
        """(depth, breakdown) of the stored rows that answer `dims` for this area, or None."""
        if "category" not in dims and "department" not in dims:
            return (self.depth, False) if self.depth in ROLLUP_DEPTHS else None
        if "child" in dims:
            return (BREAKDOWN_DEPTH, True) if self.depth == BREAKDOWN_DEPTH else None
        return (BREAKDOWN_DEPTH, True) if self.depth - 1 <= BREAKDOWN_DEPTH else None

    def _live_groups(self, lo: date) -> dict[Key, Counter]:
        """Counted live from `lo` to the end of the range, grouped by child in the database."""
        for start, groups in self._live.items():
            if start <= lo:
                return groups
        self._live[lo] = count_days(lo, self.hi, path=self.path, by_child=True) if lo < self.hi else {}
        return self._live[lo]

    def rows(self, lo: date, hi: date, dims: Sequence[str]) -> dict[tuple, Counter]:
        if lo < self.lo or hi > self.hi:
            raise ValueError("rows() outside the range the figures were made for")
        out: dict[tuple, Counter] = defaultdict(Counter)
        stored = self._stored(dims)
        live_from = self.stored_until if stored is not None else self.lo
        stored_hi = max(lo, min(hi, live_from))
        if stored is not None and lo < stored_hi:
            if not self._ensured:
                ensure(self.lo, self.hi, now=self.now)
                self._ensured = True
            depth, breakdown = stored
            qs = DailyStat.objects.filter(depth=depth, breakdown=breakdown, day__gte=lo, day__lt=stored_hi)
            qs = qs.filter(area_path__startswith=self.path)
            sums = {c: Sum(c) for c in COUNTERS}
            found = (
                qs.values(*(DIMENSIONS[d] for d in dims)).annotate(**sums).order_by()
                if dims
                else [qs.aggregate(**sums)]
            )
            for row in found:
                out[tuple(row[DIMENSIONS[d]] for d in dims)].update({c: row[c] for c in COUNTERS if row[c]})
        if stored_hi < hi:
            live = self._live_groups(max(self.lo, stored_hi))
            groups = {k: v for k, v in live.items() if stored_hi <= k[0] < hi}
            for key, counts in roll_up(groups, self.depth, dims=dims).items():
                out[key].update(counts)
        return out

    def total(self, lo: date, hi: date) -> Counter:
        total: Counter = Counter()
        for counts in self.rows(lo, hi, ()).values():
            total.update(counts)
        return total
