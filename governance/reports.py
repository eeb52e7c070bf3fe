"""Weekly reports and the monthly ranking: 苏木镇(街道)一周一反馈, 区级一月一调度.

Every town and the district get a weekly report; the district gets a monthly ranking of its towns
and departments by the three rates (三率). Figures are computed with aggregate queries (a constant
number per area, never a loop over cases), frozen into a `Report` row, announced to the officials
and center staff of the area, and exported as XLSX.

Periods are half-open date ranges [start, end) in Asia/Shanghai: a week runs Monday 00:00 to the
next Monday 00:00, a month from the 1st to the next 1st.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import BigIntegerField, Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Length
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from disputes import stats
from disputes.mediation.figures import mediation_figures
from disputes.models import (
    AlertLevel,
    Assignment,
    AssignmentRole,
    AssignmentStatus,
    Case,
    Category,
    DeadlineAlert,
    Satisfaction,
)
from disputes.stats import GOOD_SATISFACTION, SIGNED_IN_TIME, assignments_due, latest_feedback
from grids.models import Area, Department, Level, Role, User
from grids.notifications import notify
from grids.selectors import areas_visible_to, get_scope

from .models import Report, ReportKind

# The reporting calendar is the Chinese one, whatever the server's clock is set to.
REPORT_TZ = ZoneInfo("Asia/Shanghai")
# Reports describe how a whole area performs: for those who lead or run it, not for the departments
# and grid workers who are judged by it (they see their own cases elsewhere).
READER_ROLES = frozenset({Role.OFFICIAL, Role.CENTER_STAFF})
REPORT_LEVELS = (Level.DISTRICT, Level.TOWN)
RATE_KEYS = ("response", "resolution", "satisfaction")
NOTIFICATION_KIND = "report"

COUNT_LABELS = {
    "new": gettext_lazy("新增事项"),
    "closed": gettext_lazy("结案"),
    "handled": gettext_lazy("办结"),
    "on_time": gettext_lazy("按期办结"),
    "overdue": gettext_lazy("超期事项(红灯)"),
    "open_at_end": gettext_lazy("期末在办"),
}
RATE_LABELS = {
    "response": gettext_lazy("响应率"),
    "resolution": gettext_lazy("解决率"),
    "satisfaction": gettext_lazy("满意率"),
    "on_time": gettext_lazy("按期办结率"),
}
RATE_HELP = {
    "response": gettext_lazy("签收期限在本期的派单中按时签收的比例"),
    "resolution": gettext_lazy("办理期限在本期的事项中按期办结的比例"),
    "satisfaction": gettext_lazy("本期回访中满意和基本满意的比例"),
    "on_time": gettext_lazy("本期办结的事项中未超过办理期限的比例"),
}
SATISFACTION_LABELS = dict(Satisfaction.choices)
EXTENSION_LABELS = {
    "requested": gettext_lazy("延期申请"),
    "approved": gettext_lazy("批准延期"),
    "refused": gettext_lazy("不批准延期"),
}


# ---------------------------------------------------------------------------------------------
# Periods


class PeriodError(ValueError):
    """A period the user typed is malformed or impossible; the message is for the user."""


WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$", re.IGNORECASE)
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
MIN_YEAR = 2000


def parse_week(text: str) -> date:
    """ "2026-W47" (ISO 8601 week, as <input type="week"> sends it) → the Monday of that week."""
    match = WEEK_RE.match((text or "").strip())
    if not match:
        raise PeriodError(_("周的格式应为 YYYY-Www,例如 2026-W47"))
    year, week = int(match[1]), int(match[2])
    if year < MIN_YEAR:
        raise PeriodError(_("年份超出范围"))
    try:
        return date.fromisocalendar(year, week, 1)
    except ValueError:
        raise PeriodError(_("%(year)s 年没有第 %(week)s 周") % {"year": year, "week": week}) from None


def parse_month(text: str) -> date:
    """ "2026-11" → 2026-11-01."""
    match = MONTH_RE.match((text or "").strip())
    if not match:
        raise PeriodError(_("月份的格式应为 YYYY-MM,例如 2026-11"))
    year, month = int(match[1]), int(match[2])
    if year < MIN_YEAR:
        raise PeriodError(_("年份超出范围"))
    if not 1 <= month <= 12:
        raise PeriodError(_("月份应在 01 到 12 之间"))
    return date(year, month, 1)


def parse_period(*, kind: str, text: str) -> date:
    """The first day of the period named by `text`, a week for weekly reports, a month for monthly."""
    if kind == ReportKind.WEEKLY:
        return parse_week(text)
    if kind == ReportKind.MONTHLY:
        return parse_month(text)
    raise PeriodError(_("未知的报表类型"))


def period_end(*, kind: str, start: date) -> date:
    """The first day after the period (the end is exclusive)."""
    if kind == ReportKind.WEEKLY:
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def period_label(*, kind: str, start: date) -> str:
    """The inverse of `parse_period`: "2026-W47" or "2026-11"."""
    return Report(kind=kind, period_start=start).period_label


def local_today(now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(REPORT_TZ).date()


def previous_week_start(now: datetime | None = None) -> date:
    """The Monday of the last complete ISO week before `now` (Asia/Shanghai)."""
    today = local_today(now)
    return today - timedelta(days=today.weekday() + 7)


def previous_month_start(now: datetime | None = None) -> date:
    """The 1st of the last complete month before `now` (Asia/Shanghai)."""
    first_of_this_month = local_today(now).replace(day=1)
    return (first_of_this_month - timedelta(days=1)).replace(day=1)


def period_is_over(*, kind: str, start: date, now: datetime | None = None) -> bool:
    """Only finished periods are reported: a report of a running week would be announced once and
    then silently change."""
    return period_end(kind=kind, start=start) <= local_today(now)


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return datetime.combine(start, time.min, tzinfo=REPORT_TZ), datetime.combine(end, time.min, tzinfo=REPORT_TZ)


def _within(field: str, lo: datetime, hi: datetime) -> Q:
    return Q(**{f"{field}__gte": lo, f"{field}__lt": hi})


# ---------------------------------------------------------------------------------------------
# Figures


def _rate(numerator: int, denominator: int) -> dict:
    """A rate with its parts; None when nothing was due, which the UI shows as "—", not 0 %."""
    return {
        "numerator": numerator,
        "denominator": denominator,
        "rate": numerator / denominator if denominator else None,
    }


def _area_ref(area: Area) -> dict:
    return {"id": area.pk, "code": area.code, "name": area.name, "level": area.level}


def weekly_figures(*, area: Area, start: date, end: date) -> dict:
    """What a town or the district reports for [start, end): new, closed, handled on time and overdue
    cases, the three rates, the top categories, the departments with red alerts, returns and
    extensions. Used for any period (the monthly report carries the month's figures too).

    The additive figures are sums of the daily roll-up (`disputes.stats`); the ones that count
    distinct cases (overdue, open at the end) are aggregate queries over the red alerts of the
    period and the cases open at its end. A constant number of queries, whatever the history.
    """
    lo, hi = _bounds(start, end)
    path = area.path
    figures = stats.Figures(path, start, end)
    total = figures.total(start, end)

    # Rejected and merged cases carry a closed_at too, so they are not "still open". Two indexed
    # counts: the cases open now, and those closed since the end of the period.
    cases = Case.objects.filter(area_path__startswith=path, created_at__lt=hi)
    open_at_end = cases.filter(closed_at__isnull=True).count() + cases.filter(closed_at__gte=hi).count()

    red = DeadlineAlert.objects.filter(level=AlertLevel.RED, case__area_path__startswith=path).filter(
        _within("created_at", lo, hi)
    )
    overdue = red.aggregate(cases=Count("case", distinct=True))["cases"]
    overdue_departments = [
        {"id": row["department"], "name": row["department__name"], "alerts": row["alerts"], "cases": row["cases"]}
        for row in red.values("department", "department__name")
        .annotate(alerts=Count("id"), cases=Count("case", distinct=True))
        .order_by("-alerts", "-cases", "department__name")
    ]

    answers = {value: total[counter] for value, counter in stats.FEEDBACK_COUNTERS.items()}
    answered = sum(answers.values())
    good = sum(answers[value] for value in GOOD_SATISFACTION)

    new_by_category = {k: c["new"] for (k,), c in figures.rows(start, end, ("category",)).items() if c["new"]}
    categories = sorted(
        (
            {"id": pk, "code": code, "name": name, "count": new_by_category[pk], "position": position}
            for pk, code, name, position in Category.objects.filter(pk__in=new_by_category).values_list(
                "pk", "code", "name", "position"
            )
        ),
        key=lambda r: (-r["count"], r["position"], r["code"]),
    )[:5]
    for row in categories:
        del row["position"]

    # 退单 read from the assignment rather than the "return" event: the same facts, grouped by a real
    # foreign key. An assignment withdrawn with its lead's return is not the department's return.
    returned = {k: c["returns"] for (k,), c in figures.rows(start, end, ("department",)).items() if c["returns"]}
    returns = sorted(
        (
            {"id": pk, "name": name, "count": returned[pk]}
            for pk, name in Department.objects.filter(pk__in=returned).values_list("pk", "name")
        ),
        key=lambda r: (-r["count"], r["name"]),
    )

    return {
        "area": _area_ref(area),
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "counts": {
            "new": total["new"],
            "closed": total["closed"],
            "handled": total["handled"],
            "on_time": total["on_time"],
            "overdue": overdue,
            "open_at_end": open_at_end,
        },
        "rates": {
            "response": _rate(total["response_met"], total["response_due"]),
            "resolution": _rate(total["resolution_met"], total["resolution_due"]),
            "satisfaction": _rate(good, answered),
            "on_time": _rate(total["on_time"], total["handled"]),
        },
        "satisfaction": answers | {"total": answered},
        "categories": categories,
        "overdue_departments": overdue_departments,
        "returns": returns,
        "returns_total": sum(row["count"] for row in returns),
        "extensions": {
            "requested": total["ext_requested"],
            "approved": total["ext_approved"],
            "refused": total["ext_refused"],
        },
    }


# ---------------------------------------------------------------------------------------------
# Ranking


def _weights(weights: Sequence[float] | None) -> tuple[float, ...]:
    values = tuple(float(w) for w in (settings.REPORT_WEIGHTS if weights is None else weights))
    if len(values) != 3 or any(w < 0 for w in values) or sum(values) <= 0:
        raise ValueError("REPORT_WEIGHTS needs three non-negative weights (response, resolution, satisfaction).")
    return values


def weighted_score(rates: dict[str, float | None], weights: Sequence[float]) -> float | None:
    """(w1·response + w2·resolution + w3·satisfaction) / Σw, as points out of 100.

    A rate with nothing behind it (no assignment due, no feedback) is left out and the remaining
    weights renormalised: a town is judged on what happened there, not punished or rewarded for
    what did not. Nothing at all → no score, and no rank.
    """
    parts = [(w, rates[key]) for key, w in zip(RATE_KEYS, weights, strict=True) if rates.get(key) is not None]
    total = sum(w for w, _r in parts)
    if not parts or total <= 0:
        return None
    return round(100 * sum(w * r for w, r in parts) / total, 2)


def _rank(rows: list[dict]) -> list[dict]:
    """Sort by score, best first; equal scores share a rank (1, 2, 2, 4); unscored rows come last
    without a rank."""
    rows.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0), r["code"]))
    for row in rows:
        row["rank"] = (
            None
            if row["score"] is None
            else 1 + sum(1 for other in rows if other["score"] is not None and other["score"] > row["score"])
        )
    return rows


def _ranked(entities: Iterable[dict], parts: dict[str, dict], weights: Sequence[float]) -> list[dict]:
    rows = []
    for entity in entities:
        rates = {key: _rate(*parts[key].get(entity["id"], (0, 0))) for key in RATE_KEYS}
        score = weighted_score({key: rate["rate"] for key, rate in rates.items()}, weights)
        rows.append({**entity, "rates": rates, "score": score})
    return _rank(rows)


def monthly_ranking(*, district: Area, start: date, end: date, weights: Sequence[float] | None = None) -> dict:
    """Towns and departments of the district ranked by the weighted three rates over [start, end).

    Towns: over the cases in their territory. Departments: response over their assignments (signed
    in time); resolution over their lead assignments whose handling limit fell in the period
    (finished by it; assignments they returned are judged by the response rate and the returns
    table instead); satisfaction over the cases they led to the end (the last lead to finish the
    case) with feedback in the period. Eight grouped queries, whatever the size of the district.
    """
    w = _weights(weights)
    lo, hi = _bounds(start, end)
    path = district.path
    towns = list(
        Area.objects.filter(path__startswith=path, level=Level.TOWN).order_by("code").values("id", "code", "name")
    )
    departments = [
        {"id": d["id"], "code": d["code"], "name": d["name"], "area": d["area__name"]}
        for d in Department.objects.filter(area__path__startswith=path)
        .order_by("code")
        .values("id", "code", "name", "area__name")
    ]

    def parts(rows: Iterable[dict], key: str) -> dict:
        """{town or department id: (met, due)} from grouped rows."""
        return {row[key]: (row["met"], row["due"]) for row in rows if row[key] is not None}

    due = assignments_due(path, lo, hi).order_by()
    latest = latest_feedback(path, lo, hi).order_by()
    good = Q(answer__in=GOOD_SATISFACTION)

    town_parts = {
        "response": parts(
            due.values("case__town").annotate(due=Count("id"), met=Count("id", filter=SIGNED_IN_TIME)),
            "case__town",
        ),
        "resolution": parts(
            Case.objects.filter(area_path__startswith=path)
            .filter(_within("handle_deadline", lo, hi))
            .values("town")
            .annotate(due=Count("id"), met=Count("id", filter=Q(handled_at__lte=F("handle_deadline"))))
            .order_by(),
            "town",
        ),
        "satisfaction": parts(
            latest.values("case__town").annotate(due=Count("id"), met=Count("id", filter=good)),
            "case__town",
        ),
    }

    last_lead = (
        Assignment.objects.filter(case=OuterRef("case"), role=AssignmentRole.LEAD, status=AssignmentStatus.HANDLED)
        .order_by("-finished_at", "-id")
        .values("department")[:1]
    )
    department_parts = {
        "response": parts(
            due.values("department").annotate(due=Count("id"), met=Count("id", filter=SIGNED_IN_TIME)),
            "department",
        ),
        "resolution": parts(
            Assignment.objects.filter(case__area_path__startswith=path, role=AssignmentRole.LEAD)
            .filter(_within("handle_deadline", lo, hi))
            .exclude(status=AssignmentStatus.RETURNED)
            .values("department")
            .annotate(
                due=Count("id"),
                met=Count("id", filter=Q(status=AssignmentStatus.HANDLED, finished_at__lte=F("handle_deadline"))),
            )
            .order_by(),
            "department",
        ),
        "satisfaction": parts(
            latest.annotate(lead_department=Subquery(last_lead, output_field=BigIntegerField()))
            .filter(lead_department__isnull=False)
            .values("lead_department")
            .annotate(due=Count("id"), met=Count("id", filter=good)),
            "lead_department",
        ),
    }

    return {
        "weights": list(w),
        "towns": _ranked(towns, town_parts, w),
        "departments": _ranked(departments, department_parts, w),
    }


# ---------------------------------------------------------------------------------------------
# Who reads reports


def reports_visible_to(user: User) -> QuerySet[Report]:
    """Reports of the areas the user reads as an official or center staff (admins: all).

    Territory comes from `areas_visible_to`, as everywhere; on top of it only the reader roles
    count, so a department serving a town, or a grid worker in it, does not see the town's report.
    """
    scope = get_scope(user)
    return Report.objects.filter(area__in=areas_visible_to(user)).filter(scope.path_q("area__path", roles=READER_ROLES))


def report_areas_for(user: User) -> QuerySet[Area]:
    """The district and towns whose reports the user reads, widest first."""
    scope = get_scope(user)
    return (
        areas_visible_to(user)
        .filter(level__in=REPORT_LEVELS)
        .filter(scope.path_q("path", roles=READER_ROLES))
        .order_by(Length("path"), "path")
    )


def can_generate(user: User) -> bool:
    """Center staff, officials and admins may (re)generate a past period on demand."""
    scope = get_scope(user)
    return scope.is_admin or scope.has_role(*READER_ROLES)


# ---------------------------------------------------------------------------------------------
# Generation


def _recipients(area: Area) -> QuerySet[User]:
    """Officials over the area (on it or above it) and the staff of its own center."""
    codes = [*area.ancestor_codes, area.code]
    return User.objects.filter(
        Q(memberships__role=Role.OFFICIAL, memberships__area__code__in=codes)
        | Q(memberships__role=Role.CENTER_STAFF, memberships__area=area),
        is_active=True,
    ).distinct()


def _announce(report: Report) -> None:
    """Tell the readers a report is ready. The key is per kind, area and period, so regenerating a
    period (a re-run, a retry, the button) never announces it twice."""
    figures = report.data["figures"]

    def pct(key: str) -> str:
        rate = figures["rates"][key]["rate"]
        return "—" if rate is None else f"{rate:.1%}"

    # Stored text, read later by people whose language we do not know: the site's language.
    with translation.override(settings.LANGUAGE_CODE):
        title = _("%(area)s%(kind)s(%(period)s)已生成") % {
            "area": report.area.name,
            "kind": report.get_kind_display(),
            "period": report.period_label,
        }
        body = _(
            "新增 %(new)s 件,结案 %(closed)s 件,超期 %(overdue)s 件;"
            "响应率 %(response)s,解决率 %(resolution)s,满意率 %(satisfaction)s"
        ) % {
            **figures["counts"],
            "response": pct("response"),
            "resolution": pct("resolution"),
            "satisfaction": pct("satisfaction"),
        }
    notify(
        recipients=_recipients(report.area),
        kind=NOTIFICATION_KIND,
        title=title,
        body=body,
        url=reverse("report_detail", args=[report.pk]),
        dedupe_key=f"report:{report.kind}:{report.area.code}:{report.period_start.isoformat()}",
    )


@transaction.atomic
def _save(*, kind: str, area: Area, start: date, end: date, data: dict, by: User | None) -> Report:
    report, _created = Report.objects.update_or_create(
        kind=kind,
        area=area,
        period_start=start,
        defaults={"period_end": end, "data": data, "created_at": timezone.now(), "generated_by": by},
    )
    _announce(report)
    return report


def make_weekly_reports(
    *,
    week_start: date,
    by: User | None = None,
    areas: Iterable[Area] | None = None,
    on_report: Callable[[Report], None] | None = None,
) -> list[Report]:
    """一周一反馈: the weekly report of every town and of the district for the week starting on
    `week_start` (a Monday), or of the given `areas` only. Regenerating replaces the figures."""
    if week_start.weekday() != 0:
        raise ValueError(f"{week_start} is not a Monday")
    end = period_end(kind=ReportKind.WEEKLY, start=week_start)
    areas = list(Area.objects.filter(level__in=REPORT_LEVELS).order_by("path") if areas is None else areas)
    made = []
    for area in areas:
        data = {"figures": weekly_figures(area=area, start=week_start, end=end)}
        # Dispute mediation of the same week, by kind, body and area (disputes/mediation/figures.py).
        data["mediation"] = mediation_figures(area=area, start=week_start, end=end - timedelta(days=1))
        made.append(_save(kind=ReportKind.WEEKLY, area=area, start=week_start, end=end, data=data, by=by))
        if on_report:
            on_report(made[-1])
    return made


def make_monthly_reports(
    *,
    month_start: date,
    by: User | None = None,
    districts: Iterable[Area] | None = None,
    on_report: Callable[[Report], None] | None = None,
) -> list[Report]:
    """一月一调度: the district's monthly report for the month starting on `month_start` (a 1st):
    the ranking of its towns and departments, and the district's figures for the month."""
    if month_start.day != 1:
        raise ValueError(f"{month_start} is not the first day of a month")
    end = period_end(kind=ReportKind.MONTHLY, start=month_start)
    districts = list(Area.objects.filter(level=Level.DISTRICT).order_by("path") if districts is None else districts)
    made = []
    for district in districts:
        data = {
            "figures": weekly_figures(area=district, start=month_start, end=end),
            "ranking": monthly_ranking(district=district, start=month_start, end=end),
        }
        # Dispute mediation of the month, by kind, body and town (disputes/mediation/figures.py).
        data["mediation"] = mediation_figures(area=district, start=month_start, end=end - timedelta(days=1))
        made.append(_save(kind=ReportKind.MONTHLY, area=district, start=month_start, end=end, data=data, by=by))
        if on_report:
            on_report(made[-1])
    return made


def generate_reports(
    *,
    kind: str,
    start: date,
    by: User | None = None,
    on_report: Callable[[Report], None] | None = None,
) -> list[Report]:
    """All reports of one period. Asked for by a person (the on-demand button), only those of the
    areas that person reads; by the schedule or the command (`by=None`), all of them."""
    areas = report_areas_for(by) if by is not None else Area.objects.filter(level__in=REPORT_LEVELS).order_by("path")
    if kind == ReportKind.WEEKLY:
        return make_weekly_reports(week_start=start, by=by, areas=areas, on_report=on_report)
    if kind == ReportKind.MONTHLY:
        return make_monthly_reports(
            month_start=start, by=by, districts=areas.filter(level=Level.DISTRICT), on_report=on_report
        )
    raise ValueError(f"unknown report kind {kind!r}")


# ---------------------------------------------------------------------------------------------
# XLSX


def report_xlsx(report: Report) -> bytes:
    """The report as a workbook: summary, categories, overdue departments, returns and extensions,
    and for the monthly report the town and department rankings. Headers in the active language."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    figures = report.data.get("figures", {})
    ranking = report.data.get("ranking")
    percent = "0.0%"
    bold = Font(bold=True)
    workbook = Workbook()

    def sheet(title: str, headers: Sequence[str], rows: Iterable[Sequence], *, first: bool = False):
        ws = workbook.active if first else workbook.create_sheet()
        ws.title = title[:31]
        ws.append([str(h) for h in headers])
        for cell in ws[1]:
            cell.font = bold
        for row in rows:
            ws.append(["—" if value is None else value for value in row])
        for index, header in enumerate(headers, start=1):
            ws.column_dimensions[get_column_letter(index)].width = max(12, 2 * len(str(header)) + 4)
        ws.freeze_panes = "A2"
        return ws

    def rate_rows(rates: dict, keys: Sequence[str]) -> list[list]:
        return [
            [str(RATE_LABELS[key]), rates[key]["rate"], rates[key]["numerator"], rates[key]["denominator"]]
            for key in keys
        ]

    def format_percent(ws, columns: Sequence[int]) -> None:
        for row in ws.iter_rows(min_row=2):
            for column in columns:
                if isinstance(row[column - 1].value, float | int):
                    row[column - 1].number_format = percent

    local_created = timezone.localtime(report.created_at, REPORT_TZ)
    summary = sheet(
        _("概况"),
        [_("指标"), _("数值"), _("分子"), _("分母")],
        [
            [_("区域"), report.area.name],
            [_("报表类型"), str(report.get_kind_display())],
            [_("周期"), f"{report.period_start:%Y-%m-%d} — {report.period_last_day:%Y-%m-%d} ({report.period_label})"],
            [_("生成时间"), f"{local_created:%Y-%m-%d %H:%M}"],
            *[[str(COUNT_LABELS[key]), value] for key, value in figures.get("counts", {}).items()],
        ],
        first=True,
    )
    first_rate_row = summary.max_row + 1
    for row in rate_rows(
        figures.get("rates", {}), [k for k in (*RATE_KEYS, "on_time") if k in figures.get("rates", {})]
    ):
        summary.append(["—" if value is None else value for value in row])
    for (cell,) in summary.iter_rows(min_row=first_rate_row, min_col=2, max_col=2):
        if isinstance(cell.value, float | int):
            cell.number_format = percent
    satisfaction = figures.get("satisfaction", {})
    for value, label in SATISFACTION_LABELS.items():
        summary.append([_("回访:%(answer)s") % {"answer": label}, satisfaction.get(value, 0)])
    if ranking:
        summary.append([_("权重(响应率/解决率/满意率)"), " / ".join(f"{w:g}" for w in ranking["weights"])])

    sheet(
        _("分类"),
        [_("排名"), _("分类"), _("新增事项")],
        [[index, row["name"], row["count"]] for index, row in enumerate(figures.get("categories", []), start=1)],
    )
    sheet(
        _("超期部门"),
        [_("部门"), _("红灯督办次数"), _("涉及事项")],
        [[row["name"], row["alerts"], row["cases"]] for row in figures.get("overdue_departments", [])],
    )
    returns = sheet(
        _("退单与延期"),
        [_("部门"), _("退单次数")],
        [[row["name"], row["count"]] for row in figures.get("returns", [])],
    )
    returns.append([])
    returns.append([_("延期"), _("数量")])
    returns.cell(row=returns.max_row, column=1).font = bold
    returns.cell(row=returns.max_row, column=2).font = bold
    for key, value in figures.get("extensions", {}).items():
        returns.append([str(EXTENSION_LABELS[key]), value])

    if ranking:
        rate_headers = [str(RATE_LABELS[key]) for key in RATE_KEYS]
        towns = sheet(
            _("镇街排名"),
            [_("排名"), _("镇街"), _("综合得分"), *rate_headers],
            [
                [row["rank"], row["name"], row["score"], *(row["rates"][key]["rate"] for key in RATE_KEYS)]
                for row in ranking["towns"]
            ],
        )
        format_percent(towns, [4, 5, 6])
        departments = sheet(
            _("部门排名"),
            [_("排名"), _("部门"), _("服务区域"), _("综合得分"), *rate_headers],
            [
                [row["rank"], row["name"], row["area"], row["score"], *(row["rates"][key]["rate"] for key in RATE_KEYS)]
                for row in ranking["departments"]
            ],
        )
        format_percent(departments, [5, 6, 7])

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
