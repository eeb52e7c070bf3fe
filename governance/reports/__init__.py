"""Weekly reports and the monthly ranking: 苏木镇(街道)一周一反馈, 区级一月一调度.

Every town and the district get a weekly report; the district gets a monthly ranking of its towns
and departments by the three rates (三率). One job per module:

- `periods`: parsing and naming weeks and months (days and time zone: `grids.periods`);
- `figures`: what one area reports for a period (aggregate queries, a constant number per area);
- `ranking`: the monthly ranking by the weighted three rates;
- `selectors`: who reads which reports;
- `announce`: telling the readers (who: `grids.audiences`; what: `governance.messages`);
- `generation`: freezing the figures into `Report` rows, weekly, monthly or on demand;
- `xlsx`: the workbook;
- `labels`: what the figures are called.

The public names are importable from here: `from governance.reports import weekly_figures`.
"""

from .announce import NOTIFICATION_KIND, announce
from .figures import weekly_figures
from .generation import generate_reports, make_monthly_reports, make_weekly_reports
from .labels import COUNT_LABELS, EXTENSION_LABELS, RATE_HELP, RATE_KEYS, RATE_LABELS, SATISFACTION_LABELS
from .periods import (
    REPORT_TZ,
    PeriodError,
    local_today,
    parse_month,
    parse_period,
    parse_week,
    period_end,
    period_is_over,
    period_label,
    previous_month_start,
    previous_week_start,
)
from .ranking import monthly_ranking, weighted_score
from .selectors import READER_ROLES, REPORT_LEVELS, can_generate, report_areas_for, reports_visible_to
from .xlsx import report_xlsx

__all__ = [
    "COUNT_LABELS",
    "EXTENSION_LABELS",
    "NOTIFICATION_KIND",
    "RATE_HELP",
    "RATE_KEYS",
    "RATE_LABELS",
    "READER_ROLES",
    "REPORT_LEVELS",
    "REPORT_TZ",
    "SATISFACTION_LABELS",
    "PeriodError",
    "announce",
    "can_generate",
    "generate_reports",
    "local_today",
    "make_monthly_reports",
    "make_weekly_reports",
    "monthly_ranking",
    "parse_month",
    "parse_period",
    "parse_week",
    "period_end",
    "period_is_over",
    "period_label",
    "previous_month_start",
    "previous_week_start",
    "report_areas_for",
    "report_xlsx",
    "reports_visible_to",
    "weekly_figures",
    "weighted_score",
]
